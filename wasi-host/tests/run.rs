//! End-to-end tests of the `sowa` runner on the project's test programs: output, exit
//! codes, traps and bad input. The helpers and the cross-target switches are in `common`.

mod common;
use common::*;
use sowa_targets::artifact::HEADER_SIZE;

#[test]
fn hello_world_with_args_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "hello");
    let o = sowa(&[
        "run",
        "--env",
        "GREETING=hi",
        so.to_str().unwrap(),
        "one",
        "two",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "hello, world\narg 1: one\narg 2: two\nGREETING=hi\n"
    );
}

#[test]
fn exit_codes_follow_proc_exit() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "exit_code");
    for code in ["0", "1", "42", "255"] {
        let o = sowa(&["run", so.to_str().unwrap(), code]);
        assert_eq!(o.status.code(), Some(code.parse().unwrap()));
    }
    // main's return value goes through exit() too.
    let hello = compile(dir.path(), "hello");
    let o = sowa(&["run", hello.to_str().unwrap(), "a", "b", "c", "d"]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn arithmetic_of_all_number_types() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "arith");
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Expected values computed by native C (see testsuite/programs/c/arith.c).
    assert_eq!(
        stdout(&o),
        "i32 2119468609\nu32 595930072\ni64 7304386374566809330\nu64 1324013552583545755\n\
         clz 18 ctz 40 pop 24\nf32 8.261845\nf64 1000011000000000.875000\n\
         conv 3 10000000000 -123456792.000 -1234567890123456768.000\nsat -21\n"
    );
}

#[test]
fn direct_and_indirect_calls() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "calls");
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(stdout(&o), "indirect -1632465055\nfib 75025\n");
}

#[test]
fn memory_grows() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "memgrow");
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "grew yes, 16 blocks ok\n");
}

#[test]
fn every_trap_kind_is_reported_with_function_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "traps");
    let so = so.to_str().unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        ("peek_far", &[], "out of bounds memory access"),
        ("poke_far", &[], "out of bounds memory access"),
        ("div_zero", &["0"], "integer divide by zero"),
        ("div_overflow", &[], "integer overflow"),
        ("bad_convert", &[], "invalid conversion to integer"),
        ("convert_overflow", &[], "integer overflow"),
        ("unreachable", &[], "unreachable"),
        ("type_mismatch", &[], "indirect call type mismatch"),
        ("undefined_element", &[], "undefined element"),
        ("uninitialized_element", &[], "uninitialized element"),
        ("table_oob", &[], "out of bounds table access"),
        ("stack_overflow", &["0"], "call stack exhausted"),
    ];
    for (func, args, message) in cases {
        let mut a = vec!["run", "--invoke", func, so];
        a.extend_from_slice(args);
        let o = sowa(&a);
        assert_eq!(o.status.code(), Some(134), "{func}: {}", stderr(&o));
        let err = stderr(&o);
        let want = format!("error: wasm trap: {message} in function '");
        assert!(err.starts_with(&want), "{func}: {err}");
        assert!(err.contains(" at wasm offset 0x"), "{func}: {err}");
    }
    // The report names the exact function and instruction.
    let o = sowa(&["run", "--invoke", "peek_far", so]);
    assert_eq!(
        stderr(&o),
        "error: wasm trap: out of bounds memory access in function 'peek_far' at wasm offset 0x119\n"
    );
    // A function that does not trap still works after all of these.
    let o = sowa(&["run", "--invoke", "ok", so]);
    assert_eq!(stdout(&o), "7\n");
}

#[test]
fn trap_deep_in_a_call_chain_names_the_innermost_function() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "trap_deep");
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(134));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "error: wasm trap: unreachable in function 'innermost_boom' at wasm offset 0x"
        ),
        "{err}"
    );
}

#[test]
fn native_stack_overflow_is_a_trap() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "stack_overflow");
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(134));
    assert!(
        stderr(&o).starts_with("error: wasm trap: call stack exhausted in function 'recurse'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn invoke_prints_results_of_all_types() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "numbers");
    let so = so.to_str().unwrap();
    let run = |args: &[&str]| stdout(&sowa(&[&["run", "--invoke"], args].concat()));
    assert_eq!(
        run(&["add_i64", so, "9007199254740993", "-3"]),
        "9007199254740990\n"
    );
    assert_eq!(run(&["mul_f64", so, "1.5", "-4"]), "-6\n");
    assert_eq!(run(&["sqrt_f32", so, "2.25"]), "1.5\n");
    assert_eq!(run(&["swap", so, "1", "2"]), "2\n1\n");
    assert_eq!(run(&["fill_sum", so, "3"]), "300\n");
    assert_eq!(run(&["sat", so, "1e20"]), "2147483647\n");
    assert_eq!(run(&["ext8", so, "255"]), "-1\n");
    assert_eq!(run(&["grow", so, "2"]), "1\n");
    assert_eq!(run(&["grow", so, "5"]), "-1\n");
}

#[test]
fn runs_wasm_directly_through_the_compile_cache() {
    let o = sowa(&["run", program("hello.wasm").to_str().unwrap()]);
    if own_runner() {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).starts_with("hello, world\n"));
    } else {
        // The device build has no compiler and says so.
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).contains("built without the compiler"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn garbage_and_truncated_inputs_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // A .wasm that is not valid wasm.
    let o = sowa(&["run", program("truncated.wasm").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let want = if own_runner() {
        "invalid wasm at offset"
    } else {
        "built without the compiler"
    };
    assert!(stderr(&o).contains(want), "{}", stderr(&o));
    // Not an ELF file at all.
    let o = sowa(&["run", program("garbage.wasm").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a valid ELF"), "{}", stderr(&o));
    // Truncated shared objects, at many lengths.
    let so = std::fs::read(compile(dir.path(), "hello")).unwrap();
    let cut = dir.path().join("cut.so");
    for len in [0, 3, 64, 200, 700, 4096, so.len() / 2, so.len() - 1] {
        std::fs::write(&cut, &so[..len]).unwrap();
        let o = sowa(&["run", cut.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "len {len}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("error: "), "len {len}");
    }
    // Missing file.
    let o = sowa(&["run", dir.path().join("nope.so").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn tampered_manifest_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let so = std::fs::read(compile(dir.path(), "calls")).unwrap();
    let (core, _) = manifest_ranges(&so);
    let bad = dir.path().join("bad.so");
    // Flip each byte of the manifest header and a spread of bytes of its core: the checksum
    // covers both.
    let step = (core.len() / 200).max(1);
    for i in (core.start..core.end)
        .step_by(step)
        .chain(core.start..core.start + HEADER_SIZE)
    {
        let mut t = so.clone();
        t[i] ^= 0x5a;
        std::fs::write(&bad, &t).unwrap();
        let o = sowa(&["run", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "byte {i}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("error: "), "byte {i}");
    }
}

#[test]
fn damaged_tables_never_crash_the_runner() {
    // The tables are read in place and checked record by record where they are used, not
    // checksummed at load: a damaged one may change what a trap report says or fail the program,
    // but the runner must end with a status of its own, never die of a signal or a panic.
    let dir = tempfile::tempdir().unwrap();
    let so = std::fs::read(compile(dir.path(), "calls")).unwrap();
    let (_, tables) = manifest_ranges(&so);
    assert!(tables.len() > 16, "calls has tables");
    let bad = dir.path().join("bad.so");
    let step = (tables.len() / 150).max(1);
    for i in (tables.start..tables.end).step_by(step) {
        for flip in [0x5a, 0xff] {
            let mut t = so.clone();
            t[i] ^= flip;
            std::fs::write(&bad, &t).unwrap();
            let o = sowa(&["run", bad.to_str().unwrap()]);
            let code = o.status.code();
            assert!(
                matches!(code, Some(0 | 1 | 134)),
                "byte {i} ^ {flip:#x}: status {:?}: {}",
                o.status,
                stderr(&o)
            );
            assert!(!stderr(&o).contains("panicked"), "byte {i}: {}", stderr(&o));
        }
    }
}

/// The file ranges of the manifest's header and core, and of its tables, found by its magic.
fn manifest_ranges(so: &[u8]) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let start = so
        .windows(8)
        .position(|w| w == b"SOWAMOD\0")
        .expect("manifest magic");
    let h = sowa_targets::ManifestHeader::from_bytes(&so[start..]).unwrap();
    let core_end = start + HEADER_SIZE + h.core_len as usize;
    let end = start + h.total_len().unwrap() as usize;
    (start..core_end, core_end..end)
}

#[test]
fn wrong_target_is_refused_with_a_clear_message() {
    let wasm = std::fs::read(program("hello.wasm")).unwrap();
    let other = if target() == sowa_targets::Arch::X86_64 {
        sowa_targets_arch("aarch64")
    } else {
        sowa_targets_arch("x86_64")
    };
    let so = sowa_compiler::compile(
        &wasm,
        &sowa_compiler::Options {
            arch: other,
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.so");
    std::fs::write(&path, so).unwrap();
    let o = sowa(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!("module was compiled for {}", other.name())),
        "{}",
        stderr(&o)
    );
}

fn sowa_targets_arch(name: &str) -> sowa_targets::Arch {
    sowa_targets::Arch::from_name(name).unwrap()
}

#[test]
fn a_start_function_with_parameters_is_a_usage_error_not_a_trap() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(
        dir.path(),
        "start_params",
        r#"(module (memory (export "memory") 1)
             (func (export "_start") (param i32) (result i32) (local.get 0)))"#,
    );
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--invoke"), "{}", stderr(&o));
    // --invoke is the way to call it.
    let o = sowa(&["run", "--invoke", "_start", so.to_str().unwrap(), "7"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "7");
}

#[test]
fn memory_and_stack_limits_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile(dir.path(), "memgrow");
    let so = so.to_str().unwrap();
    // 16 MiB of allocations do not fit in 4 MiB: malloc fails, the program says so.
    let o = sowa(&["run", "--max-memory", "4MiB", so]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "malloc failed\n");
    let o = sowa(&["run", "--max-memory", "64MiB", so]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = sowa(&["run", "--max-memory", "lots", so]);
    assert_eq!(o.status.code(), Some(2), "clap's usage status");
    // Recursion that fits the default stack but not 32 KiB.
    let rec = compile_wat(
        dir.path(),
        "recurse",
        r#"(module (func $r (export "r") (param i32) (result i32)
             (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
               (else (i32.add (i32.const 1) (call $r (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    let rec = rec.to_str().unwrap();
    let o = sowa(&["run", "--invoke", "r", rec, "20000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = sowa(&[
        "run",
        "--max-wasm-stack",
        "32KiB",
        "--invoke",
        "r",
        rec,
        "20000",
    ]);
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("call stack exhausted"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn timeout_stops_a_program_that_never_ends() {
    let dir = tempfile::tempdir().unwrap();
    let spin = compile_wat(
        dir.path(),
        "spin",
        r#"(module
             (func $spin (export "_start") (loop $l (br $l)))
             (func $tail (export "tail") (return_call $tail))
             (func (export "quick") (result i32) (i32.const 7)))"#,
    );
    let spin = spin.to_str().unwrap();
    let started = std::time::Instant::now();
    let o = sowa(&["run", "--timeout", "200ms", spin]);
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("wasm trap: interrupted in function 'spin'"),
        "{}",
        stderr(&o)
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
    // A loop made of tail calls is stopped the same way.
    let o = sowa(&["run", "--timeout", "100ms", "--invoke", "tail", spin]);
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    // A program that ends in time is not disturbed.
    let o = sowa(&["run", "--timeout", "60s", "--invoke", "quick", spin]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "7");
    let o = sowa(&["run", "--timeout", "soon", spin]);
    assert_eq!(o.status.code(), Some(2), "clap's usage status");
}

#[test]
fn timeout_stops_programs_that_spend_their_time_in_the_host() {
    // Signals that find the thread in a WASI call or a builtin leave it alone: the return of a
    // host call checks the deadline, and the timer's later ticks signal a builtin loop again.
    let dir = tempfile::tempdir().unwrap();
    let busy = compile_wat(
        dir.path(),
        "busy",
        r#"(module
             (import "wasi_snapshot_preview1" "clock_time_get"
               (func $clock (param i32 i64 i32) (result i32)))
             (memory 2)
             (func (export "_start")
               (loop $l (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 0))) (br $l)))
             (func (export "fill")
               (loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 131072)) (br $l))))"#,
    );
    let busy = busy.to_str().unwrap();
    for invoke in [None, Some("fill")] {
        let mut args = vec!["run", "--timeout", "100ms"];
        if let Some(f) = invoke {
            args.extend(["--invoke", f]);
        }
        args.push(busy);
        let o = sowa(&args);
        assert_eq!(o.status.code(), Some(134), "{invoke:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    }
}

#[test]
fn verify_runs_only_modules_signed_by_the_key() {
    use sowa_targets::artifact::signature::SecretKey;
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(
        dir.path(),
        "m",
        r#"(module (func (export "f") (result i32) (i32.const 3)))"#,
    );
    let bytes = std::fs::read(&so).unwrap();
    let key = SecretKey::from_seed([42; 32]);
    let public = dir.path().join("key.pub");
    std::fs::write(&public, key.public().to_text()).unwrap();
    let signed = dir.path().join("signed.so");
    std::fs::write(&signed, key.sign(&bytes)).unwrap();
    let (public, signed_s) = (public.to_str().unwrap(), signed.to_str().unwrap());

    let o = sowa(&["run", "--verify", public, "--invoke", "f", signed_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "3");
    // A signed file also runs without --verify.
    let o = sowa(&["run", "--invoke", "f", signed_s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Unsigned, modified (in its code), or signed by another key: refused, status 1.
    let o = sowa(&[
        "run",
        "--verify",
        public,
        "--invoke",
        "f",
        so.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not signed"), "{}", stderr(&o));
    let mut modified = key.sign(&bytes);
    let text = 0x1000;
    modified[text] ^= 0x01;
    std::fs::write(&signed, &modified).unwrap();
    let o = sowa(&["run", "--verify", public, "--invoke", "f", signed_s]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("does not match"), "{}", stderr(&o));
    std::fs::write(&signed, SecretKey::from_seed([1; 32]).sign(&bytes)).unwrap();
    let o = sowa(&["run", "--verify", public, "--invoke", "f", signed_s]);
    assert_eq!(o.status.code(), Some(1));
    let o = sowa(&["run", "--verify", so.to_str().unwrap(), signed_s]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("public key file"), "{}", stderr(&o));
}

/// Relaxed SIMD gives one answer on every target (see `compiler/src/translate/relaxed.rs`): the
/// inputs are the ones where hardware differs (fused or not, overflowing dot products,
/// out-of-range indices and conversions, signed zeros, masks that are not all-ones lanes).
#[test]
fn relaxed_simd_gives_the_same_answers_on_every_target() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(
        dir.path(),
        "relaxed",
        r#"(module
          (func (export "madd") (result v128)
            (f32x4.relaxed_madd (v128.const f32x4 0x1.000002p+0 0x1.000002p+0 0x1.000002p+0 0x1.000002p+0)
                                (v128.const f32x4 0x1.000002p+0 0x1.000002p+0 0x1.000002p+0 0x1.000002p+0)
                                (v128.const f32x4 -0x1.000004p+0 -0x1.000004p+0 -0x1.000004p+0 -0x1.000004p+0)))
          (func (export "dot") (result v128)
            (i16x8.relaxed_dot_i8x16_i7x16_s (i8x16.splat (i32.const -128)) (i8x16.splat (i32.const -128))))
          (func (export "dot_add") (result v128)
            (i32x4.relaxed_dot_i8x16_i7x16_add_s (i8x16.splat (i32.const -128))
                                                  (i8x16.splat (i32.const -128)) (v128.const i64x2 0 0)))
          (func (export "swizzle") (result v128)
            (i8x16.relaxed_swizzle (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
                                   (i8x16.splat (i32.const 200))))
          (func (export "trunc") (result v128)
            (i32x4.relaxed_trunc_f32x4_s (v128.const f32x4 nan 1e10 -1e10 1.5)))
          (func (export "min") (result v128)
            (f32x4.relaxed_min (v128.const f32x4 -0 -0 -0 -0) (v128.const f32x4 0 0 0 0)))
          (func (export "q15") (result v128)
            (i16x8.relaxed_q15mulr_s (i16x8.splat (i32.const -32768)) (i16x8.splat (i32.const -32768))))
          (func (export "laneselect") (result v128)
            (i8x16.relaxed_laneselect (i8x16.splat (i32.const -1)) (v128.const i64x2 0 0)
                                      (v128.const i32x4 0x12345678 0 0 0))))"#,
    );
    let so = so.to_str().unwrap();
    for (func, want) in [
        ("madd", "0x00000000000000000000000000000000"),
        ("dot", "0x80008000800080008000800080008000"),
        ("dot_add", "0xffff0000ffff0000ffff0000ffff0000"),
        ("swizzle", "0x00000000000000000000000000000000"),
        ("trunc", "0x00000001800000007fffffff00000000"),
        ("min", "0x80000000800000008000000080000000"),
        ("q15", "0x7fff7fff7fff7fff7fff7fff7fff7fff"),
        ("laneselect", "0x00000000000000000000000012345678"),
    ] {
        let o = sowa(&["run", "--invoke", func, so]);
        assert_eq!(stdout(&o).trim(), want, "{func}: {}", stderr(&o));
    }
}

/// A memory of one-byte pages (custom-page-sizes) is exactly as large as it says, though it
/// ends inside a host page: the code checks its bounds, on every target.
#[test]
fn memories_of_one_byte_pages_end_where_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wat::parse_str(
        r#"(module
          (memory 100 (pagesize 1))
          (data (i32.const 96) "\01\02\03\04")
          (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
          (func (export "size") (result i32) (memory.size))
          (func (export "grow_then_load") (param i32) (result i32)
            (drop (memory.grow (i32.const 5)))
            (i32.store8 (i32.const 104) (i32.const 7))
            (i32.add (i32.load8_u (local.get 0)) (memory.size))))"#,
    )
    .unwrap();
    let options = sowa_compiler::Options {
        proposals: sowa_compiler::Proposals::DEFAULT
            .with("custom-page-sizes")
            .unwrap(),
        ..Default::default()
    };
    let so = compile_with(dir.path(), "tiny", &wasm, &options);
    let so = so.to_str().unwrap();
    let run = |args: &[&str]| sowa(&[&["run", "--invoke"], args].concat());
    assert_eq!(stdout(&run(&["load", so, "99"])), "4\n");
    assert_eq!(stdout(&run(&["load32", so, "96"])), "67305985\n");
    assert_eq!(stdout(&run(&["size", so])), "100\n");
    assert_eq!(stdout(&run(&["grow_then_load", so, "104"])), "112\n");
    for args in [
        &["load", so, "100"][..],
        &["load32", so, "97"],
        &["grow_then_load", so, "105"],
    ] {
        assert_out_of_bounds(args, &run(args));
    }
}

/// `o`, the run of `args`, ended in an out-of-bounds trap (status 134, the trap's message).
fn assert_out_of_bounds(args: &[&str], o: &std::process::Output) {
    assert_eq!(o.status.code(), Some(134), "{args:?}: {}", stdout(o));
    assert!(
        stderr(o).contains("out of bounds memory access"),
        "{args:?}: {}",
        stderr(o)
    );
}

/// 64-bit memories: indices are `i64`, checked against the length in the code (no guard can
/// cover them), including indices whose sum with the offset passes 2^64.
#[test]
fn memory64_indices_are_checked_in_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wat::parse_str(
        r#"(module
          (memory i64 1 4)
          (func (export "store_load") (param i64) (result i64)
            (i64.store (local.get 0) (i64.const 0x1122334455667788))
            (i64.load (local.get 0)))
          (func (export "load_far") (param i64) (result i32)
            (i32.load offset=0xffffffff (local.get 0)))
          (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
          (func (export "grow_then_size") (result i64)
            (drop (memory.grow (i64.const 2)))
            (memory.size))
          (func (export "fill_far") (param i64)
            (memory.fill (local.get 0) (i32.const 1) (i64.const 16))))"#,
    )
    .unwrap();
    let options = sowa_compiler::Options {
        proposals: sowa_compiler::Proposals::DEFAULT.with("memory64").unwrap(),
        ..Default::default()
    };
    let so = compile_with(dir.path(), "mem64", &wasm, &options);
    let so = so.to_str().unwrap();
    let run = |args: &[&str]| sowa(&[&["run", "--invoke"], args].concat());
    assert_eq!(
        stdout(&run(&["store_load", so, "65528"])),
        "1234605616436508552\n"
    );
    assert_eq!(stdout(&run(&["grow", so, "3"])), "1\n");
    assert_eq!(stdout(&run(&["grow", so, "4"])), "-1\n");
    assert_eq!(stdout(&run(&["grow_then_size", so])), "3\n");
    for args in [
        &["store_load", so, "65529"][..],
        &["store_load", so, "18446744073709551615"],
        &["load_far", so, "18446744069414584321"],
        &["load_far", so, "0"],
        &["fill_far", so, "65521"],
    ] {
        assert_out_of_bounds(args, &run(args));
    }
}

#[test]
fn an_uncaught_exception_is_reported_with_its_tag_and_function() {
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(
        dir.path(),
        "uncaught",
        r#"(module (memory (export "memory") 1)
             (tag $oops (param i32))
             (func $deep (param i32)
               (if (local.get 0)
                 (then (call $deep (i32.sub (local.get 0) (i32.const 1))))
                 (else (throw $oops (i32.const 42)))))
             (func (export "_start")
               ;; A handler that has ended does not take it.
               (block $other
                 (try_table (catch_all $other) (nop)))
               (call $deep (i32.const 10))))"#,
    );
    let o = sowa(&["run", so.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("uncaught exception of a tag of type (param i32) in function 'deep'"),
        "{err}"
    );
}
