//! Start-up: how long a whole process takes to run a C hello world natively, under each sowa
//! runner and under Wasmtime; where a sowa cold start's time goes; and how long real programs
//! (CPython, yosys: fetched by `testsuite/bench/fetch-real.sh`, never checked in) take to
//! start under sowa and Wasmtime. Every repetition runs every command once, in turn, so that a
//! busy moment of the machine falls on all of them alike.

use super::native;
use super::{Dirs, Stats};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// One command's whole-process figures.
#[derive(Debug, Clone)]
pub struct StartRow {
    /// What ran.
    pub label: String,
    /// Wall time per run.
    pub wall: Stats,
    /// Peak resident set size, KiB.
    pub rss_kib: u64,
    /// Stripped size of the runner binary, bytes (for sowa's runners).
    pub runner_size: Option<u64>,
}

/// Where one sowa runner's cold start goes: median nanoseconds per phase, in order.
#[derive(Debug, Clone)]
pub struct Breakdown {
    /// Which runner.
    pub label: String,
    /// (phase, median) in the order they happen; the first is exec, dynamic loading and the
    /// kernel's side of exit, found as the whole run's median less the runner's own phases.
    pub phases: Vec<(String, Duration)>,
}

/// A real program's start under sowa and Wasmtime.
#[derive(Debug, Clone)]
pub struct RealRow {
    /// Program and arguments.
    pub label: String,
    /// sowa's and Wasmtime's wall times.
    pub sowa: Stats,
    /// Wasmtime's.
    pub wasmtime: Stats,
    /// Peak RSS in KiB, sowa and Wasmtime.
    pub rss_kib: (u64, u64),
    /// Whether both printed the same and ended with the same status.
    pub same_output: bool,
}

/// Everything the start-up part measured.
#[derive(Debug, Clone, Default)]
pub struct Startup {
    /// C hello world: native static, sowa runners, Wasmtime.
    pub hello: Vec<StartRow>,
    /// Cold-start breakdown per sowa runner.
    pub breakdown: Vec<Breakdown>,
    /// Real programs, when fetched.
    pub real: Vec<RealRow>,
    /// Why real programs were not measured, when they were not.
    pub real_skipped: Option<String>,
}

/// The runners the start-up figures compare: (label, path), the default runner first.
pub fn sowa_runners(dirs: &Dirs) -> Vec<(String, PathBuf)> {
    let root = &dirs.root;
    let mut v = vec![(
        "sowa (default runner)".to_string(),
        dirs.release.join("sowa"),
    )];
    let device = root.join("target/device/device/sowa");
    if device.exists() {
        v.push(("sowa (device runner)".to_string(), device));
    }
    let static_device = root.join(format!(
        "target/device-static/{}-unknown-linux-gnu/device/sowa",
        std::env::consts::ARCH
    ));
    if static_device.exists() {
        v.push(("sowa (device runner, static)".to_string(), static_device));
    }
    v
}

fn stripped_size(bin: &Path) -> Option<u64> {
    let out = std::env::temp_dir().join(format!("sowa-bench-strip-{}", std::process::id()));
    let ok = Command::new("strip")
        .arg("-o")
        .arg(&out)
        .arg(bin)
        .status()
        .is_ok_and(|s| s.success());
    let size = ok
        .then(|| std::fs::metadata(&out).map(|m| m.len()).ok())
        .flatten();
    let _ = std::fs::remove_file(&out);
    size
}

/// Runs every command `runs` times, in turn; returns each one's wall times.
fn interleaved(cmds: &mut [Command], runs: usize) -> Result<Vec<Vec<Duration>>> {
    let mut walls = vec![Vec::with_capacity(runs); cmds.len()];
    for _ in 0..runs {
        for (cmd, w) in cmds.iter_mut().zip(&mut walls) {
            w.push(native::wall_time(cmd)?);
        }
    }
    Ok(walls)
}

/// The phases a runner reports with `SOWA_STARTUP_TRACE` set.
fn traced_phases(cmd: &mut Command) -> Result<Vec<(String, u64)>> {
    let o = cmd
        .env("SOWA_STARTUP_TRACE", "1")
        .stdout(Stdio::null())
        .output()
        .context("running a traced start")?;
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("sowa-startup: "))
        .context("the runner printed no start-up trace")?;
    line.split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').context("bad trace")?;
            Ok((k.to_string(), v.parse()?))
        })
        .collect()
}

fn breakdown(label: &str, mut cmd: Command, wall: &Stats, runs: usize) -> Result<Breakdown> {
    let mut per_phase: Vec<(String, Vec<Duration>)> = Vec::new();
    for _ in 0..runs {
        for (i, (name, ns)) in traced_phases(&mut cmd)?.into_iter().enumerate() {
            if per_phase.len() <= i {
                per_phase.push((name, Vec::new()));
            }
            per_phase[i].1.push(Duration::from_nanos(ns));
        }
    }
    let mut phases: Vec<(String, Duration)> = per_phase
        .into_iter()
        .map(|(n, mut v)| (n, super::median(&mut v)))
        .collect();
    let inside: Duration = phases.iter().map(|p| p.1).sum();
    phases.insert(
        0,
        (
            "process: exec, dynamic loading, exit".to_string(),
            wall.median.saturating_sub(inside),
        ),
    );
    Ok(Breakdown {
        label: label.to_string(),
        phases,
    })
}

/// Measures the hello world's cold start and its breakdown.
pub fn measure_hello(dirs: &Dirs, runs: usize, startup: &mut Startup) -> Result<()> {
    let programs = dirs.bench.join("../programs");
    let native_hello = dirs.out.join("hello-clang-static");
    let st = Command::new("clang")
        .args(["-O2", "-static"])
        .arg(programs.join("c/hello.c"))
        .arg("-o")
        .arg(&native_hello)
        .status()
        .context("running clang")?;
    if !st.success() {
        bail!("clang failed on hello.c");
    }
    let wasm = std::fs::read(programs.join("wasm/hello.wasm"))?;
    let so = dirs.out.join("hello.so");
    std::fs::write(&so, super::sowa_rt::compile(&wasm)?.0)?;
    let cwasm = dirs.out.join("hello.cwasm");
    std::fs::write(
        &cwasm,
        super::wasmtime_rt::precompile(&wasmtime::Engine::default(), &wasm)?,
    )?;

    let runners = sowa_runners(dirs);
    let mut labels = vec!["native (clang -O2, static)".to_string()];
    let mut cmds = vec![Command::new(&native_hello)];
    for (label, bin) in &runners {
        labels.push(label.clone());
        let mut c = Command::new(bin);
        c.arg("run").arg(&so);
        cmds.push(c);
    }
    labels.push("Wasmtime (precompiled .cwasm)".to_string());
    let mut w = Command::new(dirs.release.join("wasmtime-wasi-run"));
    w.arg(&cwasm);
    cmds.push(w);

    let walls = interleaved(&mut cmds, runs)?;
    for (i, (label, mut wall)) in labels.into_iter().zip(walls).enumerate() {
        let rss_kib = native::peak_rss(&mut cmds[i])?;
        let runner = (1..=runners.len())
            .contains(&i)
            .then(|| runners[i - 1].1.clone());
        let wall = Stats::of(&mut wall);
        if let Some(bin) = &runner {
            let mut c = Command::new(bin);
            c.arg("run").arg(&so);
            startup
                .breakdown
                .push(breakdown(&label, c, &wall, runs.min(50))?);
        }
        startup.hello.push(StartRow {
            label,
            wall,
            rss_kib,
            runner_size: runner.as_deref().and_then(stripped_size),
        });
    }
    Ok(())
}

/// The real programs and their arguments: (label, file in `target/bench/real`, args).
const REAL: &[(&str, &str, &[&str])] = &[
    (
        "CPython 3.11 `-c pass`",
        "python-3.11.3.wasm",
        &["-c", "pass"],
    ),
    ("yosys 0.55 `-V`", "yosys.core.wasm", &["-V"]),
];

/// Measures the start of the real programs fetched into `target/bench/real`.
pub fn measure_real(dirs: &Dirs, runs: usize, startup: &mut Startup) -> Result<()> {
    let real = dirs.out.join("real");
    let missing: Vec<&str> = REAL
        .iter()
        .map(|r| r.1)
        .filter(|f| !real.join(f).exists())
        .collect();
    if !missing.is_empty() {
        startup.real_skipped = Some(format!(
            "{} not in {} (run testsuite/bench/fetch-real.sh to fetch them)",
            missing.join(", "),
            real.display()
        ));
        return Ok(());
    }
    let engine = wasmtime::Engine::default();
    for (label, file, args) in REAL {
        let wasm = std::fs::read(real.join(file))?;
        let stem = file.trim_end_matches(".wasm");
        let so = real.join(format!("{stem}.so"));
        std::fs::write(&so, super::sowa_rt::compile(&wasm)?.0)?;
        let cwasm = real.join(format!("{stem}.cwasm"));
        std::fs::write(&cwasm, super::wasmtime_rt::precompile(&engine, &wasm)?)?;
        let mut s = Command::new(dirs.release.join("sowa"));
        s.arg("run").arg(&so).args(*args);
        let mut w = Command::new(dirs.release.join("wasmtime-wasi-run"));
        w.arg(&cwasm).args(*args);
        // What each printed and how it ended: the figures compare equals only.
        let outputs =
            [&mut s, &mut w].map(|c| c.output().map(|o| (o.status.code(), o.stdout)).ok());
        let mut cmds = [s, w];
        let walls = interleaved(&mut cmds, runs)?;
        let [mut ws, mut ww] = <[Vec<Duration>; 2]>::try_from(walls).expect("two commands");
        startup.real.push(RealRow {
            label: label.to_string(),
            sowa: Stats::of(&mut ws),
            wasmtime: Stats::of(&mut ww),
            rss_kib: (
                native::peak_rss(&mut cmds[0])?,
                native::peak_rss(&mut cmds[1])?,
            ),
            same_output: outputs[0].is_some() && outputs[0] == outputs[1],
        });
    }
    Ok(())
}
