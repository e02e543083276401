//! `wasmtime-wasi-run [--env K=V]... [--dir HOST[::GUEST]]... FILE.wasm [ARGS...]`: runs a WASI
//! command under Wasmtime's own preview1 host, as `wasmtime run` would, so that the differential
//! tests can compare sowa's host with it on the same program. Exit status: the program's
//! `proc_exit` code, 134 on a trap, 1 when the module cannot be run.

use std::process::ExitCode;
use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

fn run() -> wasmtime::Result<ExitCode> {
    let mut args = std::env::args().skip(1).peekable();
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
    let module = Module::from_file(&engine, &file)?;
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
