//! `per_request FILE.wasm [REQUESTS] [THREADS]`: the server pattern. The module is compiled and
//! loaded once and shared by worker threads; each worker keeps one store and one linker, and
//! serves every request with a fresh instance, resetting the store afterwards so that the
//! next instance reuses what held the last (no allocation, no memory system call). Calls the
//! export `run` if there is one. Prints the median and p99 of a request's instantiation and of
//! the whole request, and the throughput.

use sowa_runtime::{Linker, Module, Store};
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: per_request FILE.wasm [REQUESTS] [THREADS]"))?;
    let requests: usize = args.next().map_or(Ok(100_000), |s| s.parse())?;
    let threads: usize = args.next().map_or(Ok(2), |s| s.parse())?;
    let so = sowa_compiler::compile(&std::fs::read(path)?, &Default::default())?;
    let module = Module::from_bytes(&so)?;
    let start = Instant::now();
    let per_thread: Vec<(Vec<Duration>, Vec<Duration>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let module = module.clone();
                s.spawn(move || -> anyhow::Result<_> {
                    let mut store = Store::default();
                    let mut inst_times = Vec::with_capacity(requests / threads);
                    let mut req_times = Vec::with_capacity(requests / threads);
                    for _ in 0..requests / threads {
                        let t = Instant::now();
                        {
                            // A linker per request here only because its host functions would
                            // be the store's objects; this module imports none, so it is free.
                            let linker = Linker::new();
                            let instance = linker.instantiate(&store, &module)?;
                            inst_times.push(t.elapsed());
                            if let Some(run) = instance.get_func("run") {
                                run.call(&[])?;
                            }
                        }
                        store.reset()?;
                        req_times.push(t.elapsed());
                    }
                    Ok((inst_times, req_times))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker panicked"))
            .collect::<anyhow::Result<_>>()
    })?;
    let wall = start.elapsed();
    let (mut inst, mut req): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    for (i, r) in per_thread {
        inst.extend(i);
        req.extend(r);
    }
    inst.sort();
    req.sort();
    let pct = |v: &[Duration], p: usize| v[v.len() * p / 100];
    println!(
        "{} requests on {threads} threads in {wall:.2?}: {:.0} requests/s",
        req.len(),
        req.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "instantiation: median {:?}, p99 {:?}; whole request (instantiate, run, reset): median {:?}, p99 {:?}",
        pct(&inst, 50),
        pct(&inst, 99),
        pct(&req, 50),
        pct(&req, 99)
    );
    Ok(())
}
