//! The runner's other commands, end to end: `sowa compile` (the same artifact as the
//! compiler's), `sowa inspect` (text and JSON, `.so` and `.wasm`, any target), and `--help`.

mod common;

use common::*;
use std::path::{Path, PathBuf};

const MODULE: &str = r#"
(module
  (import "env" "log" (func $log (param i32 i64)))
  (import "env" "limit" (global $limit i32))
  (memory (export "memory") 2 16)
  (table 3 funcref)
  (global $count (export "count") (mut i64) (i64.const 0))
  (global i32 (i32.const 1))
  (global i32 (i32.const 2))
  (data (i32.const 16) "hello")
  (data "passive bytes")
  (elem (i32.const 0) $small $big)
  (func $small (export "small") (param i32) (result i32) local.get 0)
  (func $big (export "big") (param f64 f64) (result f64)
    local.get 0 local.get 1 f64.mul local.get 0 f64.add local.get 1 f64.div
    local.get 0 f64.sqrt f64.add)
  (func $init i32.const 1 i64.const 2 call $log)
  (tag (export "oops") (param i32))
  (start $init))
"#;

fn write_wasm(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("m.wasm");
    std::fs::write(&p, wat::parse_str(MODULE).unwrap()).unwrap();
    p
}

/// `sowa compile`s the hello program with `extra` options into a fresh directory: (the
/// directory, kept alive, the `.wasm`, the `.so`).
fn compile_hello(extra: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wasm = program("hello.wasm");
    let out = dir.path().join("hello.so");
    let mut args = vec![
        "compile",
        wasm.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = sowa(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, wasm, out)
}

#[test]
fn compile_writes_what_the_compiler_writes() {
    if !own_runner() {
        return; // the device runner has no compiler
    }
    let (_dir, wasm, out) = compile_hello(&[]);
    let expected =
        sowa_compiler::compile(&std::fs::read(&wasm).unwrap(), &Default::default()).unwrap();
    assert!(
        std::fs::read(&out).unwrap() == expected,
        "not the same artifact"
    );
    let o = sowa(&["run", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("hello, world"), "{}", stdout(&o));
    // Errors say what to do.
    let o = sowa(&["compile", wasm.to_str().unwrap(), "-o", "x.so", "-O", "3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("pass -O none, speed or size"),
        "{}",
        stderr(&o)
    );
    let o = sowa(&[
        "compile",
        wasm.to_str().unwrap(),
        "-o",
        "x.so",
        "--target",
        "mips",
    ]);
    assert!(
        stderr(&o).contains("pass --target x86_64 or aarch64"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn compile_for_this_cpu_runs_here_and_says_so() {
    if !own_runner() {
        return; // the device runner has no compiler
    }
    let (_dir, wasm, out) = compile_hello(&["--cpu", "native"]);
    let o = sowa(&["run", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("hello, world"), "{}", stdout(&o));
    let o = sowa(&["inspect", out.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("runs on this machine"),
        "{}",
        stdout(&o)
    );
    for (cpu, target, says) in [
        (
            "haswell",
            "x86_64",
            "pass --cpu baseline, x86-64-v3, native",
        ),
        ("x86-64-v3", "aarch64", "use `baseline`"),
        (
            "native",
            if cfg!(target_arch = "x86_64") {
                "aarch64"
            } else {
                "x86_64"
            },
            "cross-compile with `baseline`",
        ),
    ] {
        let o = sowa(&[
            "compile",
            wasm.to_str().unwrap(),
            "-o",
            "x.so",
            "--cpu",
            cpu,
            "--target",
            target,
        ]);
        assert_eq!(o.status.code(), Some(1), "--cpu {cpu} --target {target}");
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
}

#[test]
fn inspect_shows_what_a_so_holds() {
    if !own_runner() {
        return; // the device build leaves `inspect` out
    }
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(dir.path(), "m", MODULE);
    let o = sowa(&["inspect", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for want in [
        "sowa module, format ",
        &format!("target       {}", target()),
        "runs on this machine",
        "compiled by  sowac ",
        "-O speed",
        "unsigned (sign with `sowa compile --sign KEY`)",
        "imports (2)",
        "env.log    func (param i32 i64)",
        "env.limit  global i32",
        "exports (5)",
        "oops    tag (param i32)",
        "tags\n        0  defined   (param i32)",
        "memory  memory 2 16",
        "count   global (mut i64)",
        "small   func (param i32) (result i32)",
        "big     func (param f64 f64) (result f64)",
        "functions: 1 imported, 3 defined, ",
        "(131,072 bytes initially)",
        "      0  defined   3 funcref",
        "      0  imported  i32",
        "      1  defined   (mut i64)",
        "    2-3  defined   i32",
        "data segments: 1 active, 1 passive, 13 bytes besides memory 0's initial contents",
        "element segments: 1 active, 0 passive, 2 elements",
        "start function: init",
        ".text",
        ".sowa.manifest",
        "objdump -d --no-show-raw-insn",
    ] {
        assert!(text.contains(want), "'{want}' missing from:\n{text}");
    }
    // Every defined function, by name and index, largest first.
    let largest: Vec<(u64, &str)> = text
        .lines()
        .skip_while(|l| !l.contains("largest:"))
        .skip(1)
        .take(3)
        .map(|l| {
            let (size, name) = l.trim().split_once("  ").unwrap();
            (size.replace(',', "").parse().unwrap(), name)
        })
        .collect();
    assert!(largest.windows(2).all(|w| w[0].0 >= w[1].0), "{text}");
    let mut names: Vec<&str> = largest.iter().map(|(_, n)| *n).collect();
    names.sort();
    assert_eq!(names, ["big (func 2)", "init (func 3)", "small (func 1)"]);
}

#[test]
fn inspect_json_is_complete_and_adds_up() {
    if !own_runner() {
        return; // the device build leaves `inspect` out
    }
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(dir.path(), "m", MODULE);
    let o = sowa(&["inspect", "--json", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "so");
    assert_eq!(v["target"], target().to_string());
    assert_eq!(v["signed"], false);
    assert_eq!(v["module"]["functions"]["defined"], 3);
    assert_eq!(v["module"]["exports"][2]["name"], "small");
    assert_eq!(v["module"]["exports"][2]["ty"], "(param i32) (result i32)");
    assert_eq!(v["module"]["memories"][0]["ty"], "2 16");
    let size = std::fs::metadata(&so).unwrap().len();
    assert_eq!(v["file_bytes"], size);
    let parts: u64 = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(parts, size, "the parts add up to the file");
    let code: u64 = v["module"]["functions"]["code_bytes"].as_u64().unwrap();
    assert!(code > 0 && code < size);
}

#[test]
fn inspect_reads_other_targets_and_signed_files() {
    if !own_runner() {
        return; // the device build leaves `inspect` out
    }
    use sowa_targets::artifact::signature::SecretKey;
    use sowa_targets::Arch;
    let dir = tempfile::tempdir().unwrap();
    let other = match target() {
        Arch::X86_64 => Arch::Aarch64,
        Arch::Aarch64 => Arch::X86_64,
    };
    let wasm = wat::parse_str(MODULE).unwrap();
    let options = sowa_compiler::Options {
        arch: other,
        ..Default::default()
    };
    let so = sowa_compiler::compile(&wasm, &options).unwrap();
    let signed = SecretKey::from_seed([7; 32]).sign(&so);
    let path = dir.path().join("other.so");
    std::fs::write(&path, signed).unwrap();
    let o = sowa(&["inspect", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(&format!("does not run here: compiled for {other}")),
        "{text}"
    );
    assert!(text.contains("signed (check with"), "{text}");
    assert!(text.contains("(signature)"), "{text}");
    if other == Arch::Aarch64 {
        assert!(text.contains("aarch64-linux-gnu-objdump -d"), "{text}");
    }
}

#[test]
fn inspect_describes_a_wasm_and_refuses_what_is_neither() {
    if !own_runner() {
        return; // the device build leaves `inspect` out
    }
    let dir = tempfile::tempdir().unwrap();
    let wasm = write_wasm(dir.path());
    let o = sowa(&["inspect", wasm.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("WebAssembly module (not compiled)"), "{text}");
    assert!(text.contains("bytes of bytecode"), "{text}");
    assert!(
        text.contains("data segments: 1 active, 1 passive, 18 bytes"),
        "{text}"
    );
    assert!(text.contains("sowa compile"), "{text}");
    let o = sowa(&["inspect", "--json", wasm.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "wasm");
    assert_eq!(v["module"]["functions"]["imported"], 1);
    // Something else entirely: an error that says what inspect reads.
    let junk = dir.path().join("junk.so");
    std::fs::write(&junk, b"\x7fELF and then nothing").unwrap();
    let o = sowa(&["inspect", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("sowa inspect reads a .so"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_command_has_examples_in_its_help() {
    let mut commands = vec![vec!["--help"], vec!["run", "--help"]];
    if own_runner() {
        commands.push(vec!["compile", "--help"]);
        commands.push(vec!["inspect", "--help"]);
    }
    for args in commands {
        let o = sowa(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let text = stdout(&o);
        assert!(text.contains("Examples:\n  sowa "), "{args:?}:\n{text}");
    }
}

#[test]
fn running_a_module_with_other_imports_says_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(dir.path(), "m", MODULE);
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("`env`.`log`"), "{err}");
    assert!(
        err.contains("sowa run provides wasi_snapshot_preview1, wasi.thread-spawn"),
        "{err}"
    );
}
