//! The WASI host end to end: the project's C programs that exercise every preview1 function
//! (`testsuite/programs/c/wasi_*.c`, `tcp_echo.c`) run by the `sowa` under test, with the
//! path sandbox tested both through `openat2` and through the component walk that stands in
//! for it on older kernels. Differential runs against Wasmtime are in `testsuite`.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;

/// Both ways the sandbox resolves paths: the kernel's `openat2`, and the fallback walk.
const SANDBOX_MODES: [&str; 2] = ["", "1"];

#[test]
fn a_module_importing_all_46_functions_links() {
    assert_eq!(sowa_wasi::preview1::COUNT, 46);
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "wasi_all_imports");
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn files_every_fd_and_path_call() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "wasi_fs");
    for mode in SANDBOX_MODES {
        let sandbox = dir.path().join(format!("box{mode}"));
        std::fs::create_dir(&sandbox).unwrap();
        let preopen = format!("{}::.", sandbox.display());
        let o = sowa_env(
            &["run", "--dir", &preopen, so.to_str().unwrap()],
            &[("SOWA_WASI_NO_OPENAT2", mode)],
        );
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "walk={mode}\n{out}{}", stderr(&o));
        assert!(out.contains("listing: . .. a.txt b.txt sub sym\n"), "{out}");
        assert!(out.ends_with("failures: 0\n"), "{out}");
        // The program cleans up after itself: nothing is left in the directory.
        assert_eq!(std::fs::read_dir(&sandbox).unwrap().count(), 0);
    }
}

fn escape_fixture(root: &Path) -> std::path::PathBuf {
    std::fs::write(root.join("secret.txt"), "secret").unwrap();
    let sandbox = root.join("box");
    std::fs::create_dir(&sandbox).unwrap();
    std::os::unix::fs::symlink("/etc", sandbox.join("out_abs")).unwrap();
    std::os::unix::fs::symlink("../", sandbox.join("out_rel")).unwrap();
    sandbox
}

#[test]
fn every_escape_from_the_preopen_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "wasi_escape");
    for mode in SANDBOX_MODES {
        let root = dir.path().join(format!("root{mode}"));
        std::fs::create_dir(&root).unwrap();
        let sandbox = escape_fixture(&root);
        let preopen = format!("{}::.", sandbox.display());
        let o = sowa_env(
            &["run", "--dir", &preopen, so.to_str().unwrap()],
            &[("SOWA_WASI_NO_OPENAT2", mode)],
        );
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "walk={mode}\n{out}{}", stderr(&o));
        assert!(!out.contains("ESCAPED"), "walk={mode}\n{out}");
        assert!(
            out.lines().filter(|l| l.ends_with(": refused")).count() >= 20,
            "{out}"
        );
        // Nothing outside the sandbox changed.
        let mut outside: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        outside.sort();
        assert_eq!(outside, ["box", "secret.txt"]);
        assert_eq!(
            std::fs::read_to_string(root.join("secret.txt")).unwrap(),
            "secret"
        );
    }
}

#[test]
fn without_dir_the_program_sees_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "wasi_misc");
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert!(stdout(&o).contains("preopen 3: none\n"), "{}", stdout(&o));
}

#[test]
fn args_env_clocks_poll_random_and_preopens() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "wasi_misc");
    let preopen = format!("{}::data", dir.path().display());
    let o = sowa(&[
        "run",
        "--env",
        "SOWA_TEST=yes",
        "--dir",
        &preopen,
        so.to_str().unwrap(),
        "first",
        "second arg",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.starts_with("argc: 3\nargv[1]: first\nargv[2]: second arg\nSOWA_TEST: yes\n"));
    assert!(out.contains("preopen 3: data\n"), "{out}");
    assert!(!out.contains("FAILED"), "{out}");
}

#[test]
fn inherit_env_passes_the_runner_environment() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "wasi_misc");
    let o = sowa_env(
        &["run", "--inherit-env", so.to_str().unwrap()],
        &[("SOWA_TEST", "inherited")],
    );
    assert!(
        stdout(&o).contains("SOWA_TEST: inherited\n"),
        "{}",
        stdout(&o)
    );
    let o = sowa_env(
        &["run", so.to_str().unwrap()],
        &[("SOWA_TEST", "inherited")],
    );
    assert!(
        stdout(&o).contains("SOWA_TEST: (unset)\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn proc_exit_and_proc_raise_set_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "wasi_misc");
    let o = sowa(&["run", so.to_str().unwrap(), "exit7"]);
    assert_eq!(o.status.code(), Some(7));
    // SIGTERM's default action ends the program as a shell reports it: 128 + 15.
    let o = sowa(&["run", so.to_str().unwrap(), "raise"]);
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
}

#[test]
fn bad_pointers_are_efault_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "wasi_efault");
    let preopen = format!("{}::.", dir.path().display());
    let o = sowa(&["run", "--dir", &preopen, so.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    for line in out.lines() {
        let want = if line.contains("unknown clock") {
            ": 28"
        } else {
            ": 21"
        };
        assert!(line.ends_with(want), "{line}\n{out}");
    }
    assert_eq!(out.lines().count(), 10, "{out}");
}

#[test]
fn tcp_echo_over_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "tcp_echo");
    // A free port: bind, note it, release it for the runner.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = sowa_command()
        .args(["run", "--tcplisten", &addr, so.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut conn = None;
    for _ in 0..200 {
        match std::net::TcpStream::connect(&addr) {
            Ok(c) => {
                conn = Some(c);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    let mut conn = conn.expect("the runner never listened");
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let mut w = conn.try_clone().unwrap();
        let p = payload.clone();
        std::thread::spawn(move || {
            w.write_all(&p).unwrap();
            w.shutdown(std::net::Shutdown::Write).unwrap();
        })
    };
    let mut echoed = Vec::new();
    conn.read_to_end(&mut echoed).unwrap();
    writer.join().unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(echoed.len(), payload.len());
    assert!(echoed == payload);
    assert_eq!(stdout(&o), "echoed 100000 bytes, shutdown: 0\n");
}

#[test]
fn path_open_rights_follow_preview1() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(
        dir.path(),
        "open_rights",
        r#"(module
             (import "wasi_snapshot_preview1" "path_open"
               (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 0) ".")
             (data (i32.const 8) "f.txt")
             ;; path_open(fd 3, path, oflags, base rights, fdflags) -> errno
             (func (export "open") (param $path i32) (param $len i32) (param $of i32)
                   (param $base i64) (param $ff i32) (result i32)
               (call $open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len)
                 (local.get $of) (local.get $base) (local.get $base) (local.get $ff)
                 (i32.const 64))))"#,
    );
    let sandbox = dir.path().join("box");
    std::fs::create_dir(&sandbox).unwrap();
    let preopen = format!("{}::.", sandbox.display());
    let open = |path: (u32, u32), of: u32, base: u64, ff: u32| {
        let args = [path.0, path.1, of]
            .iter()
            .map(|v| v.to_string())
            .chain([base.to_string(), ff.to_string()])
            .collect::<Vec<_>>();
        let mut argv = vec!["run", "--dir", &preopen, "--invoke", "open"];
        let so = so.to_str().unwrap();
        argv.push(so);
        argv.extend(args.iter().map(String::as_str));
        let o = sowa(&argv);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o).trim().parse::<u32>().unwrap()
    };
    let (dot, file) = ((0, 1), (8, 5));
    const DIRECTORY: u32 = 2;
    const CREAT: u32 = 1;
    const FD_READ: u64 = 1 << 1;
    const FD_WRITE: u64 = 1 << 6;
    const SYNC: u32 = 16;
    const ISDIR: u32 = 31;
    const NOTSUP: u32 = 58;
    // Reopening the preopened directory with its own rights (FD_DATASYNC among them).
    let dir_rights = sowa_wasi::abi::rights::DIR;
    assert_eq!(
        open(dot, 0, dir_rights, 0),
        0,
        "reopen with the directory's rights"
    );
    assert_eq!(open(dot, DIRECTORY, dir_rights, 0), 0);
    // A directory asked for with FD_WRITE.
    assert_eq!(open(dot, DIRECTORY, FD_READ | FD_WRITE, 0), ISDIR);
    assert_eq!(open(dot, 0, FD_WRITE, 0), ISDIR);
    // Synchronised writes without FD_SYNC.
    assert_eq!(open(file, CREAT, FD_READ | FD_WRITE, SYNC), NOTSUP);
    assert_eq!(open(file, CREAT, FD_READ | FD_WRITE, 0), 0);
}
