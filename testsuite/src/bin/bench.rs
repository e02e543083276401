//! `bench [--quick]`: sowa against native code and Wasmtime on the same workloads, in one run.
//! Prints a markdown report and writes `target/bench/report.md` and `target/bench/report.svg`.
//! Needs clang and gcc for the native columns.

use sowa_testsuite::bench;
use std::process::ExitCode;

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let results = match bench::run(quick, &mut |what| eprintln!("measuring {what} ...")) {
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
    ExitCode::SUCCESS
}
