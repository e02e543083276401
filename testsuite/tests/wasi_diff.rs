//! Differential runs of the WASI host: the project's WASI test programs run by `sowa run` and by
//! Wasmtime's own preview1 host (`wasmtime-wasi-run`) must print the same lines, exit with
//! the same status and leave the same files.
//!
//! Where Wasmtime departs from the preview1 specification, sowa follows the specification; the
//! lines this affects are listed in `DIVERGENCES` with the reason, and left out of the
//! comparison (sowa's own tests check what they must say).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// (program, line prefix, why Wasmtime prints something else).
const DIVERGENCES: &[(&str, &str, &str)] = &[
    (
        "wasi_fs",
        "posix_fallocate:",
        "Wasmtime's fd_allocate checks the descriptor and allocates nothing; preview1 says it \
         forces the allocation, so the file grows",
    ),
    (
        "wasi_fs",
        "drop write right:",
        "Wasmtime no longer tracks preview1 rights: fd_fdstat_set_rights fails",
    ),
    (
        "wasi_fs",
        "fd_write without the right",
        "follows from the line above",
    ),
    ("wasi_fs", "rights cannot grow:", "as above"),
    (
        "wasi_misc",
        "process cputime:",
        "Wasmtime does not provide the process CPU-time clock",
    ),
    (
        "wasi_misc",
        "poll_oneoff on a closed fd",
        "Wasmtime fails the whole call with EBADF; preview1 reports a subscription's error in \
         its event",
    ),
    (
        "wasi_misc",
        "proc_raise(0)",
        "Wasmtime does not implement proc_raise",
    ),
    ("wasi_fs", "failures:", "counts the lines above"),
    ("wasi_misc", "failures:", "counts the lines above"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `sowa` runner of this build (built here if the workspace build has not made it).
fn sowa_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let sowa = dir.join("sowa");
    if !sowa.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut c = Command::new(cargo);
        c.args(["build", "-p", "sowa-wasi", "--bin", "sowa"]);
        if dir.ends_with("release") {
            c.arg("--release");
        }
        assert!(c.status().unwrap().success());
    }
    sowa
}

fn wasm(name: &str) -> String {
    root()
        .join(format!("testsuite/programs/wasm/{name}.wasm"))
        .display()
        .to_string()
}

/// Runs `program` under both hosts with the same `--dir`/`--env` options and arguments, each
/// with a fresh copy of the directory `setup` prepares; returns the outputs and the trees.
fn both(
    program: &str,
    setup: &dyn Fn(&Path) -> Vec<String>,
    args: &[&str],
) -> [(Output, Vec<String>); 2] {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let run = |name: &str, cmd: &mut Command| {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        let opts = setup(&dir);
        let o = cmd
            .args(&opts)
            .arg(wasm(program))
            .args(args)
            .env("SOWA_CACHE_DIR", &cache)
            .output()
            .unwrap();
        (o, tree(&dir))
    };
    let mut sowa = Command::new(sowa_bin());
    sowa.arg("run");
    let mut wasmtime = Command::new(env!("CARGO_BIN_EXE_wasmtime-wasi-run"));
    [run("sowa", &mut sowa), run("wasmtime", &mut wasmtime)]
}

/// Every path under `dir`, relative, sorted, with symlink targets and file sizes.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                out.push(format!(
                    "{rel} -> {}",
                    std::fs::read_link(&p).unwrap().display()
                ));
            } else if meta.is_dir() {
                out.push(format!("{rel}/"));
                walk(base, &p, out);
            } else {
                out.push(format!("{rel} ({} bytes)", meta.len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The lines of `o`'s stdout that both hosts must agree on.
fn comparable(program: &str, o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| {
            !DIVERGENCES
                .iter()
                .any(|(p, prefix, _)| *p == program && l.starts_with(prefix))
        })
        .map(String::from)
        .collect()
}

fn assert_same(program: &str, runs: &[(Output, Vec<String>); 2], same_status: bool) {
    let [(s, s_tree), (w, w_tree)] = runs;
    assert_eq!(
        comparable(program, s),
        comparable(program, w),
        "stdout differs\nsowa stderr: {}\nwasmtime stderr: {}",
        String::from_utf8_lossy(&s.stderr),
        String::from_utf8_lossy(&w.stderr)
    );
    if same_status {
        assert_eq!(s.status.code(), w.status.code(), "exit status differs");
    }
    assert_eq!(s_tree, w_tree, "the hosts left different files");
}

fn preopen_here(dir: &Path) -> Vec<String> {
    vec!["--dir".into(), format!("{}::.", dir.display())]
}

#[test]
fn files_match_wasmtime() {
    let runs = both("wasi_fs", &preopen_here, &[]);
    // sowa's run passes every check (Wasmtime's fails the divergent ones, so its status is 1).
    assert_eq!(runs[0].0.status.code(), Some(0));
    assert_same("wasi_fs", &runs, false);
}

#[test]
fn files_left_behind_match_wasmtime() {
    // A program that leaves files: the same tree under both hosts.
    let setup = |dir: &Path| {
        std::fs::write(dir.join("keep.txt"), "kept").unwrap();
        preopen_here(dir)
    };
    let runs = both("wasi_fs", &setup, &[]);
    assert_same("wasi_fs", &runs, false);
    assert_eq!(runs[0].1, ["keep.txt (4 bytes)"]);
}

#[test]
fn escape_attempts_match_wasmtime() {
    let setup = |dir: &Path| {
        std::fs::write(dir.join("secret.txt"), "secret").unwrap();
        let b = dir.join("box");
        std::fs::create_dir(&b).unwrap();
        std::os::unix::fs::symlink("/etc", b.join("out_abs")).unwrap();
        std::os::unix::fs::symlink("../", b.join("out_rel")).unwrap();
        vec!["--dir".into(), format!("{}::.", b.display())]
    };
    let runs = both("wasi_escape", &setup, &[]);
    assert_eq!(runs[0].0.status.code(), Some(0));
    assert_same("wasi_escape", &runs, true);
}

#[test]
fn args_env_clocks_and_poll_match_wasmtime() {
    let setup = |dir: &Path| {
        vec![
            "--env".into(),
            "SOWA_TEST=same".into(),
            "--dir".into(),
            format!("{}::data", dir.display()),
        ]
    };
    let runs = both("wasi_misc", &setup, &["one", "two words"]);
    assert_eq!(runs[0].0.status.code(), Some(0));
    assert_same("wasi_misc", &runs, false);
    let runs = both("wasi_misc", &setup, &["exit7"]);
    assert_same("wasi_misc", &runs, true);
    assert_eq!(runs[0].0.status.code(), Some(7));
}

#[test]
fn stdio_programs_match_wasmtime() {
    for (program, args) in [
        ("hello", &["a", "b"][..]),
        ("arith", &[]),
        ("calls", &[]),
        ("exit_code", &["3"]),
    ] {
        let runs = both(
            program,
            &|_| vec!["--env".into(), "GREETING=x".into()],
            args,
        );
        assert_same(program, &runs, true);
        if program == "exit_code" {
            assert_eq!(runs[0].0.status.code(), Some(3));
        } else {
            assert!(!runs[0].0.stdout.is_empty(), "{program} printed nothing");
        }
    }
}
