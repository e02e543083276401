//! Builds the C example (`examples/host.c`) against `libsowa.a` and `include/sowa.h` with a C
//! compiler, runs it on modules compiled for the target under test, and checks what it prints.
//!
//! By default: this machine, `cc`, and a `libsowa.a` built here and now (see [`library`]). For
//! another target
//! (CI does aarch64 under qemu): `SOWA_TEST_TARGET` (compile for it), `SOWA_TEST_CC` (a C
//! compiler for it, e.g. `aarch64-linux-gnu-gcc -static`), `SOWA_TEST_CAPI_LIB` (its
//! `libsowa.a`) and `SOWA_TEST_RUNNER` (the emulator command).

use std::path::{Path, PathBuf};
use std::process::Command;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn target() -> sowa_targets::Arch {
    env("SOWA_TEST_TARGET").map_or_else(
        || sowa_targets::Arch::host().unwrap(),
        |t| sowa_targets::Arch::from_name(&t).expect("SOWA_TEST_TARGET"),
    )
}

/// `libsowa.a` as users build it (`cargo build --release -p sowa-c`: no compiler in it), from
/// the sources under test. `cargo test` builds only the Rust form of the library, and a
/// `libsowa.a` left in `target/release` may be older than the sources, so it is built here, in
/// a target directory of its own (the one `cargo test` holds stays locked while tests run);
/// when nothing changed, that is a second's check.
fn library() -> PathBuf {
    if let Some(l) = env("SOWA_TEST_CAPI_LIB") {
        return l.into();
    }
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().join("capi-test");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--release", "-p", "sowa-c", "--target-dir"])
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "building libsowa.a: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    target.join("release/libsowa.a")
}

fn compile(dir: &Path, name: &str, wasm: &[u8]) -> PathBuf {
    let options = sowa_compiler::Options {
        arch: target(),
        ..Default::default()
    };
    let out = dir.join(format!("{name}.so"));
    std::fs::write(&out, sowa_compiler::compile(wasm, &options).unwrap()).unwrap();
    out
}

#[test]
fn the_c_example_builds_and_runs() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let demo = compile(
        dir.path(),
        "demo",
        &wat::parse_file(here.join("examples/demo.wat")).unwrap(),
    );
    let hello_wasm = here.join("../testsuite/programs/wasm/hello.wasm");
    let hello = compile(dir.path(), "hello", &std::fs::read(hello_wasm).unwrap());

    let cc = env("SOWA_TEST_CC").unwrap_or_else(|| "cc".into());
    let mut cc = cc.split_whitespace();
    let exe = dir.path().join("host");
    let lib = library();
    assert!(
        lib.exists(),
        "{} is missing: build sowa-c first",
        lib.display()
    );
    let built = Command::new(cc.next().unwrap())
        .args(cc)
        .arg(here.join("examples/host.c"))
        .arg("-I")
        .arg(here.join("include"))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"])
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&exe)
        .output()
        .expect("a C compiler (cc, or SOWA_TEST_CC)");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    eprintln!(
        "C example for {}: {} bytes (with {})",
        target(),
        std::fs::metadata(&exe).unwrap().len(),
        lib.display()
    );

    let mut run = match env("SOWA_TEST_RUNNER") {
        Some(r) => {
            let mut parts = r.split_whitespace();
            let mut c = Command::new(parts.next().unwrap());
            c.args(parts).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let out = run
        .arg(&demo)
        .arg(&hello)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{out:?}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = [
        "print: hello from wasm".to_string(),
        "add(40, 2.5) = 42.5".into(),
        "trap: code 2, function div, offset ".into(),
        "ask_host(21) = 42".into(),
        "host error: reason 2: host error: negative input".into(),
        "error: 'add' has type (param i64 f64) (result f64): pass 2 arguments and room for 1 \
         results (got 1 and 1)"
            .into(),
        "trap: code 12, function spin, offset ".into(),
        "finalizers run: 2".into(),
        "hello, world".into(),
        "arg 1: from".into(),
        "arg 2: C".into(),
        "GREETING=hi".into(),
        "hello exited with 0".into(),
    ];
    let mut lines = stdout.lines();
    for want in &expected {
        assert!(
            lines.any(|l| l.starts_with(want.as_str())),
            "'{want}' missing (or out of order) in:\n{stdout}"
        );
    }
}
