//! Helpers shared by the runner's end-to-end tests: compiling the project's test programs
//! (`testsuite/programs`, rebuilt by its `build.sh`) and running the `sowa` under test.
//!
//! By default they compile for this machine and run this package's `sowa`. To test another
//! architecture from here (CI does this for aarch64 under qemu), set `SOWA_TEST_TARGET` (the
//! target to compile for), `SOWA_TEST_SOWA` (that target's runner) and `SOWA_TEST_RUNNER` (the
//! emulator command that runs it).
#![allow(dead_code)] // each test file uses its own share of the helpers

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testsuite/programs/wasm")
        .join(name)
}

/// The architecture the runner under test runs on.
pub fn target() -> sowa_targets::Arch {
    match std::env::var("SOWA_TEST_TARGET") {
        Ok(t) if !t.is_empty() => sowa_targets::Arch::from_name(&t).expect("SOWA_TEST_TARGET"),
        _ => sowa_targets::Arch::host().unwrap(),
    }
}

/// Whether the runner under test is this package's own (built with the compiler feature).
pub fn own_runner() -> bool {
    std::env::var_os("SOWA_TEST_SOWA").is_none()
}

/// Compiles a test program to a `.so` in `dir`.
pub fn compile(dir: &Path, name: &str) -> PathBuf {
    let wasm = std::fs::read(program(&format!("{name}.wasm"))).unwrap();
    compile_bytes(dir, name, &wasm)
}

/// Compiles the module written as WebAssembly text `wat` for the target under test.
#[allow(dead_code)] // not every test binary uses it
pub fn compile_wat(dir: &Path, name: &str, wat: &str) -> PathBuf {
    compile_bytes(dir, name, &wat::parse_str(wat).unwrap())
}

fn compile_bytes(dir: &Path, name: &str, wasm: &[u8]) -> PathBuf {
    let options = sowa_compiler::Options {
        arch: target(),
        ..Default::default()
    };
    compile_with(dir, name, wasm, &options)
}

/// Compiles `wasm` with `options` (for the target under test whatever they say).
pub fn compile_with(
    dir: &Path,
    name: &str,
    wasm: &[u8],
    options: &sowa_compiler::Options,
) -> PathBuf {
    let options = sowa_compiler::Options {
        arch: target(),
        ..*options
    };
    let so = sowa_compiler::compile(wasm, &options).unwrap();
    let out = dir.join(format!("{name}.so"));
    std::fs::write(&out, so).unwrap();
    out
}

/// The runner command; `SOWA_TEST_RUNNER` (e.g. `qemu-aarch64-static -L /usr/aarch64-linux-gnu`)
/// prefixes it when the tests run on an emulated target without binfmt support.
pub fn sowa_command() -> Command {
    let sowa =
        std::env::var("SOWA_TEST_SOWA").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sowa").into());
    match std::env::var("SOWA_TEST_RUNNER") {
        Ok(runner) if !runner.trim().is_empty() => {
            let mut parts = runner.split_whitespace();
            let mut c = Command::new(parts.next().unwrap());
            c.args(parts).arg(sowa);
            c
        }
        _ => Command::new(sowa),
    }
}

pub fn sowa(args: &[&str]) -> Output {
    sowa_env(args, &[])
}

/// Runs the runner with extra environment variables for the runner itself.
pub fn sowa_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = sowa_command()
        .args(args)
        .envs(env.iter().copied())
        .env(
            "SOWA_CACHE_DIR",
            std::env::temp_dir().join("sowa-test-cache"),
        )
        .output()
        .unwrap();
    // Whatever happens, the runner itself must never die of a signal.
    assert!(
        out.status.code().is_some(),
        "sowa was killed by a signal: {out:?}"
    );
    out
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
