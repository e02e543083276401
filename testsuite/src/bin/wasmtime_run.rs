//! A minimal Wasmtime runner for the benchmarks' cold-start and memory figures: loads a module
//! precompiled by Wasmtime (`.cwasm`), instantiates it with the pooling allocator and calls an
//! export `run` returning i64, printing the result. The Wasmtime counterpart of
//! `sowa run --invoke run app.so`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: wasmtime-run MODULE.cwasm");
        return ExitCode::from(2);
    };
    match sowa_testsuite::bench::wasmtime_rt::run_precompiled(std::path::Path::new(&path)) {
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
