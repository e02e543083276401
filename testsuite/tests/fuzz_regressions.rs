//! Every divergence the fuzzer found (`fuzz --mode smith`), as the module it shrank to, run
//! again under sowa and Wasmtime and compared the way the fuzzer compares.
//!
//! `fuzz-regressions/smith-134-null-funcref-after-v128.wasm`: a function taking a `v128` and
//! returning two null funcrefs; the host saw the first as non-null, because the entry
//! trampoline's value slot still held the upper bytes of the `v128` argument and the runtime
//! tested all 16 bytes for null.

use sowa_testsuite::fuzz::{compare_module, smith, Finding};

#[test]
fn shrunk_divergences_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let engine = smith::wasmtime_engine().unwrap();
    let epoch = sowa_runtime::Epoch::new();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wasm") {
            continue;
        }
        let seed: u64 = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('-').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("files are named smith-SEED-what.wasm");
        let wasm = std::fs::read(&path).unwrap();
        match compare_module(&wasm, seed, &engine, &epoch) {
            Finding::Agreed { .. } => {}
            Finding::Skipped(why) => panic!("{}: not compared: {why}", path.display()),
            Finding::Diverged(what) => panic!("{}: {what}", path.display()),
        }
        n += 1;
    }
    assert!(n > 0, "no regression modules in {}", dir.display());
}
