//! sowa in the benchmarks: compile with the library, run through the embedding API.

use anyhow::{anyhow, Result};
use sowa_runtime::{Epoch, Linker, Module, Store, Val};
use std::time::{Duration, Instant};

/// Compiles `wasm` for this machine's CPU (`sowac --cpu native`: Wasmtime, given no target,
/// compiles for the features it detects too); returns the `.so` bytes and the compile time.
pub fn compile(wasm: &[u8]) -> Result<(Vec<u8>, Duration)> {
    let t = Instant::now();
    let options = sowa_compiler::Options {
        cpu: sowa_compiler::CpuLevel::Native,
        ..Default::default()
    };
    let so = sowa_compiler::compile(wasm, &options)?;
    Ok((so, t.elapsed()))
}

/// Instantiates `module` in a fresh store and times one call of `run`.
pub fn time_run(module: &Module) -> Result<(i64, Duration)> {
    time_run_in(module, Store::default())
}

/// As [`time_run`], in a store with a deadline (an hour of ticks away) on `epoch`, which
/// another thread advances: what being stoppable costs a guest that is not stopped.
pub fn time_run_with_deadline(module: &Module, epoch: &Epoch) -> Result<(i64, Duration)> {
    let store = Store::with_epoch(Default::default(), epoch.clone());
    store.set_epoch_deadline(3_600_000);
    time_run_in(module, store)
}

fn time_run_in(module: &Module, store: Store) -> Result<(i64, Duration)> {
    let instance = Linker::new().instantiate(&store, module)?;
    let run = instance
        .get_func("run")
        .ok_or_else(|| anyhow!("no export `run`"))?;
    let t = Instant::now();
    let r = run.call(&[])?;
    let elapsed = t.elapsed();
    match r.first() {
        Some(Val::I64(v)) => Ok((*v, elapsed)),
        other => Err(anyhow!("`run` returned {other:?}")),
    }
}

/// Median time of `n` instantiations of `module`, each into one store reset after the
/// previous instance (`Store::reset`, the server pattern of `examples/per_request.rs`); the
/// reset is left out as the store's drop is on the Wasmtime side.
pub fn instantiation_time_reset(module: &Module, n: usize) -> Result<Duration> {
    let linker = Linker::new();
    let mut store = Store::default();
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let i = linker.instantiate(&store, module)?;
        std::hint::black_box(&i);
        times.push(t.elapsed());
        drop(i);
        store.reset()?;
    }
    Ok(super::median(&mut times))
}

/// Median time of `n` instantiations of `module` (store creation included), module loaded.
pub fn instantiation_time(module: &Module, n: usize) -> Result<Duration> {
    let linker = Linker::new();
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let store = Store::default();
        let i = linker.instantiate(&store, module)?;
        std::hint::black_box(&i);
        // Teardown is left out, as it is on the Wasmtime side.
        times.push(t.elapsed());
        drop(i);
        drop(store);
    }
    Ok(super::median(&mut times))
}
