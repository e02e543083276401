//! The official spec suite must pass completely, wasm-v2 and each proposal sowa implements:
//! no failures, no skips.

use sowa_compiler::CpuLevel;
use sowa_testsuite::spec;

fn run_set(set: &str) {
    run_set_at(set, CpuLevel::Baseline);
}

fn run_set_at(set: &str, cpu: CpuLevel) {
    let scripts = spec::scripts(set).unwrap();
    let mut failures = Vec::new();
    let totals = spec::run_all(&scripts, 2, cpu, |_, r| {
        failures.extend(r.failures.iter().cloned());
        failures.extend(r.skipped.iter().map(|s| format!("skipped: {s}")));
    });
    assert!(totals.passed > 0);
    assert!(
        failures.is_empty(),
        "{set}: {} failed, {} skipped:\n{}",
        totals.failed,
        totals.skipped,
        failures.join("\n")
    );
}

#[test]
fn wasm_v2() {
    run_set("wasm-v2");
}

/// Compiled for every feature of this CPU (AVX2, FMA, BMI2, AVX-512 where present), Cranelift
/// picks other instructions: the answers must not change.
#[test]
fn wasm_v2_simd_and_relaxed_simd_at_cpu_native() {
    for set in ["wasm-v2", "proposals/simd", "proposals/relaxed-simd"] {
        run_set_at(set, CpuLevel::Native);
    }
}

#[test]
fn tail_call() {
    run_set("proposals/tail-call");
}

#[test]
fn extended_const() {
    run_set("proposals/extended-const");
}

#[test]
fn multi_memory() {
    run_set("proposals/multi-memory");
}

#[test]
fn custom_page_sizes() {
    run_set("proposals/custom-page-sizes");
}

#[test]
fn memory64() {
    run_set("proposals/memory64");
}

#[test]
fn relaxed_simd() {
    run_set("proposals/relaxed-simd");
}

#[test]
fn wide_arithmetic() {
    run_set("proposals/wide-arithmetic");
}

#[test]
fn simd() {
    run_set("proposals/simd");
}

#[test]
fn function_references() {
    run_set("proposals/function-references");
}

#[test]
fn threads() {
    run_set("proposals/threads");
}

#[test]
fn exceptions() {
    run_set("proposals/exceptions");
}

/// WebAssembly 3.0 whole.
#[test]
fn wasm_v3() {
    run_set("wasm-v3");
}

#[test]
fn gc() {
    run_set("proposals/gc");
}
