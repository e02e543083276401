//! `fuzz [--mode smith|wasm|so] [--seconds N] [--seed S] [--count N]`: differential fuzzing of
//! sowa against Wasmtime, and robustness fuzzing of the compiler and loader (see
//! `sowa_testsuite::fuzz`). Without `--seed` a fresh seed is chosen and printed. Exits 1 when a
//! case failed; its input and a command to rerun it are in `target/fuzz/failures/`.

use clap::Parser;
use sowa_testsuite::fuzz::{self, Budget, Mode};
use std::process::ExitCode;
use std::time::Duration;

/// Fuzz sowa: against Wasmtime on generated modules, and with mutated inputs into the compiler
/// and the loader.
#[derive(Parser)]
#[command(
    name = "fuzz",
    after_help = "\
Examples:
  fuzz --mode smith --seconds 600        ten minutes of differential fuzzing, a fresh seed
  fuzz --mode so --seconds 60 --seed 1   mutated .so files into the loader, repeatably
  fuzz --mode wasm --count 1000          a thousand mutated modules into the compiler"
)]
struct Cli {
    /// `smith`: generated modules, sowa against Wasmtime; `wasm`: mutated modules into the
    /// compiler; `so`: mutated `.so` files into the loader.
    #[arg(long, default_value = "smith", value_parser = ["smith", "wasm", "so"])]
    mode: String,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Seed of the case generator (default: from the clock, printed so a run can be
    /// repeated).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop after this many cases.
    #[arg(long)]
    count: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = match cli.mode.as_str() {
        "wasm" => Mode::Wasm,
        "so" => Mode::So,
        _ => Mode::Smith,
    };
    let seed = cli.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let budget = Budget {
        seed,
        count: cli.count,
        time: Duration::from_secs(cli.seconds),
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
