//! `sowac`: compiles a `.wasm` file into a sowa shared object.

use clap::Parser;
use sowa_compiler::{compile, OptLevel, Options};
use sowa_targets::Arch;
use std::path::PathBuf;
use std::process::ExitCode;

/// Ahead-of-time compile a WebAssembly module into a native ELF shared object.
#[derive(Parser)]
#[command(name = "sowac", version)]
struct Cli {
    /// The `.wasm` module to compile.
    input: PathBuf,
    /// Where to write the shared object.
    #[arg(short, long)]
    output: PathBuf,
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

fn run(cli: Cli) -> Result<(), String> {
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
    let wasm = std::fs::read(&cli.input)
        .map_err(|e| format!("cannot read {}: {e}", cli.input.display()))?;
    let so = compile(
        &wasm,
        &Options {
            arch,
            opt,
            jobs: cli.jobs,
            ..Default::default()
        },
    )
    .map_err(|e| format!("{}: {e}", cli.input.display()))?;
    // Write to a temporary name and rename, so a failed write never leaves a partial artifact.
    let tmp = cli.output.with_extension("so.tmp");
    std::fs::write(&tmp, &so).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &cli.output)
        .map_err(|e| format!("cannot write {}: {e}", cli.output.display()))?;
    Ok(())
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
