//! `sowac`: compiles a `.wasm` file into a sowa shared object (the compiler-only install; the
//! default `sowa` runner has the same command as `sowa compile`).

use clap::Parser;
use sowa_compiler::cli::{CompileArgs, EXAMPLES};
use std::process::ExitCode;

/// Ahead-of-time compile a WebAssembly module into a native ELF shared object.
#[derive(Parser)]
#[command(name = "sowac", version, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    args: CompileArgs,
}

fn main() -> ExitCode {
    match sowa_compiler::cli::run(&Cli::parse().args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
