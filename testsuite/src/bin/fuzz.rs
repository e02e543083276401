//! `fuzz [--mode smith|wasm|so] [--seconds N] [--seed S] [--count N]`: differential fuzzing of
//! sowa against Wasmtime, and robustness fuzzing of the compiler and loader (see
//! `sowa_testsuite::fuzz`). Without `--seed` a fresh seed is chosen and printed. Exits 1 when a
//! case failed; its input and a command to rerun it are in `target/fuzz/failures/`.

use sowa_testsuite::fuzz::{self, Budget, Mode};
use std::process::ExitCode;
use std::time::Duration;

fn value<T: std::str::FromStr>(args: &[String], flag: &str) -> Result<Option<T>, String> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("{flag} needs a number")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| -> Result<(Mode, Budget), String> {
        let mode = match args.iter().position(|a| a == "--mode") {
            None => Mode::Smith,
            Some(i) => match args.get(i + 1).map(String::as_str) {
                Some("smith") => Mode::Smith,
                Some("wasm") => Mode::Wasm,
                Some("so") => Mode::So,
                _ => return Err("--mode takes smith, wasm or so".into()),
            },
        };
        let seed = value::<u64>(&args, "--seed")?.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
        let seconds = value::<u64>(&args, "--seconds")?.unwrap_or(60);
        Ok((
            mode,
            Budget {
                seed,
                count: value(&args, "--count")?,
                time: Duration::from_secs(seconds),
            },
        ))
    })();
    let (mode, budget) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}\nusage: fuzz [--mode smith|wasm|so] [--seconds N] [--seed S] [--count N]");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("fuzz --mode {} --seed {}", mode.name(), budget.seed);
    let started = std::time::Instant::now();
    let report = |s: &fuzz::Stats, t: Duration| {
        format!(
            "{:.0}s: {} cases, {} compared ({} calls, {} up to a limit), {} refused, {} skipped, \
             {:.1} cases/s, {} failures",
            t.as_secs_f64(),
            s.cases,
            s.compared,
            s.calls,
            s.inconclusive,
            s.refused,
            s.skipped,
            s.cases as f64 / t.as_secs_f64().max(1e-9),
            s.failures.len()
        )
    };
    let stats = match fuzz::run(mode, budget, &mut |s, t| eprintln!("{}", report(s, t))) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", report(&stats, started.elapsed()));
    if stats.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &stats.failures {
            println!("failure: {}", f.display());
        }
        ExitCode::FAILURE
    }
}
