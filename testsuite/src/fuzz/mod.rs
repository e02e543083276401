//! Differential fuzzing against Wasmtime, and robustness fuzzing of the compiler and loader.
//!
//! Three modes, each a loop over cases numbered from a seed (case `i` of seed `S` is case 0 of
//! seed `S + i`, so any case reruns alone with `--seed S+i --count 1`):
//! - `smith` ([`smith`]): a generated module runs under sowa and Wasmtime; results, traps, host
//!   calls and the final exported state must agree ([`outcome`]).
//! - `wasm` ([`mutate`]): bytes of a generated module are mutated; `sowac`'s library must
//!   return a module or an error, never panic or hang.
//! - `so` ([`mutate`]): the ELF header, program headers, manifest (its checksum recomputed) or
//!   memory image of a compiled module are mutated; loading must fail with an error or the
//!   module must run, never panic or crash the process.
//!
//! A failing case is written to `target/fuzz/failures/` with a file saying how to rerun it.

pub mod mutate;
pub mod outcome;
pub mod smith;

use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// SplitMix64: the generator's bytes and the arguments follow from the seed alone.
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Which fuzzer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Generated modules under sowa and Wasmtime.
    Smith,
    /// Mutated `.wasm` into the compiler.
    Wasm,
    /// Mutated `.so` into the loader and runtime.
    So,
}

impl Mode {
    /// The mode's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Smith => "smith",
            Mode::Wasm => "wasm",
            Mode::So => "so",
        }
    }
}

/// Counts of one fuzzing run.
#[derive(Debug, Default)]
pub struct Stats {
    /// Cases tried.
    pub cases: u64,
    /// Modules both runtimes ran and compared (smith), or mutated inputs tried.
    pub compared: u64,
    /// Export calls compared (smith).
    pub calls: u64,
    /// Runs compared up to a stack overflow or deadline only (smith).
    pub inconclusive: u64,
    /// Cases skipped: the generator failed, or a runtime refused to compile the module (each
    /// counted; a module Wasmtime compiles and sowa does not is a failure, not a skip).
    pub skipped: u64,
    /// Inputs refused with an error (wasm and so modes).
    pub refused: u64,
    /// Cases that failed.
    pub failures: Vec<PathBuf>,
}

/// Where failures and scratch files go.
pub struct Dirs {
    /// `target/fuzz`.
    pub root: PathBuf,
    /// `target/fuzz/failures`.
    pub failures: PathBuf,
    /// The generator's allowed imports ([`smith::HOST_IMPORTS`] assembled).
    pub imports: Vec<u8>,
}

impl Dirs {
    /// Creates `target/fuzz` beside the workspace.
    pub fn create() -> Result<Dirs> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz");
        let failures = root.join("failures");
        std::fs::create_dir_all(&failures)?;
        let imports = wat::parse_str(smith::HOST_IMPORTS)?;
        Ok(Dirs {
            root,
            failures,
            imports,
        })
    }

    /// Records a failing case: its input, what went wrong and how to rerun it.
    pub fn record(
        &self,
        mode: Mode,
        seed: u64,
        ext: &str,
        input: &[u8],
        what: &str,
    ) -> Result<PathBuf> {
        let base = self.failures.join(format!("{}-{seed}", mode.name()));
        let input_path = base.with_extension(ext);
        std::fs::write(&input_path, input)?;
        let report = format!(
            "{what}\n\nrerun: cargo run --release -p sowa-testsuite --bin fuzz -- --mode {} \
             --seed {seed} --count 1\ninput: {}\n",
            mode.name(),
            input_path.display()
        );
        let txt = base.with_extension("txt");
        std::fs::write(&txt, report)?;
        Ok(txt)
    }
}

/// How long and from where a fuzzing run goes.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// First seed.
    pub seed: u64,
    /// Stop after this many cases ...
    pub count: Option<u64>,
    /// ... or after this long.
    pub time: Duration,
}

/// One tick of the fuzzer's epoch: the safety-net deadline is [`smith::DEADLINE_TICKS`] ticks.
pub const TICK: Duration = Duration::from_millis(100);

/// Runs `mode` within `budget`, printing a line per failure; `progress` is called now and then.
pub fn run(
    mode: Mode,
    budget: Budget,
    progress: &mut dyn FnMut(&Stats, Duration),
) -> Result<Stats> {
    let dirs = Dirs::create()?;
    let sowa_epoch = sowa_runtime::Epoch::new();
    let engine = smith::wasmtime_engine()?;
    let ticker = {
        let (e, w) = (sowa_epoch.clone(), engine.clone());
        std::thread::spawn(move || loop {
            std::thread::sleep(TICK);
            e.increment();
            w.increment_epoch();
        })
    };
    drop(ticker);
    let mut stats = Stats::default();
    let start = Instant::now();
    let mut last = Instant::now();
    let mut i = 0u64;
    loop {
        if budget.count.is_some_and(|c| i >= c)
            || (budget.count.is_none() && start.elapsed() >= budget.time)
        {
            break;
        }
        let seed = budget.seed.wrapping_add(i);
        i += 1;
        stats.cases += 1;
        match mode {
            Mode::Smith => smith_case(&dirs, seed, &engine, &sowa_epoch, &mut stats)?,
            Mode::Wasm => mutate::wasm_case(&dirs, seed, &mut stats)?,
            Mode::So => mutate::so_case(&dirs, seed, &sowa_epoch, &mut stats)?,
        }
        if last.elapsed() >= Duration::from_secs(10) {
            last = Instant::now();
            progress(&stats, start.elapsed());
        }
    }
    Ok(stats)
}

/// What comparing one generated module found.
pub enum Finding {
    /// The runtimes agreed (completely, or up to a limit).
    Agreed { calls: u64, inconclusive: bool },
    /// The module was not compared, and why.
    Skipped(String),
    /// They disagreed: the description.
    Diverged(String),
}

/// Compiles and runs `wasm` under both runtimes and compares.
pub fn compare_module(
    wasm: &[u8],
    seed: u64,
    engine: &wasmtime::Engine,
    epoch: &sowa_runtime::Epoch,
) -> Finding {
    let plan = match smith::plan(wasm, seed) {
        Ok(p) => p,
        Err(e) => return Finding::Skipped(format!("plan: {e:#}")),
    };
    let wasmtime = match smith::run_wasmtime(engine, wasm, &plan) {
        Ok(r) => r,
        Err(e) => return Finding::Skipped(format!("Wasmtime: {e:#}")),
    };
    let options = sowa_compiler::Options {
        proposals: sowa_compiler::Proposals::ALL,
        ..Default::default()
    };
    let so = match sowa_compiler::compile(wasm, &options) {
        Ok(so) => so,
        Err(e) => return Finding::Diverged(format!("Wasmtime compiles it, sowac does not: {e}")),
    };
    let sowa = match smith::run_sowa(&so, &plan, epoch) {
        Ok(r) => r,
        Err(e) => return Finding::Diverged(format!("sowa could not run it: {e:#}")),
    };
    match outcome::compare(&sowa, &wasmtime) {
        outcome::Verdict::Same => Finding::Agreed {
            calls: plan.calls.len() as u64,
            inconclusive: false,
        },
        outcome::Verdict::Inconclusive => Finding::Agreed {
            calls: plan.calls.len() as u64,
            inconclusive: true,
        },
        outcome::Verdict::Diverged(d) => Finding::Diverged(d.to_string()),
    }
}

fn smith_case(
    dirs: &Dirs,
    seed: u64,
    engine: &wasmtime::Engine,
    epoch: &sowa_runtime::Epoch,
    stats: &mut Stats,
) -> Result<()> {
    let wasm = match smith::generate(seed, &dirs.imports) {
        Ok(w) => w,
        Err(e) => {
            skip(stats, seed, &e.to_string());
            return Ok(());
        }
    };
    let finding = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        compare_module(&wasm, seed, engine, epoch)
    }))
    .unwrap_or_else(|p| Finding::Diverged(format!("panicked: {}", panic_text(&p))));
    match finding {
        Finding::Agreed {
            calls,
            inconclusive,
        } => {
            stats.compared += 1;
            stats.calls += calls;
            stats.inconclusive += inconclusive as u64;
        }
        Finding::Skipped(why) => skip(stats, seed, &why),
        Finding::Diverged(what) => {
            let shrunk = shrink(&wasm, seed, engine, epoch);
            let mut what = format!("sowa and Wasmtime diverge on seed {seed}\n{what}");
            if let Some(small) = shrunk {
                let p = dirs.failures.join(format!("smith-{seed}.shrunk.wasm"));
                std::fs::write(&p, small)?;
                what.push_str(&format!("\nshrunk module: {}", p.display()));
            }
            let path = dirs.record(Mode::Smith, seed, "wasm", &wasm, &what)?;
            eprintln!("FAILURE: {what}\n(written to {})", path.display());
            stats.failures.push(path);
        }
    }
    Ok(())
}

/// Counts a skipped case, saying why when `SOWA_FUZZ_VERBOSE` is set.
fn skip(stats: &mut Stats, seed: u64, why: &str) {
    stats.skipped += 1;
    if std::env::var_os("SOWA_FUZZ_VERBOSE").is_some() {
        eprintln!("seed {seed} skipped: {why}");
    }
}

/// A smaller module that still diverges, if `wasm-shrink` finds one in a few hundred tries.
fn shrink(
    wasm: &[u8],
    seed: u64,
    engine: &wasmtime::Engine,
    epoch: &sowa_runtime::Epoch,
) -> Option<Vec<u8>> {
    let info = wasm_shrink::WasmShrink::default()
        .attempts(300)
        .seed(seed)
        .run(wasm.to_vec(), |w| {
            let f = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                compare_module(w, seed, engine, epoch)
            }));
            Ok(matches!(f, Ok(Finding::Diverged(_)) | Err(_)))
        })
        .ok()?;
    (info.output.len() < wasm.len()).then_some(info.output)
}

/// The message of a caught panic.
pub fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}
