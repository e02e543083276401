//! Tests of the `sowac` command line and of the ELF files it writes.

use std::path::Path;
use std::process::Command;

fn program(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testsuite/programs/wasm")
        .join(name)
}

#[test]
fn compiles_with_an_empty_path_and_writes_a_real_shared_object() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hello.so");
    let st = Command::new(env!("CARGO_BIN_EXE_sowac"))
        .env_clear()
        .env("PATH", "")
        .arg(program("hello.wasm"))
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let bytes = std::fs::read(&out).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    assert_eq!(elf.header.e_type, goblin::elf::header::ET_DYN);
    let dynsyms: Vec<&str> = elf
        .dynsyms
        .iter()
        .filter_map(|s| elf.dynstrtab.get_at(s.st_name))
        .collect();
    for want in ["sowa_manifest", "sowa_text", "_start"] {
        assert!(dynsyms.contains(&want), "{want} missing from {dynsyms:?}");
    }
    // No relocations: the code is mapped as it is in the file.
    assert!(elf.dynrelas.is_empty() && elf.dynrels.is_empty() && elf.pltrelocs.is_empty());
    // Function names from the name section are in .symtab for profilers and objdump.
    let names: Vec<&str> = elf
        .syms
        .iter()
        .filter_map(|s| elf.strtab.get_at(s.st_name))
        .collect();
    assert!(names.contains(&"main"), "{names:?}");
    // The text segment is read+execute and page-aligned.
    let text = elf
        .program_headers
        .iter()
        .find(|p| p.is_executable())
        .unwrap();
    assert_eq!(text.p_offset % 4096, 0);
    assert!(!text.is_write());
}

#[test]
fn invalid_wasm_is_an_error_with_an_offset_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for input in ["truncated.wasm", "garbage.wasm"] {
        let out = dir.path().join("x.so");
        let o = Command::new(env!("CARGO_BIN_EXE_sowac"))
            .arg(program(input))
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{input}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("invalid wasm at offset 0x"), "{input}: {err}");
        assert!(!out.exists(), "{input}: output written");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

#[test]
fn unknown_target_and_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sowac"))
        .arg(program("numbers.wasm"))
        .args(["--target", "mips", "-o"])
        .arg(dir.path().join("x.so"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown target 'mips'"));
}

#[test]
fn both_targets_and_all_opt_levels_compile() {
    let dir = tempfile::tempdir().unwrap();
    for target in ["x86_64", "aarch64", "aarch64-unknown-linux-gnu"] {
        for opt in ["none", "speed", "size"] {
            let out = dir.path().join(format!("{target}-{opt}.so"));
            let st = Command::new(env!("CARGO_BIN_EXE_sowac"))
                .arg(program("calls.wasm"))
                .args(["--target", target, "-O", opt, "-o"])
                .arg(&out)
                .status()
                .unwrap();
            assert!(st.success(), "{target} {opt}");
            let bytes = std::fs::read(&out).unwrap();
            let elf = goblin::elf::Elf::parse(&bytes).unwrap();
            let machine = if target.starts_with("aarch64") {
                183
            } else {
                62
            };
            assert_eq!(elf.header.e_machine, machine);
        }
    }
}

#[test]
fn invalid_bodies_name_the_function_and_offset() {
    // A tail call with the tail-call proposal turned off: invalid for that compile, and the
    // error says where, down to the function.
    let wasm =
        wat::parse_str(r#"(module (func $f) (func $uses_tail_call (return_call $f)))"#).unwrap();
    let options = sowa_compiler::Options {
        proposals: sowa_compiler::Proposals::NONE,
        ..Default::default()
    };
    let err = sowa_compiler::compile(&wasm, &options).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("invalid wasm at offset 0x"), "{msg}");
    assert!(msg.contains("in function 'uses_tail_call'"), "{msg}");
    // A type error in a body, with every proposal on.
    let wasm = wat::parse_str(r#"(module (func $bad (result i32) (i64.const 1)))"#).unwrap();
    let msg = sowa_compiler::compile(&wasm, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("invalid wasm at offset 0x"), "{msg}");
    assert!(msg.contains("in function 'bad'"), "{msg}");
}

#[test]
fn a_failed_write_leaves_nothing_behind_and_concurrent_writes_both_land() {
    let dir = tempfile::tempdir().unwrap();
    // The output names a directory: the final rename fails.
    let out = dir.path().join("taken.so");
    std::fs::create_dir(&out).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sowac"))
        .arg(program("hello.wasm"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("taken.so")],
        "no temporary left"
    );
    // Two compilers writing the same output at once: both succeed, the result is whole.
    let same = dir.path().join("same.so");
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_sowac"))
                .arg(program("wasi_fs.wasm"))
                .arg("-o")
                .arg(&same)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let bytes = std::fs::read(&same).unwrap();
    assert!(goblin::elf::Elf::parse(&bytes).is_ok());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn text_modules_compile_and_missing_proposals_are_named_as_sowas_limits() {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("add.wat");
    std::fs::write(
        &wat,
        r#"(module (func (export "add") (param i32 i32) (result i32)
             (i32.add (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let out = dir.path().join("add.so");
    let o = Command::new(env!("CARGO_BIN_EXE_sowac"))
        .arg(&wat)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(&out).unwrap().starts_with(b"\x7fELF"));
    // A valid module using stack switching (a proposal after WebAssembly 3.0), which sowa
    // does not compile yet.
    let exn = dir.path().join("exn.wat");
    std::fs::write(&exn, r#"(module (type $f (func)) (type (cont $f)))"#).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sowac"))
        .arg(&exn)
        .arg("-o")
        .arg(dir.path().join("exn.so"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unsupported at offset"), "{err}");
    assert!(err.contains("does not compile yet"), "{err}");
    assert!(!dir.path().join("exn.so").exists());
}

#[test]
fn generate_key_then_sign_writes_a_verifiable_file() {
    use sowa_targets::artifact::signature::{PublicKey, SignatureError};
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    let o = Command::new(env!("CARGO_BIN_EXE_sowac"))
        .arg("--generate-key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the secret key is private");
    // Never overwrites a key.
    let again = Command::new(env!("CARGO_BIN_EXE_sowac"))
        .arg("--generate-key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(!again.status.success());

    let wat = dir.path().join("m.wat");
    std::fs::write(
        &wat,
        "(module (func (export \"f\") (result i32) (i32.const 3)))",
    )
    .unwrap();
    let so = dir.path().join("m.so");
    let o = Command::new(env!("CARGO_BIN_EXE_sowac"))
        .arg(&wat)
        .arg("-o")
        .arg(&so)
        .arg("--sign")
        .arg(&key)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let public = std::fs::read_to_string(dir.path().join("key.pub")).unwrap();
    let public = PublicKey::from_text(&public).unwrap();
    let bytes = std::fs::read(&so).unwrap();
    assert_eq!(public.verify(&bytes), Ok(()));
    let mut code = bytes.clone();
    code[0x1000] ^= 0x01; // the first byte of the text
    assert_eq!(public.verify(&code), Err(SignatureError::Mismatch));
    // The signed file is still a shared object the tools read.
    goblin::elf::Elf::parse(&bytes).expect("ELF tools read a signed .so");
}

#[test]
fn wasm_turns_proposals_on_and_off_and_errors_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let wide = dir.path().join("wide.wat");
    std::fs::write(
        &wide,
        r#"(module (func (export "m") (param i64 i64) (result i64 i64)
             (i64.mul_wide_s (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let out = dir.path().join("wide.so");
    let sowac = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sowac"))
            .arg(&wide)
            .arg("-o")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    // Off by default, as in Wasmtime: the error says which flag turns it on.
    let o = sowac(&[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("sowa compile --wasm wide-arithmetic"), "{err}");
    assert!(sowac(&["--wasm", "wide-arithmetic"]).status.success());
    assert!(sowac(&["-W", "all"]).status.success());
    // Later settings win; unknown names are refused with the list.
    let o = sowac(&["--wasm", "wide-arithmetic", "--wasm", "wide-arithmetic=n"]);
    assert_eq!(o.status.code(), Some(1));
    let o = sowac(&["--wasm", "stack-switching"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown proposal 'stack-switching'"), "{err}");
    assert!(err.contains("wide-arithmetic"), "{err}");
}
