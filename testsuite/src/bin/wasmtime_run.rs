//! A minimal Wasmtime runner for the benchmarks' cold-start and memory figures: loads a module
//! precompiled by Wasmtime (`.cwasm`), instantiates it with the pooling allocator (`--gc`: with
//! the GC workloads' engine) and calls an export `run` returning i64, printing the result. The
//! Wasmtime counterpart of `sowa run --invoke run app.so`. `wasmtime-run --precompile IN.wasm
//! OUT.cwasm` makes such a file with the benchmark's engine (what `testsuite/bench/same-code.sh`
//! disassembles beside sowa's `.so`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--precompile") {
        let [_, input, output] = &args[..] else {
            eprintln!("usage: wasmtime-run --precompile IN.wasm OUT.cwasm");
            return ExitCode::from(2);
        };
        return match precompile(input, output) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
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

fn precompile(input: &str, output: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use sowa_testsuite::bench::wasmtime_rt;
    let wasm = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    let cwasm = wasmtime_rt::precompile(&wasmtime_rt::pooling_engine()?, &wasm)?;
    std::fs::write(output, cwasm).with_context(|| format!("writing {output}"))
}
