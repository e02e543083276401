//! The benchmark harness: the same workloads (C in `bench/c`, wasm checked in at `bench/wasm`,
//! and built with `-msimd128` at `bench/wasm-simd`) run natively (clang -O2, gcc -O2), by sowa
//! (AOT `.so`), by Wasmtime's JIT and by Wasmtime AOT with its pooling allocator, and the SIMD
//! builds by sowa and Wasmtime AOT, all in one run, with every checksum compared. It measures
//! and reports; it asserts nothing about speed.

pub mod fileio;
pub mod gc;
pub mod native;
pub mod real;
pub mod report;
pub mod sowa_rt;
pub mod startup;
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

/// Minimum, median and maximum of a set of timings, so that a reader sees the noise.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Fastest.
    pub min: Duration,
    /// Median.
    pub median: Duration,
    /// Slowest.
    pub max: Duration,
}

impl Stats {
    /// The statistics of `v` (sorted in place).
    pub fn of(v: &mut [Duration]) -> Stats {
        let median = median(v);
        Stats {
            min: v[0],
            median,
            max: v[v.len() - 1],
        }
    }
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
    /// Execution time per runtime over the rounds.
    pub times: Vec<Stats>,
    /// Per round: sowa's time over Wasmtime AOT's, for the scalar and the SIMD build (the
    /// rounds pair them, so a busy moment falls on both sides of each ratio).
    pub vs_wasmtime: [Vec<f64>; 2],
    /// Whether every runtime computed the same checksum.
    pub checksums_agree: bool,
    /// sowac compile time, Wasmtime compile time.
    pub compile: (Duration, Duration),
    /// `.so` size, `.cwasm` size in bytes.
    pub sizes: (usize, usize),
    /// Per round: sowa's time with a deadline on a ticking epoch over its time without.
    pub epoch_cost: Vec<f64>,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// One row per workload.
    pub rows: Vec<Row>,
    /// (module, sowa with a fresh store, sowa with a reset store, wasmtime pooling) median
    /// instantiation times.
    pub instantiation: Vec<(String, Duration, Duration, Duration)>,
    /// Cold starts, their breakdown and real programs' starts.
    pub startup: startup::Startup,
    /// Real programs run to completion.
    pub real: Vec<real::RealRun>,
    /// Why they were not, when they were not.
    pub real_skipped: Option<String>,
    /// The GC workloads.
    pub gc: Vec<gc::GcRun>,
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
    /// The checkout.
    pub root: PathBuf,
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
            root: root.clone(),
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

/// Builds the `sowa` runners and `wasmtime-run` so that whole processes can be timed: the
/// default runner, the device runner (`--profile device`, no compiler) and the device runner
/// linked statically (skipped with a message when the static C library is missing).
fn build_runners(root: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(&cargo)
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
    let device = ["build", "--profile", "device", "-p", "sowa-wasi"];
    let st = Command::new(&cargo)
        .args(device)
        .args(["--no-default-features", "--target-dir"])
        .arg(root.join("target/device"))
        .status()?;
    if !st.success() {
        bail!("building the device runner failed");
    }
    // Static linking needs the target named (so that build scripts and proc macros, built for
    // the host, stay dynamic) and its flag given for that target only.
    let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let st = Command::new(&cargo)
        .args(device)
        .args(["--no-default-features", "--target", &triple, "--target-dir"])
        .arg(root.join("target/device-static"))
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .status()?;
    if !st.success() {
        eprintln!("note: the static device runner did not build; its column is left out");
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

/// A way to run a workload once: its checksum and the time of `run()`.
type Runner<'a> = Box<dyn FnMut() -> Result<(i64, Duration)> + 'a>;

/// Measures one workload on every runtime, and sowa once more in a store with a deadline on an
/// epoch ticking every millisecond. Each of `reps` rounds runs every runtime once, in turn, so that a busy
/// moment of the machine falls on all of them rather than on one runtime's block.
fn measure(dirs: &Dirs, name: &str, reps: usize, progress: &mut dyn FnMut(&str)) -> Result<Row> {
    progress(name);
    let wasm = std::fs::read(dirs.bench.join(format!("wasm/{name}.wasm")))?;
    let wasm_simd = std::fs::read(dirs.bench.join(format!("wasm-simd/{name}.wasm")))?;
    let mut runners: Vec<Runner<'_>> = Vec::new();
    for cc in [native::Cc::Clang, native::Cc::Gcc] {
        let exe = native::build(cc, &dirs.bench.join("c"), &dirs.out, name, false)?;
        runners.push(Box::new(move || native::time_run(&exe)));
    }
    let (so, sowa_compile) = sowa_rt::compile(&wasm)?;
    let module = sowa_runtime::Module::from_bytes(&so)?;
    runners.push(Box::new(move || sowa_rt::time_run(&module)));
    let jit = wasmtime_rt::jit_engine()?;
    let (jit_module, wt_compile) = wasmtime_rt::compile(&jit, &wasm)?;
    runners.push(Box::new(move || wasmtime_rt::time_run(&jit, &jit_module)));
    let pool = wasmtime_rt::pooling_engine()?;
    let cwasm = wasmtime_rt::precompile(&pool, &wasm)?;
    let aot = wasmtime_rt::deserialize(&pool, &cwasm)?;
    let pool_simd = pool.clone();
    runners.push(Box::new(move || wasmtime_rt::time_run(&pool, &aot)));
    let simd = sowa_runtime::Module::from_bytes(&sowa_rt::compile(&wasm_simd)?.0)?;
    runners.push(Box::new(move || sowa_rt::time_run(&simd)));
    let aot_simd = wasmtime_rt::deserialize(
        &pool_simd,
        &wasmtime_rt::precompile(&pool_simd, &wasm_simd)?,
    )?;
    runners.push(Box::new(move || {
        wasmtime_rt::time_run(&pool_simd, &aot_simd)
    }));
    let epoch = sowa_runtime::Epoch::new();
    let ticking = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let ticker = {
        let (epoch, ticking) = (epoch.clone(), ticking.clone());
        std::thread::spawn(move || {
            while ticking.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
                epoch.increment();
            }
        })
    };
    let stoppable = sowa_runtime::Module::from_bytes(&so)?;
    runners.push(Box::new(move || {
        sowa_rt::time_run_with_deadline(&stoppable, &epoch)
    }));

    let mut checks = Vec::new();
    let mut rounds: Vec<Vec<Duration>> = vec![Vec::with_capacity(reps); runners.len()];
    let measured = (|| -> Result<()> {
        for _ in 0..reps {
            for (r, times) in runners.iter_mut().zip(rounds.iter_mut()) {
                let (v, t) = r()?;
                checks.push(v);
                times.push(t);
            }
        }
        Ok(())
    })();
    ticking.store(false, std::sync::atomic::Ordering::Relaxed);
    ticker
        .join()
        .map_err(|_| anyhow::anyhow!("the epoch ticker panicked"))?;
    measured?;
    let per_round = |a: usize, b: usize| -> Vec<f64> {
        rounds[a]
            .iter()
            .zip(&rounds[b])
            .map(|(x, y)| x.as_secs_f64() / y.as_secs_f64())
            .collect()
    };
    use report::column as col;
    let epoch_cost = per_round(report::RUNTIMES.len(), col::SOWA);
    let vs_wasmtime = [
        per_round(col::SOWA, col::WASMTIME_AOT),
        per_round(col::SOWA_SIMD, col::WASMTIME_AOT_SIMD),
    ];
    let times = rounds
        .iter_mut()
        .take(report::RUNTIMES.len())
        .map(|t| Stats::of(t))
        .collect();
    let checksums_agree = checks.windows(2).all(|w| w[0] == w[1]);
    Ok(Row {
        name: name.to_string(),
        times,
        vs_wasmtime,
        checksums_agree,
        compile: (sowa_compile, wt_compile),
        sizes: (so.len(), cwasm.len()),
        epoch_cost,
    })
}

/// Measures only the real programs' runs (see [`real`]): the rows, or why there are none.
pub fn run_real(quick: bool) -> Result<std::result::Result<Vec<real::RealRun>, String>> {
    let dirs = Dirs::new();
    std::fs::create_dir_all(&dirs.out)?;
    build_runners(&dirs.root)?;
    real::measure(&dirs, if quick { 3 } else { 5 })
}

/// Measures only the GC workloads (see [`gc`]).
pub fn run_gc(quick: bool, progress: &mut dyn FnMut(&str)) -> Result<Vec<gc::GcRun>> {
    let dirs = Dirs::new();
    std::fs::create_dir_all(&dirs.out)?;
    build_runners(&dirs.root)?;
    gc::run(&dirs, if quick { 5 } else { 7 }, progress)
}

/// Measures only the start-up figures (see [`startup`]).
pub fn run_startup(quick: bool, progress: &mut dyn FnMut(&str)) -> Result<startup::Startup> {
    let dirs = Dirs::new();
    std::fs::create_dir_all(&dirs.out)?;
    build_runners(&dirs.root)?;
    let mut s = startup::Startup::default();
    progress("cold start");
    startup::measure_hello(&dirs, if quick { 30 } else { 200 }, &mut s)?;
    progress("real programs' start");
    startup::measure_real(&dirs, if quick { 5 } else { 20 }, &mut s)?;
    Ok(s)
}

/// Runs the whole benchmark (or the `quick` set, or the workloads named in `only`, which also
/// leaves out everything but the execution tables); `progress` is told what is being measured.
pub fn run(quick: bool, only: &[String], progress: &mut dyn FnMut(&str)) -> Result<Results> {
    let dirs = Dirs::new();
    std::fs::create_dir_all(&dirs.out)?;
    build_runners(&dirs.root)?;
    let all = workload_names(&dirs.bench)?;
    let names: Vec<String> = if let Some(unknown) = only.iter().find(|n| !all.contains(n)) {
        bail!(
            "no workload `{unknown}`; the workloads are {}",
            all.join(", ")
        )
    } else if !only.is_empty() {
        only.to_vec()
    } else if quick {
        QUICK.iter().map(|s| s.to_string()).collect()
    } else {
        all
    };
    // Quick runs fewer workloads, so it can afford more rounds: ratios between runtimes on this
    // noisy machine need them more than a long list does.
    let reps = if quick { 9 } else { 7 };
    let mut results = Results {
        machine: machine(),
        ..Default::default()
    };
    for name in &names {
        let row = measure(&dirs, name, reps, progress).with_context(|| name.clone())?;
        results.rows.push(row);
    }
    if !only.is_empty() {
        return Ok(results);
    }

    // Instantiation, module already loaded.
    progress("instantiation");
    let n = if quick { 300 } else { 2000 };
    for name in ["trivial", "sha256"] {
        let wasm = std::fs::read(dirs.bench.join(format!("wasm/{name}.wasm")))?;
        let (so, _) = sowa_rt::compile(&wasm)?;
        let m = sowa_runtime::Module::from_bytes(&so)?;
        let pool = wasmtime_rt::pooling_engine()?;
        let wm = wasmtime_rt::deserialize(&pool, &wasmtime_rt::precompile(&pool, &wasm)?)?;
        // Rounds alternating the three, so that a busy moment falls on all of them.
        let (mut s, mut r, mut w) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..5 {
            s.push(sowa_rt::instantiation_time(&m, n)?);
            r.push(sowa_rt::instantiation_time_reset(&m, n)?);
            w.push(wasmtime_rt::instantiation_time(&pool, &wm, n)?);
        }
        results.instantiation.push((
            name.to_string(),
            median(&mut s),
            median(&mut r),
            median(&mut w),
        ));
    }

    // Whole processes: cold starts, real programs' starts, memory of the largest workload.
    progress("cold start");
    startup::measure_hello(&dirs, if quick { 30 } else { 200 }, &mut results.startup)?;
    progress("real programs' start");
    startup::measure_real(&dirs, if quick { 5 } else { 20 }, &mut results.startup)?;
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
    progress("real programs' run time");
    match real::measure(&dirs, if quick { 3 } else { 5 })? {
        Ok(rows) => results.real = rows,
        Err(why) => results.real_skipped = Some(why),
    }
    results.gc = gc::run(&dirs, if quick { 5 } else { 7 }, progress)?;
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
    results.fileio = (mib, fileio::measure(&dirs, mib, 5)?);
    Ok(results)
}
