//! Runs official WebAssembly spec scripts through sowa.
//!
//! `spec [--verbose] [--threads N] SELECTOR...` where a selector is a set (`wasm-v2`,
//! `proposals/simd`) or one script (`wasm-v2/i32.wast`). Prints `name: passed/failed/skipped`
//! per script, then one totals line per selector: `wasm-v2: N passed, N failed, N skipped`.
//! Exits with status 1 if anything failed.

use sowa_testsuite::spec;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut verbose = false;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut selectors = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--verbose" | "-v" => verbose = true,
            "--threads" => threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(threads),
            _ => selectors.push(a),
        }
    }
    if selectors.is_empty() {
        selectors.push("wasm-v2".into());
    }
    let mut any_failed = false;
    for sel in &selectors {
        let scripts = match spec::scripts(sel) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let start = std::time::Instant::now();
        let totals = spec::run_all(&scripts, threads, |script, r| {
            println!(
                "{}: {}/{}/{}",
                script.name,
                r.passed,
                r.failures.len(),
                r.skipped.len()
            );
            if verbose {
                for f in &r.failures {
                    println!("  FAIL {f}");
                }
                for s in &r.skipped {
                    println!("  SKIP {s}");
                }
            }
        });
        eprintln!("({sel} took {:.1}s)", start.elapsed().as_secs_f64());
        println!(
            "{sel}: {} passed, {} failed, {} skipped",
            totals.passed, totals.failed, totals.skipped
        );
        any_failed |= totals.failed > 0;
    }
    if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
