//! Wasmtime as the JIT and AOT baseline.

use anyhow::Result;
use std::path::Path;
use std::time::{Duration, Instant};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, Linker, Module, PoolingAllocationConfig, Store,
};

/// Wasmtime's fastest instantiation setup: pooling allocator with copy-on-write memory images.
pub fn pooling_engine() -> Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_memories(64)
        .total_tables(64)
        .total_core_instances(64);
    let mut config = Config::new();
    config
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .memory_init_cow(true);
    Engine::new(&config).map_err(conv)
}

/// The engine for the GC workloads: Wasmtime's defaults (GC on, its deferred
/// reference-counting collector, on-demand allocation, whose GC heap is not capped by a pool).
pub fn gc_engine() -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_gc(true).wasm_function_references(true);
    Engine::new(&config).map_err(conv)
}

/// The default (on-demand) engine, used for the JIT column.
pub fn jit_engine() -> Result<Engine> {
    Engine::new(&Config::new()).map_err(conv)
}

/// Compiles `wasm`; returns the module and the compile time.
pub fn compile(engine: &Engine, wasm: &[u8]) -> Result<(Module, Duration)> {
    let t = Instant::now();
    let m = Module::new(engine, wasm).map_err(conv)?;
    Ok((m, t.elapsed()))
}

/// Precompiles `wasm` for `engine` (the `.cwasm` bytes).
pub fn precompile(engine: &Engine, wasm: &[u8]) -> Result<Vec<u8>> {
    engine.precompile_module(wasm).map_err(conv)
}

/// Loads precompiled bytes.
pub fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module> {
    // SAFETY: the bytes were produced by `precompile` with an engine of the same configuration.
    unsafe { Module::deserialize(engine, bytes) }.map_err(conv)
}

/// Instantiates `module` in a fresh store and times one call of `run`.
pub fn time_run(engine: &Engine, module: &Module) -> Result<(i64, Duration)> {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine)
        .instantiate(&mut store, module)
        .map_err(conv)?;
    let run = instance
        .get_typed_func::<(), i64>(&mut store, "run")
        .map_err(conv)?;
    let t = Instant::now();
    let v = run.call(&mut store, ()).map_err(conv)?;
    Ok((v, t.elapsed()))
}

/// Median time of `n` instantiations of `module` (store creation included), module loaded.
pub fn instantiation_time(engine: &Engine, module: &Module, n: usize) -> Result<Duration> {
    let pre = Linker::new(engine).instantiate_pre(module).map_err(conv)?;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let mut store = Store::new(engine, ());
        let i = pre.instantiate(&mut store).map_err(conv)?;
        std::hint::black_box(&i);
        times.push(t.elapsed());
    }
    Ok(super::median(&mut times))
}

/// What `wasmtime-run` does: load a `.cwasm` with the pooling engine (or, for a GC workload,
/// [`gc_engine`]) and call `run`.
pub fn run_precompiled(path: &Path, gc: bool) -> Result<i64> {
    let engine = if gc { gc_engine()? } else { pooling_engine()? };
    // SAFETY: the file was written by `precompile` with the same engine configuration.
    let module = unsafe { Module::deserialize_file(&engine, path) }.map_err(conv)?;
    Ok(time_run(&engine, &module)?.0)
}

/// Keeps Wasmtime's error chain (its `Debug` form) in an `anyhow` error.
fn conv(e: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}
