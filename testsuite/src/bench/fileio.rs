//! WASI file I/O against native: the same C program (`bench/io/fileio.c`) writes and reads back
//! a large file natively, under `sowa run` and under Wasmtime's preview1 host, timing each
//! phase itself so that process start and compilation are left out.

use super::{median, sowa_rt, Dirs};
use anyhow::{anyhow, bail, Context, Result};
use std::process::Command;
use std::time::Duration;

/// One runtime's figures: label, checksum, write time, read time.
pub type IoRow = (String, u64, Duration, Duration);

fn parse(out: &std::process::Output, what: &str) -> Result<(u64, Duration, Duration)> {
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<u64> = text
        .split_whitespace()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{what} printed {text:?}"))?;
    match v[..] {
        [sum, w, r] => Ok((sum, Duration::from_nanos(w), Duration::from_nanos(r))),
        _ => Err(anyhow!("{what} printed {text:?}")),
    }
}

/// Runs the file I/O workload on `mib` MiB, `reps` times per runtime; medians per phase.
pub fn measure(dirs: &Dirs, mib: u64, reps: usize) -> Result<Vec<IoRow>> {
    let io = dirs.bench.join("io");
    let work = dirs.out.join("io-work");
    std::fs::create_dir_all(&work)?;
    let exe = dirs.out.join("fileio-clang");
    let st = Command::new("clang")
        .arg("-O2")
        .arg(io.join("fileio.c"))
        .arg("-o")
        .arg(&exe)
        .status()
        .context("running clang")?;
    if !st.success() {
        bail!("clang failed on fileio.c");
    }
    let wasm_path = io.join("fileio.wasm");
    let so = dirs.out.join("fileio.so");
    std::fs::write(&so, sowa_rt::compile(&std::fs::read(&wasm_path)?)?.0)?;
    let preopen = format!("{}::.", work.display());
    let size = mib.to_string();
    let mut commands: Vec<(String, Command)> = Vec::new();
    let mut c = Command::new(&exe);
    c.arg(&size).current_dir(&work);
    commands.push(("native (clang -O2)".into(), c));
    let mut c = Command::new(dirs.release.join("sowa"));
    c.args(["run", "--dir", &preopen]).arg(&so).arg(&size);
    commands.push(("sowa run (.so)".into(), c));
    let mut c = Command::new(dirs.release.join("wasmtime-wasi-run"));
    c.args(["--dir", &preopen]).arg(&wasm_path).arg(&size);
    commands.push(("Wasmtime (preview1 host)".into(), c));

    // One unmeasured round first (the first write of the file allocates its blocks), then
    // every runtime once per round, so that the page cache's moods fall on all of them.
    let mut times = vec![(Vec::new(), Vec::new(), 0); commands.len()];
    for round in 0..=reps {
        for ((label, cmd), (ws, rs, sum)) in commands.iter_mut().zip(&mut times) {
            let (s, w, r) = parse(&cmd.output()?, label)?;
            if round > 0 {
                *sum = s;
                ws.push(w);
                rs.push(r);
            }
        }
    }
    let rows: Vec<IoRow> = commands
        .into_iter()
        .zip(times)
        .map(|((label, _), (mut ws, mut rs, sum))| (label, sum, median(&mut ws), median(&mut rs)))
        .collect();
    // Keep the process runs honest: all computed the same checksum.
    if rows.windows(2).any(|w| w[0].1 != w[1].1) {
        bail!("file I/O checksums differ: {rows:?}");
    }
    Ok(rows)
}
