//! The compile command, shared by `sowac` and `sowa compile`: its options, key generation,
//! the progress line, and writing the artifact so that readers never see half of one.

use crate::{compile, OptLevel, Options, Proposals};
use sowa_targets::artifact::signature::SecretKey;
use sowa_targets::{Arch, CpuLevel};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Examples shown at the end of `--help`.
pub const EXAMPLES: &str = "\
Examples:
  sowac app.wasm -o app.so                      compile for this machine
  sowac app.wasm -o app.so --target aarch64     cross-compile for an aarch64 device
  sowac app.wasm -o app.so --cpu native         use every feature of this CPU (AVX2, ...)
  sowac app.wat -o app.so -O size               the text format; smaller code
  sowac app.wasm -o app.so --wasm wide-arithmetic   turn on a proposal Wasmtime leaves off
  sowac --generate-key release.key              make a signing key pair
  sowac app.wasm -o app.so --sign release.key   sign: `sowa run --verify release.key.pub app.so`";

/// Options of the compile command.
#[derive(clap::Args, Debug)]
pub struct CompileArgs {
    /// The module to compile: binary `.wasm`, or WebAssembly text (`.wat`).
    #[arg(required_unless_present = "generate_key")]
    pub input: Option<PathBuf>,
    /// Where to write the shared object, e.g. `-o app.so` (replaced whole, never half-written).
    #[arg(short, long, required_unless_present = "generate_key")]
    pub output: Option<PathBuf>,
    /// Sign the whole shared object with this secret key file (see --generate-key), so that
    /// `sowa run --verify KEY.pub` refuses any other or modified file.
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// Make a signing key pair: writes the secret key to FILE (readable by you only) and the
    /// public key to FILE.pub, then exits.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "output", "sign"])]
    pub generate_key: Option<PathBuf>,
    /// Target architecture: `x86_64` or `aarch64` (or a full triple such as
    /// `aarch64-unknown-linux-gnu`); default: this machine's.
    #[arg(long)]
    pub target: Option<String>,
    /// CPU features the code may use: `baseline` (runs on any x86-64-v2 or aarch64 CPU),
    /// `x86-64-v3` (AVX2, FMA, BMI1/2, LZCNT) or `native` (everything this machine has, as
    /// Wasmtime compiles by default); a CPU without them refuses to load the module.
    #[arg(long, default_value = "baseline", value_name = "LEVEL")]
    pub cpu: String,
    /// Keep every call: do not inline small leaf functions into their callers (which `-O
    /// speed` does; a trap inside an inlined function is reported at the call).
    #[arg(long)]
    pub no_inline: bool,
    /// Optimization level: `none` (fastest compile), `speed` or `size`.
    #[arg(short = 'O', long = "opt-level", default_value = "speed")]
    pub opt: String,
    /// Threads to compile with, e.g. `-j 2` (default 0: one per core).
    #[arg(short = 'j', long, default_value_t = 0)]
    pub jobs: usize,
    /// Turn proposals on or off, as Wasmtime's `-W`: `--wasm wide-arithmetic`,
    /// `--wasm tail-call=n`, `--wasm all` (comma-separated or repeated; default: what Wasmtime
    /// enables, WebAssembly 3.0 without GC; `sowa inspect` lists a module's).
    #[arg(short = 'W', long = "wasm", value_name = "PROPOSAL[=y|n],...")]
    pub wasm: Vec<String>,
}

/// Runs the compile command; the error says what went wrong and what to do about it.
pub fn run(args: &CompileArgs) -> Result<(), String> {
    if let Some(path) = &args.generate_key {
        return generate_key(path);
    }
    let (Some(input), Some(output)) = (&args.input, &args.output) else {
        return Err("give the module to compile and -o OUT.so".into());
    };
    let key = match &args.sign {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read the key {}: {e}", p.display()))?;
            Some(SecretKey::from_text(&text).map_err(|e| format!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let arch = match &args.target {
        Some(t) => Arch::from_name(t)
            .ok_or_else(|| format!("unknown target '{t}': pass --target x86_64 or aarch64"))?,
        None => Arch::host().ok_or("this machine is not a supported target; pass --target")?,
    };
    let opt = OptLevel::from_name(&args.opt).ok_or_else(|| {
        format!(
            "unknown optimization level '{}': pass -O none, speed or size",
            args.opt
        )
    })?;
    let cpu = CpuLevel::from_name(&args.cpu).ok_or_else(|| {
        format!(
            "unknown CPU level '{}': pass --cpu {}",
            args.cpu,
            CpuLevel::NAMES.join(", ")
        )
    })?;
    sowa_targets::cpu::features(arch, cpu).map_err(|e| e.to_string())?;
    let mut proposals = Proposals::DEFAULT;
    for spec in &args.wasm {
        proposals = proposals.with(spec)?;
    }
    let bytes =
        std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    // A `.wat` file is assembled first; anything else is read as a binary module (so a damaged
    // `.wasm` gets the binary reader's error, with its offset).
    let is_text = !bytes.starts_with(b"\0asm")
        && input.extension().is_some_and(|e| e == "wat" || e == "wast");
    let wasm = if is_text {
        wat::parse_bytes(&bytes).map_err(|e| format!("{}: {e}", input.display()))?
    } else {
        std::borrow::Cow::Borrowed(&bytes[..])
    };
    let interactive = std::io::stderr().is_terminal();
    if interactive {
        *PROGRESS.lock().unwrap_or_else(|e| e.into_inner()) = Some(Progress::new());
    }
    let so = compile(
        &wasm,
        &Options {
            arch,
            cpu,
            inline: !args.no_inline,
            opt,
            jobs: args.jobs,
            proposals,
            progress: interactive.then_some(report_progress as fn(usize, usize)),
        },
    );
    if interactive {
        finish_progress();
    }
    let so = so.map_err(|e| format!("{}: {e}", input.display()))?;
    let so = match &key {
        Some(k) => k.sign(&so),
        None => so,
    };
    write_atomically(output, &so)
}

/// Writes a new key pair: the secret to `path` (created 0600, never overwritten), the public
/// key to `path.pub`.
fn generate_key(path: &Path) -> Result<(), String> {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(|e| format!("cannot read random bytes: {e}"))?;
    let key = SecretKey::from_seed(seed);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(key.to_text().as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    std::fs::write(&public, key.public().to_text())
        .map_err(|e| format!("cannot write {}: {e}", public.to_string_lossy()))?;
    eprintln!(
        "wrote the secret key to {} and the public key to {}",
        path.display(),
        public.to_string_lossy()
    );
    Ok(())
}

/// The progress line's state: one compile per process, so one static (the compiler's hook is
/// a plain function pointer, called from every compiling thread).
static PROGRESS: Mutex<Option<Progress>> = Mutex::new(None);

struct Progress {
    started: Instant,
    last_drawn: Option<Instant>,
}

/// Quiet for the first second (most modules are done by then), then at most ten redraws a
/// second.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Progress {
    fn new() -> Progress {
        Progress {
            started: Instant::now(),
            last_drawn: None,
        }
    }

    /// The line to draw now, if any.
    fn line(&mut self, now: Instant, done: usize, total: usize) -> Option<String> {
        if now - self.started < PROGRESS_AFTER
            || self
                .last_drawn
                .is_some_and(|t| now - t < PROGRESS_EVERY && done < total)
        {
            return None;
        }
        self.last_drawn = Some(now);
        Some(format!(
            "compiling: {done}/{total} functions ({}%)",
            done * 100 / total.max(1)
        ))
    }
}

fn report_progress(done: usize, total: usize) {
    let mut p = PROGRESS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(line) = p.as_mut().and_then(|p| p.line(Instant::now(), done, total)) {
        eprint!("\r{line}\x1b[K");
    }
}

/// Clears the progress line, if one was drawn, so that what follows starts on a clean line.
fn finish_progress() {
    let p = PROGRESS.lock().unwrap_or_else(|e| e.into_inner()).take();
    if p.is_some_and(|p| p.last_drawn.is_some()) {
        eprint!("\r\x1b[K");
    }
}

/// Writes `bytes` to a temporary file beside `out` and renames it into place, so that a failed
/// write never leaves a partial artifact and readers see the old file or the new one, never a
/// mixture. The temporary's name is this process's own (two `sowac -o same.so` at once do not
/// share it), and it is removed on every error.
pub fn write_atomically(out: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let name = out
        .file_name()
        .ok_or_else(|| format!("{} is not a file name", out.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = out.with_file_name(tmp_name);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))
        .and_then(|_| {
            std::fs::rename(&tmp, out).map_err(|e| format!("cannot write {}: {e}", out.display()))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_quiet_for_a_second_then_rate_limited() {
        let mut p = Progress::new();
        let t0 = p.started;
        assert_eq!(p.line(t0 + Duration::from_millis(500), 10, 100), None);
        let first = p.line(t0 + Duration::from_millis(1100), 20, 100);
        assert_eq!(first.as_deref(), Some("compiling: 20/100 functions (20%)"));
        assert_eq!(p.line(t0 + Duration::from_millis(1150), 21, 100), None);
        assert!(p.line(t0 + Duration::from_millis(1250), 30, 100).is_some());
        // The last function is always drawn.
        assert!(p.line(t0 + Duration::from_millis(1260), 100, 100).is_some());
    }
}
