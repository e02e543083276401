//! GC workloads written here in WAT (`testsuite/bench/gc`): binary trees, and a ring of linked
//! records under churn (old objects pointing at young ones, arrays of references and of
//! bytes). Each is compiled ahead of time by both runtimes (sowa for this CPU, Wasmtime's
//! default engine, whose collector is deferred reference counting), then run in rounds that
//! alternate the runtimes in this process, each run in a fresh store; the answers must agree.
//! Then each runs once as a whole process (`sowa run --invoke run`, `wasmtime-run --gc`) for
//! its peak RSS. sowa's collections and pauses are its store's [`sowa_runtime::GcStats`];
//! Wasmtime does not report pauses.

use super::{native, sowa_rt, wasmtime_rt, Dirs, Stats};
use anyhow::{bail, Context, Result};
use std::process::Command;
use std::time::{Duration, Instant};

/// One workload's figures.
#[derive(Debug, Clone)]
pub struct GcRun {
    /// The workload.
    pub name: String,
    /// Wall time of `run`, sowa.
    pub sowa: Stats,
    /// Wall time of `run`, Wasmtime AOT.
    pub wasmtime: Stats,
    /// Per round: sowa's time over Wasmtime's.
    pub ratio: Vec<f64>,
    /// Peak RSS of a whole process, KiB: sowa, Wasmtime.
    pub rss_kib: (u64, u64),
    /// sowa's collections in one run, their total and their longest pause.
    pub collections: u64,
    /// Total pause of one run's collections.
    pub pause_total: Duration,
    /// Longest pause of one run.
    pub pause_max: Duration,
    /// The most bytes sowa's heap held at once in one run.
    pub peak_heap: u64,
}

/// The workloads: `testsuite/bench/gc/*.wat`, by name.
fn workloads(dirs: &Dirs) -> Result<Vec<(String, Vec<u8>)>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dirs.bench.join("gc"))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "wat") {
            let name = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let wasm = wat::parse_file(&p).with_context(|| format!("{}", p.display()))?;
            v.push((name, wasm));
        }
    }
    v.sort();
    Ok(v)
}

/// One sowa run in a fresh store: answer, time, and the store's collector statistics.
fn sowa_once(m: &sowa_runtime::Module) -> Result<(i64, Duration, sowa_runtime::GcStats)> {
    let store = sowa_runtime::Store::default();
    let i = sowa_runtime::Linker::new().instantiate(&store, m)?;
    let run = i.get_func("run").context("no export `run`")?;
    let t = Instant::now();
    let r = run.call(&[])?;
    let elapsed = t.elapsed();
    match r.first() {
        Some(sowa_runtime::Val::I64(v)) => Ok((*v, elapsed, store.gc_stats())),
        other => bail!("`run` returned {other:?}"),
    }
}

/// Measures every workload with `rounds` alternating rounds.
pub fn run(dirs: &Dirs, rounds: usize, progress: &mut dyn FnMut(&str)) -> Result<Vec<GcRun>> {
    let engine = wasmtime_rt::gc_engine()?;
    let dir = dirs.out.join("gc");
    std::fs::create_dir_all(&dir)?;
    let mut out = Vec::new();
    for (name, wasm) in workloads(dirs)? {
        progress(&format!("GC workload {name}"));
        let (so, _) = sowa_rt::compile(&wasm)?;
        let so_path = dir.join(format!("{name}.so"));
        std::fs::write(&so_path, &so)?;
        let sm = sowa_runtime::Module::from_bytes(&so)?;
        let cwasm = wasmtime_rt::precompile(&engine, &wasm)?;
        let cwasm_path = dir.join(format!("{name}.cwasm"));
        std::fs::write(&cwasm_path, &cwasm)?;
        let wm = wasmtime_rt::deserialize(&engine, &cwasm)?;
        let (mut st, mut wt, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        let mut stats = None;
        for _ in 0..rounds {
            let (a, ts, s) = sowa_once(&sm)?;
            let (b, tw) = wasmtime_rt::time_run(&engine, &wm)?;
            if a != b {
                bail!("{name}: sowa answered {a}, Wasmtime {b}");
            }
            st.push(ts);
            wt.push(tw);
            ratio.push(ts.as_secs_f64() / tw.as_secs_f64());
            stats = Some(s);
        }
        let stats = stats.context("no rounds")?;
        let sowa_rss = native::peak_rss(
            Command::new(dirs.release.join("sowa"))
                .args(["run", "--invoke", "run"])
                .arg(&so_path),
        )?;
        let wasmtime_rss = native::peak_rss(
            Command::new(dirs.release.join("wasmtime-run"))
                .arg("--gc")
                .arg(&cwasm_path),
        )?;
        out.push(GcRun {
            name,
            sowa: Stats::of(&mut st),
            wasmtime: Stats::of(&mut wt),
            ratio,
            rss_kib: (sowa_rss, wasmtime_rss),
            collections: stats.collections,
            pause_total: Duration::from_nanos(stats.total_pause_ns),
            pause_max: Duration::from_nanos(stats.max_pause_ns),
            peak_heap: stats.peak_bytes,
        });
    }
    Ok(out)
}
