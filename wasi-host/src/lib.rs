//! sowa's WASI preview1 host and the `sowa` runner.
//!
//! [`WasiCtx`] holds what a program sees of the world (arguments, environment, open descriptors);
//! [`add_to_linker`] defines the `wasi_snapshot_preview1` functions over it. Guest pointers are
//! checked against linear memory ([`guest`]): a bad pointer is `EFAULT`, never a host fault.

#[cfg(feature = "compiler")]
pub mod cache;
pub mod errno;
pub mod guest;
pub mod preview1;

pub use preview1::add_to_linker;

/// What a WASI program sees of the host.
#[derive(Clone, Debug, Default)]
pub struct WasiCtx {
    /// Program arguments, the program name first.
    pub args: Vec<String>,
    /// Environment variables as `KEY=VALUE`.
    pub env: Vec<String>,
    /// Which of stdin, stdout, stderr the program has closed.
    pub closed: [bool; 3],
}

impl WasiCtx {
    /// A context with `args` and `env`.
    pub fn new(args: Vec<String>, env: Vec<String>) -> WasiCtx {
        WasiCtx {
            args,
            env,
            closed: [false; 3],
        }
    }
}
