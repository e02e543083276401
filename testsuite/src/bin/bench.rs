//! `bench [--quick] [--startup | --real | --only NAME,...]`: sowa against native code and Wasmtime on the same workloads,
//! in one run. Prints a markdown report and writes `target/bench/report.md` and
//! `target/bench/report.svg`. Needs clang and gcc for the native columns. `--startup` measures
//! only cold starts, their breakdown and real programs' starts (`target/bench/startup.md`);
//! `--real` only real programs run to completion (`target/bench/real.md`); `--gc` only the GC
//! workloads (`target/bench/gc.md`).

use clap::Parser;
use sowa_testsuite::bench;
use std::process::ExitCode;

/// Measure sowa against native code and Wasmtime on the same workloads, in one run.
#[derive(Parser)]
#[command(
    name = "bench",
    after_help = "\
Examples:
  bench                   the full report (about ten minutes on two cores)
  bench --quick           fewer workloads, more rounds, for a first look
  bench --only aes,floyd  only these workloads' execution times (more rounds with --quick)
  bench --startup         cold starts only, with their breakdown and real programs' starts
  bench --real            real programs (testsuite/bench/fetch-real.sh) run to completion
  bench --gc              the GC workloads (binary trees, a linked ring) beside Wasmtime"
)]
struct Cli {
    /// Fewer workloads, more rounds of each.
    #[arg(long)]
    quick: bool,
    /// Measure only cold starts (writes target/bench/startup.md).
    #[arg(long)]
    startup: bool,
    /// Measure only real programs run to completion (writes target/bench/real.md).
    #[arg(long)]
    real: bool,
    /// Measure only the GC workloads (writes target/bench/gc.md).
    #[arg(long)]
    gc: bool,
    /// Only these workloads (comma-separated), and only their execution times.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    only: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quick = cli.quick;
    if cli.startup {
        return startup_only(quick);
    }
    if cli.real {
        return real_only(quick);
    }
    if cli.gc {
        return gc_only(quick);
    }
    let results = match bench::run(quick, &cli.only, &mut |what| {
        eprintln!("measuring {what} ...")
    }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let md = bench::report::markdown(&results);
    println!("{md}");
    let dirs = bench::Dirs::new();
    let written = std::fs::write(dirs.out.join("report.md"), &md)
        .and_then(|_| std::fs::write(dirs.out.join("report.svg"), bench::report::svg(&results)));
    if let Err(e) = written {
        eprintln!("error: writing the report: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "wrote {} and report.svg",
        dirs.out.join("report.md").display()
    );
    if results.rows.iter().any(|r| !r.checksums_agree) {
        eprintln!("error: some runtimes computed different checksums");
        return ExitCode::FAILURE;
    }
    if results.real.iter().any(|r| r.difference.is_some()) {
        eprintln!("error: a real program's output or files differ between sowa and Wasmtime");
        return ExitCode::FAILURE;
    }
    if results.startup.real.iter().any(|r| !r.same_output) {
        eprintln!("error: a real program printed differently under sowa and Wasmtime");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn gc_only(quick: bool) -> ExitCode {
    let rows = match bench::run_gc(quick, &mut |what| eprintln!("measuring {what} ...")) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let mut md = String::new();
    bench::report::gc(&mut md, &rows);
    println!("{md}");
    let path = bench::Dirs::new().out.join("gc.md");
    if let Err(e) = std::fs::write(&path, &md) {
        eprintln!("error: writing {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn real_only(quick: bool) -> ExitCode {
    let (rows, skipped) = match bench::run_real(quick) {
        Ok(Ok(rows)) => (rows, None),
        Ok(Err(why)) => (Vec::new(), Some(why)),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let mut md = String::new();
    bench::report::real(&mut md, &rows, skipped.as_deref());
    println!("{md}");
    let path = bench::Dirs::new().out.join("real.md");
    if let Err(e) = std::fs::write(&path, &md) {
        eprintln!("error: writing {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if rows.iter().any(|r| r.difference.is_some()) {
        eprintln!("error: a real program's output or files differ between sowa and Wasmtime");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn startup_only(quick: bool) -> ExitCode {
    let s = match bench::run_startup(quick, &mut |what| eprintln!("measuring {what} ...")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let mut md = String::new();
    bench::report::startup(&mut md, &s);
    println!("{md}");
    let path = bench::Dirs::new().out.join("startup.md");
    if let Err(e) = std::fs::write(&path, &md) {
        eprintln!("error: writing {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if s.real.iter().any(|r| !r.same_output) {
        eprintln!("error: a real program printed differently under sowa and Wasmtime");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
