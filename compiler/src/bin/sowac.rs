//! `sowac`: compiles a `.wasm` file into a sowa shared object.

use clap::Parser;
use sowa_compiler::{compile, OptLevel, Options};
use sowa_targets::artifact::signature::SecretKey;
use sowa_targets::Arch;
use std::path::PathBuf;
use std::process::ExitCode;

/// Ahead-of-time compile a WebAssembly module into a native ELF shared object.
#[derive(Parser)]
#[command(name = "sowac", version)]
struct Cli {
    /// The module to compile: binary `.wasm`, or WebAssembly text (`.wat`).
    #[arg(required_unless_present = "generate_key")]
    input: Option<PathBuf>,
    /// Where to write the shared object.
    #[arg(short, long, required_unless_present = "generate_key")]
    output: Option<PathBuf>,
    /// Sign the whole shared object with this secret key file (see --generate-key), so that
    /// `sowa run --verify PUBLIC` refuses any other or modified file.
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,
    /// Make a signing key pair: writes the secret key to FILE (readable by you only) and the
    /// public key to FILE.pub, then exits.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "output", "sign"])]
    generate_key: Option<PathBuf>,
    /// Target architecture: x86_64 or aarch64 (or a full triple); default: this machine's.
    #[arg(long)]
    target: Option<String>,
    /// Optimization level: none, speed or size.
    #[arg(short = 'O', long = "opt-level", default_value = "speed")]
    opt: String,
    /// Threads to compile with (default: one per core).
    #[arg(short = 'j', long, default_value_t = 0)]
    jobs: usize,
}

/// Writes a new key pair: the secret to `path` (created 0600, never overwritten), the public
/// key to `path.pub`.
fn generate_key(path: &std::path::Path) -> Result<(), String> {
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

fn run(cli: Cli) -> Result<(), String> {
    if let Some(path) = &cli.generate_key {
        return generate_key(path);
    }
    let (Some(input), Some(output)) = (&cli.input, &cli.output) else {
        return Err("give the module to compile and -o OUT.so".into());
    };
    let key = match &cli.sign {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read the key {}: {e}", p.display()))?;
            Some(SecretKey::from_text(&text).map_err(|e| format!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let arch = match &cli.target {
        Some(t) => Arch::from_name(t)
            .ok_or_else(|| format!("unknown target '{t}' (expected x86_64 or aarch64)"))?,
        None => Arch::host().ok_or("this machine is not a supported target; pass --target")?,
    };
    let opt = match cli.opt.as_str() {
        "none" | "0" => OptLevel::None,
        "speed" | "2" => OptLevel::Speed,
        "size" | "s" => OptLevel::Size,
        other => return Err(format!("unknown optimization level '{other}'")),
    };
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
    let so = compile(
        &wasm,
        &Options {
            arch,
            opt,
            jobs: cli.jobs,
            ..Default::default()
        },
    )
    .map_err(|e| format!("{}: {e}", input.display()))?;
    let so = match &key {
        Some(k) => k.sign(&so),
        None => so,
    };
    write_atomically(output, &so)
}

/// Writes `bytes` to a temporary file beside `out` and renames it into place, so that a failed
/// write never leaves a partial artifact and readers see the old file or the new one, never a
/// mixture. The temporary's name is this process's own (two `sowac -o same.so` at once do not
/// share it), and it is removed on every error.
fn write_atomically(out: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
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

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
