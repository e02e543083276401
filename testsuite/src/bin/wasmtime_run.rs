//! A minimal Wasmtime runner for the benchmarks' cold-start and memory figures: loads a module
//! precompiled by Wasmtime (`.cwasm`), instantiates it with the pooling allocator (`--gc`: with
//! the GC workloads' engine) and calls an export `run` returning i64, printing the result. The
//! Wasmtime counterpart of `sowa run --invoke run app.so`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let gc = args.first().is_some_and(|a| a == "--gc");
    if gc {
        args.remove(0);
    }
    let Some(path) = args.first() else {
        eprintln!("usage: wasmtime-run [--gc] MODULE.cwasm");
        return ExitCode::from(2);
    };
    match sowa_testsuite::bench::wasmtime_rt::run_precompiled(std::path::Path::new(path), gc) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
