//! `wasmtime-wasi-run [--env K=V]... [--dir HOST[::GUEST]]... FILE.wasm|FILE.cwasm [ARGS...]`:
//! runs a WASI command under Wasmtime's own preview1 host, as `wasmtime run` would, so that the
//! differential tests can compare sowa's host with it on the same program, and the benchmark
//! can time its start. A `.cwasm` (precompiled by [`wasmtime::Engine::precompile_module`] with
//! the default configuration, as `wasmtime compile` makes it) is deserialized, not compiled.
//! `wasmtime-wasi-run --compile IN.wasm OUT.cwasm` makes one. Exit status: the program's
//! `proc_exit` code, 134 on a trap, 1 when the module cannot be run.

use std::process::ExitCode;
use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

fn run() -> wasmtime::Result<ExitCode> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--compile") {
        let (Some(input), Some(output)) = (args.nth(1), args.next()) else {
            wasmtime::bail!("usage: wasmtime-wasi-run --compile IN.wasm OUT.cwasm");
        };
        let cwasm = Engine::default().precompile_module(&std::fs::read(input)?)?;
        std::fs::write(output, cwasm)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut builder = WasiCtxBuilder::new();
    builder.inherit_stdio();
    while let Some(a) = args.peek() {
        match a.as_str() {
            "--env" => {
                args.next();
                let kv = args.next().unwrap_or_default();
                let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
                builder.env(k, v);
            }
            "--dir" => {
                args.next();
                let d = args.next().unwrap_or_default();
                let (host, guest) = d.split_once("::").unwrap_or((&d, &d));
                builder.preopened_dir(host, guest, FsPerms::ReadWrite)?;
            }
            _ => break,
        }
    }
    let file = args
        .next()
        .ok_or_else(|| wasmtime::format_err!("no module given"))?;
    let mut argv = vec![file.clone()];
    argv.extend(args);
    builder.args(&argv);
    let engine = Engine::default();
    let module = if file.ends_with(".cwasm") {
        // SAFETY: the benchmark passes files it made itself with `--compile` just before, with
        // this same Wasmtime and configuration; nothing else writes them.
        unsafe { Module::deserialize_file(&engine, &file)? }
    } else {
        Module::from_file(&engine, &file)?
    };
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx)?;
    let mut store = Store::new(&engine, builder.build_p1());
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => Ok(ExitCode::from(*code as u8)),
            None => {
                eprintln!("error: {e:?}");
                Ok(ExitCode::from(134))
            }
        },
    }
}

fn main() -> ExitCode {
    run().unwrap_or_else(|e| {
        eprintln!("error: {e:?}");
        ExitCode::FAILURE
    })
}
