//! The benchmark harness: the same workloads (C in `bench/c`, wasm checked in at `bench/wasm`)
//! run natively (clang -O2, gcc -O2), by sowa (AOT `.so`), by Wasmtime's JIT and by Wasmtime
//! AOT with its pooling allocator, all in one run, with every checksum compared. It measures and
//! reports; it asserts nothing about speed.

pub mod fileio;
pub mod native;
pub mod report;
pub mod sowa_rt;
pub mod wasmtime_rt;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Workloads of the reduced `--quick` set.
pub const QUICK: &[&str] = &["fib", "primes", "sha256", "jacobi1d", "quicksort", "matmul"];

/// The median of `v` (sorted in place).
pub fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Geometric mean of positive ratios.
pub fn geomean(v: &[f64]) -> f64 {
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len().max(1) as f64).exp()
}

/// Timings of one workload, in the order of [`report::RUNTIMES`].
#[derive(Debug, Clone)]
pub struct Row {
    /// Workload name.
    pub name: String,
    /// Median execution time per runtime.
    pub times: Vec<Duration>,
    /// Whether every runtime computed the same checksum.
    pub checksums_agree: bool,
    /// sowac compile time, Wasmtime compile time.
    pub compile: (Duration, Duration),
    /// `.so` size, `.cwasm` size in bytes.
    pub sizes: (usize, usize),
}

/// Everything one run measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// One row per workload.
    pub rows: Vec<Row>,
    /// (module, sowa, wasmtime pooling) median instantiation times.
    pub instantiation: Vec<(String, Duration, Duration)>,
    /// (runtime, median wall time, peak RSS KiB) of the trivial program's whole process.
    pub cold_start: Vec<(String, Duration, u64)>,
    /// (runtime, peak RSS KiB) running the largest workload as a process.
    pub largest_rss: Vec<(String, u64)>,
    /// Which workload the largest was.
    pub largest: String,
    /// WASI file I/O: MiB written and read, and the figures per runtime.
    pub fileio: (u64, Vec<fileio::IoRow>),
    /// Machine description.
    pub machine: String,
}

/// Paths the harness works with.
pub struct Dirs {
    /// `testsuite/bench`.
    pub bench: PathBuf,
    /// `target/bench`, for native builds and reports.
    pub out: PathBuf,
    /// `target/release`, where the runners are.
    pub release: PathBuf,
}

impl Dirs {
    /// The directories of this checkout.
    pub fn new() -> Dirs {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        Dirs {
            bench: root.join("testsuite/bench"),
            out: root.join("target/bench"),
            release: root.join("target/release"),
        }
    }
}

impl Default for Dirs {
    fn default() -> Self {
        Self::new()
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores, {}", std::env::consts::ARCH)
}

/// Builds the `sowa` runner and `wasmtime-run` so that whole processes can be timed.
fn build_runners() -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "sowa-wasi",
            "--bin",
            "sowa",
            "-p",
            "sowa-testsuite",
            "--bin",
            "wasmtime-run",
            "--bin",
            "wasmtime-wasi-run",
        ])
        .status()?;
    if !st.success() {
        bail!("building the runners failed");
    }
    Ok(())
}

fn workload_names(bench: &Path) -> Result<Vec<String>> {
    let mut v: Vec<String> = std::fs::read_dir(bench.join("wasm"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".wasm"))
                .map(String::from)
        })
        .filter(|n| n != "trivial")
        .collect();
    v.sort();
    Ok(v)
}

/// Measures one workload on every runtime.
fn measure(dirs: &Dirs, name: &str, reps: usize, progress: &mut dyn FnMut(&str)) -> Result<Row> {
    progress(name);
    let wasm = std::fs::read(dirs.bench.join(format!("wasm/{name}.wasm")))?;
    let mut checks = Vec::new();
    let mut times = Vec::new();
    let mut timed = |f: &mut dyn FnMut() -> Result<(i64, Duration)>| -> Result<()> {
        let mut ts = Vec::with_capacity(reps);
        for _ in 0..reps {
            let (v, t) = f()?;
            checks.push(v);
            ts.push(t);
        }
        times.push(median(&mut ts));
        Ok(())
    };
    for cc in [native::Cc::Clang, native::Cc::Gcc] {
        let exe = native::build(cc, &dirs.bench.join("c"), &dirs.out, name, false)?;
        timed(&mut || native::time_run(&exe))?;
    }
    let (so, sowa_compile) = sowa_rt::compile(&wasm)?;
    let module = sowa_runtime::Module::from_bytes(&so)?;
    timed(&mut || sowa_rt::time_run(&module))?;
    let jit = wasmtime_rt::jit_engine()?;
    let (jit_module, wt_compile) = wasmtime_rt::compile(&jit, &wasm)?;
    timed(&mut || wasmtime_rt::time_run(&jit, &jit_module))?;
    let pool = wasmtime_rt::pooling_engine()?;
    let cwasm = wasmtime_rt::precompile(&pool, &wasm)?;
    let aot = wasmtime_rt::deserialize(&pool, &cwasm)?;
    timed(&mut || wasmtime_rt::time_run(&pool, &aot))?;
    let checksums_agree = checks.windows(2).all(|w| w[0] == w[1]);
    Ok(Row {
        name: name.to_string(),
        times,
        checksums_agree,
        compile: (sowa_compile, wt_compile),
        sizes: (so.len(), cwasm.len()),
    })
}

/// Runs the whole benchmark (or the `quick` set); `progress` is told what is being measured.
pub fn run(quick: bool, progress: &mut dyn FnMut(&str)) -> Result<Results> {
    let dirs = Dirs::new();
    std::fs::create_dir_all(&dirs.out)?;
    build_runners()?;
    let names: Vec<String> = if quick {
        QUICK.iter().map(|s| s.to_string()).collect()
    } else {
        workload_names(&dirs.bench)?
    };
    let reps = if quick { 3 } else { 5 };
    let mut results = Results {
        machine: machine(),
        ..Default::default()
    };
    for name in &names {
        let row = measure(&dirs, name, reps, progress).with_context(|| name.clone())?;
        results.rows.push(row);
    }

    // Instantiation, module already loaded.
    progress("instantiation");
    let n = if quick { 300 } else { 2000 };
    for name in ["trivial", "sha256"] {
        let wasm = std::fs::read(dirs.bench.join(format!("wasm/{name}.wasm")))?;
        let (so, _) = sowa_rt::compile(&wasm)?;
        let m = sowa_runtime::Module::from_bytes(&so)?;
        let s = sowa_rt::instantiation_time(&m, n)?;
        let pool = wasmtime_rt::pooling_engine()?;
        let wm = wasmtime_rt::deserialize(&pool, &wasmtime_rt::precompile(&pool, &wasm)?)?;
        let w = wasmtime_rt::instantiation_time(&pool, &wm, n)?;
        results.instantiation.push((name.to_string(), s, w));
    }

    // Whole processes: cold start of the trivial program and memory of the largest workload.
    progress("cold start");
    let files = |name: &str| -> Result<(PathBuf, PathBuf)> {
        let wasm = std::fs::read(dirs.bench.join(format!("wasm/{name}.wasm")))?;
        let so = dirs.out.join(format!("{name}.so"));
        std::fs::write(&so, sowa_rt::compile(&wasm)?.0)?;
        let cwasm = dirs.out.join(format!("{name}.cwasm"));
        let pool = wasmtime_rt::pooling_engine()?;
        std::fs::write(&cwasm, wasmtime_rt::precompile(&pool, &wasm)?)?;
        Ok((so, cwasm))
    };
    let sowa = dirs.release.join("sowa");
    let wasmtime_run = dirs.release.join("wasmtime-run");
    let processes = |name: &str, native: &Path| -> Result<Vec<(String, Command)>> {
        let (so, cwasm) = files(name)?;
        let mut s = Command::new(&sowa);
        s.args(["run", "--invoke", "run"]).arg(&so);
        let mut w = Command::new(&wasmtime_run);
        w.arg(&cwasm);
        Ok(vec![
            (
                "native (clang -O2, static)".to_string(),
                Command::new(native),
            ),
            ("sowa run (.so)".to_string(), s),
            ("Wasmtime (precompiled, pooling)".to_string(), w),
        ])
    };
    let trivial_native = native::build(
        native::Cc::Clang,
        &dirs.bench.join("c"),
        &dirs.out,
        "trivial",
        true,
    )?;
    let runs = if quick { 10 } else { 30 };
    for (label, mut cmd) in processes("trivial", &trivial_native)? {
        let mut walls = Vec::new();
        for _ in 0..runs {
            walls.push(native::wall_time(&mut cmd)?);
        }
        let rss = native::peak_rss(&mut cmd)?;
        results.cold_start.push((label, median(&mut walls), rss));
    }
    progress("peak memory");
    let largest = if quick { "matmul" } else { "atax" };
    results.largest = largest.to_string();
    let largest_native = native::build(
        native::Cc::Clang,
        &dirs.bench.join("c"),
        &dirs.out,
        largest,
        true,
    )?;
    for (label, mut cmd) in processes(largest, &largest_native)? {
        let rss = native::peak_rss(&mut cmd)?;
        results.largest_rss.push((label, rss));
    }

    progress("WASI file I/O");
    let mib = if quick { 256 } else { 1024 };
    results.fileio = (mib, fileio::measure(&dirs, mib, 3)?);
    Ok(results)
}
