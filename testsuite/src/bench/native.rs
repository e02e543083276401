//! Native builds of the workloads (clang -O2 and gcc -O2 of the same C), and process runs with
//! wall time and peak memory.

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A native compiler column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cc {
    /// clang -O2 (the same front end that built the wasm).
    Clang,
    /// gcc -O2.
    Gcc,
}

impl Cc {
    fn command(self) -> &'static str {
        match self {
            Cc::Clang => "clang",
            Cc::Gcc => "gcc",
        }
    }
}

/// Builds workload `name` from `src_dir` into `out_dir`; `static_link` for the cold-start figure.
pub fn build(
    cc: Cc,
    src_dir: &Path,
    out_dir: &Path,
    name: &str,
    static_link: bool,
) -> Result<PathBuf> {
    let suffix = if static_link { "-static" } else { "" };
    let out = out_dir.join(format!("{name}-{}{suffix}", cc.command()));
    let mut cmd = Command::new(cc.command());
    cmd.arg("-O2")
        .arg(src_dir.join(format!("{name}.c")))
        .arg(src_dir.join("bench_main.c"))
        .arg("-o")
        .arg(&out)
        .arg("-lm");
    if static_link {
        cmd.arg("-static");
    }
    let st = cmd.status().with_context(|| {
        format!(
            "running {} (install clang and gcc to benchmark native code)",
            cc.command()
        )
    })?;
    if !st.success() {
        bail!("{} failed on {name}", cc.command());
    }
    Ok(out)
}

/// Runs a native workload once: returns its checksum and the time of `run()` it measured.
pub fn time_run(exe: &Path) -> Result<(i64, Duration)> {
    let o = Command::new(exe).output()?;
    let text = String::from_utf8_lossy(&o.stdout);
    let mut parts = text.split_whitespace();
    let v: i64 = parts.next().ok_or_else(|| anyhow!("no output"))?.parse()?;
    let ns: u64 = parts.next().ok_or_else(|| anyhow!("no time"))?.parse()?;
    Ok((v, Duration::from_nanos(ns)))
}

/// Wall time of a whole process run (stdout discarded).
pub fn wall_time(cmd: &mut Command) -> Result<Duration> {
    let t = Instant::now();
    let st = cmd.stdout(Stdio::null()).status().context("spawning")?;
    let wall = t.elapsed();
    if !st.success() {
        bail!("{cmd:?} failed: {st}");
    }
    Ok(wall)
}

/// Peak resident set size (KiB) of a whole process run: the child's own `VmHWM`, read when it
/// stops on its way out.
///
/// `getrusage`'s `ru_maxrss` is no good here: exec keeps the high-water mark of the image it
/// replaced, and the child starts as a copy of this (much larger) harness. So the child is
/// traced: it stops at exit (`PTRACE_O_TRACEEXIT`) with its memory still mapped, and
/// `/proc/PID/status` gives the peak of its own address space.
pub fn peak_rss(cmd: &mut Command) -> Result<u64> {
    peak_rss_with_status(cmd, 0)
}

/// As [`peak_rss`], for a program whose successful run ends with exit status `expected`.
pub fn peak_rss_with_status(cmd: &mut Command, expected: i32) -> Result<u64> {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only makes one async-signal-safe system call.
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.stdout(Stdio::null()).spawn().context("spawning")?;
    let pid = child.id() as libc::pid_t;
    // The child is reaped below with waitpid; the handle must not wait for it again.
    std::mem::forget(child);
    let mut peak = None;
    let mut first = true;
    loop {
        let mut status = 0;
        // SAFETY: waiting for our own child with a valid out-pointer.
        if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
            bail!("waitpid: {}", std::io::Error::last_os_error());
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != expected {
                bail!("{cmd:?} failed (wait status {status:#x})");
            }
            break;
        }
        let sig = libc::WSTOPSIG(status);
        let event = status >> 16;
        let mut deliver = 0;
        if first && sig == libc::SIGTRAP {
            first = false;
            // SAFETY: `pid` is our stopped tracee.
            unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0, libc::PTRACE_O_TRACEEXIT) };
        } else if sig == libc::SIGTRAP && event == libc::PTRACE_EVENT_EXIT {
            peak = Some(vm_hwm(pid)?);
        } else {
            // A signal of the program's own (sowa's guard-page faults, say): pass it on.
            deliver = sig;
        }
        // SAFETY: `pid` is our stopped tracee.
        unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, deliver) };
    }
    peak.ok_or_else(|| anyhow!("{cmd:?} exited without an exit stop"))
}

fn vm_hwm(pid: libc::pid_t) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or_else(|| anyhow!("no VmHWM in /proc/{pid}/status"))?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow!("bad VmHWM line"))?
        .parse()?)
}
