//! Real programs nobody here wrote, run to completion under sowa and under Wasmtime's own WASI
//! host: CPython 3.11 integrating the planets (`nbody.py`), boolector factoring a number through
//! a bit-vector problem, resvg rendering an SVG, flite speaking a text. The programs are fetched
//! by package name (`testsuite/bench/fetch-real.sh`, into `target/bench/real`, never checked in);
//! their inputs are the project's own (`testsuite/bench/real`).
//!
//! Both compile ahead of time as whole processes (`sowa compile --cpu native`; Wasmtime's
//! default engine, which compiles for the CPU it detects, through `wasmtime-wasi-run
//! --compile`), timed with their peak RSS. Then rounds alternate the runtimes, each run a whole
//! process on a fresh output directory. What each printed, its exit status and every file it
//! wrote must be byte-identical, or the row says so and the benchmark fails.

use super::{native, Dirs, Stats};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// What a run printed and the files it wrote (name, contents), when it has run.
type Seen = Option<(Vec<u8>, Vec<(String, Vec<u8>)>)>;

/// One program and what it is asked to do.
struct Program {
    /// What the report calls it.
    label: &'static str,
    /// The module in `target/bench/real`.
    file: &'static str,
    /// Arguments; the inputs are under `/in`, outputs go to `/out`.
    args: &'static [&'static str],
    /// The exit status it ends with when it works (boolector: 10 for satisfiable).
    status: i32,
}

const PROGRAMS: &[Program] = &[
    Program {
        label: "CPython 3.11: nbody.py 50000",
        file: "python-3.11.3.wasm",
        args: &["/in/nbody.py", "50000"],
        status: 0,
    },
    Program {
        label: "boolector: factor.smt2",
        file: "boolector.wasm",
        args: &["/in/factor.smt2"],
        status: 10,
    },
    Program {
        label: "resvg: scene.svg to PNG",
        file: "resvg.wasm",
        args: &["/in/scene.svg", "/out/scene.png"],
        status: 0,
    },
    Program {
        label: "flite: speech.txt to WAV",
        file: "flite.wasm",
        args: &["-f", "/in/speech.txt", "-o", "/out/speech.wav"],
        status: 0,
    },
];

/// One program's figures.
#[derive(Debug, Clone)]
pub struct RealRun {
    /// Program and task.
    pub label: String,
    /// Wall time of a whole run, sowa.
    pub sowa: Stats,
    /// Wall time of a whole run, Wasmtime (precompiled `.cwasm`).
    pub wasmtime: Stats,
    /// Per round: sowa's time over Wasmtime's.
    pub ratio: Vec<f64>,
    /// Peak RSS of a run in KiB: sowa, Wasmtime.
    pub rss_kib: (u64, u64),
    /// Compile time: `sowa compile`, Wasmtime's precompile.
    pub compile: (Duration, Duration),
    /// Peak RSS of compiling, KiB: sowa, Wasmtime.
    pub compile_rss_kib: (u64, u64),
    /// Whether output, status and files written were byte-identical; else what differed.
    pub difference: Option<String>,
}

/// Runs every program for `rounds` rounds; `Err` only when something could not be run at all,
/// `Ok(Err(why))` when the programs have not been fetched.
pub fn measure(dirs: &Dirs, rounds: usize) -> Result<std::result::Result<Vec<RealRun>, String>> {
    let real = dirs.out.join("real");
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .map(|p| p.file)
        .filter(|f| !real.join(f).exists())
        .collect();
    if !missing.is_empty() {
        return Ok(Err(format!(
            "{} not in {} (run testsuite/bench/fetch-real.sh to fetch them)",
            missing.join(", "),
            real.display()
        )));
    }
    let inputs = dirs.bench.join("real");
    let sowa = dirs.release.join("sowa");
    let wasmtime = dirs.release.join("wasmtime-wasi-run");
    let mut rows = Vec::new();
    for p in PROGRAMS {
        let wasm = real.join(p.file);
        let stem = p.file.trim_end_matches(".wasm");
        let so = real.join(format!("{stem}.native.so"));
        let cwasm = real.join(format!("{stem}.cwasm"));
        let mut sc = Command::new(&sowa);
        sc.args(["compile", "--cpu", "native"])
            .arg(&wasm)
            .arg("-o")
            .arg(&so);
        let mut wc = Command::new(&wasmtime);
        wc.arg("--compile").arg(&wasm).arg(&cwasm);
        let compile = (native::wall_time(&mut sc)?, native::wall_time(&mut wc)?);
        let compile_rss_kib = (native::peak_rss(&mut sc)?, native::peak_rss(&mut wc)?);

        let outs = [real.join("out-sowa"), real.join("out-wasmtime")];
        let command = |i: usize| {
            let (runner, module) = if i == 0 {
                (Command::new(&sowa), &so)
            } else {
                (Command::new(&wasmtime), &cwasm)
            };
            let mut c = runner;
            if i == 0 {
                c.arg("run");
            }
            c.arg("--dir")
                .arg(format!("{}::/in", inputs.display()))
                .arg("--dir")
                .arg(format!("{}::/out", outs[i].display()))
                .arg(module)
                .args(p.args);
            c
        };
        let mut walls = [Vec::new(), Vec::new()];
        let mut seen: [Seen; 2] = [None, None];
        for _ in 0..rounds {
            for i in 0..2 {
                fresh_dir(&outs[i])?;
                let t = Instant::now();
                let o = command(i)
                    .output()
                    .with_context(|| format!("running {}", p.label))?;
                walls[i].push(t.elapsed());
                if o.status.code() != Some(p.status) {
                    bail!(
                        "{} under {} ended with {} (expected status {}): {}",
                        p.label,
                        ["sowa", "Wasmtime"][i],
                        o.status,
                        p.status,
                        String::from_utf8_lossy(&o.stderr)
                    );
                }
                if seen[i].is_none() {
                    seen[i] = Some((o.stdout, files(&outs[i])?));
                }
            }
        }
        let difference = compare(&seen[0], &seen[1]);
        let rss_kib = (
            native::peak_rss_with_status(&mut command(0), p.status)?,
            native::peak_rss_with_status(&mut command(1), p.status)?,
        );
        let ratio = walls[0]
            .iter()
            .zip(&walls[1])
            .map(|(s, w)| s.as_secs_f64() / w.as_secs_f64())
            .collect();
        let [mut ws, mut ww] = walls;
        rows.push(RealRun {
            label: p.label.to_string(),
            sowa: Stats::of(&mut ws),
            wasmtime: Stats::of(&mut ww),
            ratio,
            rss_kib,
            compile,
            compile_rss_kib,
            difference,
        });
    }
    Ok(Ok(rows))
}

fn fresh_dir(d: &Path) -> Result<()> {
    if d.exists() {
        std::fs::remove_dir_all(d)?;
    }
    std::fs::create_dir_all(d)?;
    Ok(())
}

/// The files a run left in `d`, by name, sorted.
fn files(d: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(d)? {
        let e = e?;
        v.push((
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read(e.path())?,
        ));
    }
    v.sort();
    Ok(v)
}

/// What differs between sowa's and Wasmtime's first run, if anything.
fn compare(sowa: &Seen, wasmtime: &Seen) -> Option<String> {
    let (Some((so, sf)), Some((wo, wf))) = (sowa, wasmtime) else {
        return Some("no run".into());
    };
    if so != wo {
        return Some("stdout".into());
    }
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    if names(sf) != names(wf) {
        return Some(format!(
            "files written: {:?} against {:?}",
            names(sf),
            names(wf)
        ));
    }
    sf.iter()
        .zip(wf)
        .find(|(a, b)| a.1 != b.1)
        .map(|(a, _)| format!("contents of {}", a.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(out: &str, files: &[(&str, &str)]) -> Seen {
        Some((
            out.as_bytes().to_vec(),
            files
                .iter()
                .map(|(n, c)| (n.to_string(), c.as_bytes().to_vec()))
                .collect(),
        ))
    }

    #[test]
    fn any_difference_is_named() {
        let a = seen("sat\n", &[("x.png", "PNG1")]);
        assert_eq!(compare(&a, &a.clone()), None);
        assert_eq!(
            compare(&a, &seen("unsat\n", &[("x.png", "PNG1")])),
            Some("stdout".into())
        );
        assert_eq!(
            compare(&a, &seen("sat\n", &[("x.png", "PNG2")])),
            Some("contents of x.png".into())
        );
        assert!(compare(&a, &seen("sat\n", &[])).unwrap().contains("files"));
        assert_eq!(compare(&a, &None), Some("no run".into()));
    }
}
