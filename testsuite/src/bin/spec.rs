//! Runs official WebAssembly spec scripts through sowa.
//!
//! `spec [--verbose] [--threads N] SELECTOR...` where a selector is a set (`wasm-v2`,
//! `proposals/simd`) or one script (`wasm-v2/i32.wast`). Prints `name: passed/failed/skipped`
//! per script, then one totals line per selector: `wasm-v2: N passed, N failed, N skipped`.
//! Exits with status 1 if anything failed.

use clap::Parser;
use sowa_testsuite::spec;
use std::process::ExitCode;

/// Run the official WebAssembly spec scripts through sowa (compiler, .so, loader, runtime).
#[derive(Parser)]
#[command(
    name = "spec",
    after_help = "\
Examples:
  spec wasm-v2                          every script of WebAssembly 2.0
  spec proposals/tail-call wasm-v2/i32.wast   a proposal's set and one script
  spec --verbose proposals/simd         with each failed or skipped directive
  spec --cpu native proposals/simd      compiled for every feature of this CPU (AVX2, ...)"
)]
struct Cli {
    /// Print every failed and skipped directive.
    #[arg(short, long)]
    verbose: bool,
    /// Scripts run at once (default: one per core; 1 runs them on this thread).
    #[arg(long)]
    threads: Option<usize>,
    /// CPU features to compile for, as `sowac --cpu`: `baseline`, `x86-64-v3` or `native`.
    #[arg(long, default_value = "baseline", value_name = "LEVEL")]
    cpu: String,
    /// Sets (`wasm-v2`, `proposals/simd`) or single scripts (`wasm-v2/i32.wast`); default
    /// `wasm-v2`.
    #[arg(value_name = "SELECTOR")]
    selectors: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = cli.verbose;
    let threads = cli
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let Some(cpu) = sowa_compiler::CpuLevel::from_name(&cli.cpu) else {
        eprintln!(
            "error: unknown CPU level '{}': pass --cpu {}",
            cli.cpu,
            sowa_compiler::CpuLevel::NAMES.join(", ")
        );
        return ExitCode::from(2);
    };
    let mut selectors = cli.selectors;
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
        let totals = spec::run_all(&scripts, threads, cpu, |script, r| {
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
