//! Traps: what stopped a wasm computation, how control gets back to the host, and the signal
//! handlers that turn hardware faults in compiled code into traps.

mod exceptions;
pub(crate) mod registry;
mod signals;
mod unwind;

pub(crate) use exceptions::throw_from_wasm;
pub(crate) use registry::{register_code, CodeInfo, CodeRegistration};
pub use sowa_targets::TrapKind;
pub(crate) use unwind::{
    catch_traps, current as current_call, for_each_saved_exit, raise, stop_if_due,
};

/// Why a call into wasm did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapReason {
    /// A WebAssembly trap.
    Wasm(TrapKind),
    /// The program asked to exit (WASI `proc_exit`).
    Exit(i32),
    /// A host function failed.
    Host(String),
    /// A wasm exception no handler caught left wasm (what it was, for the report).
    Exception(String),
}

/// A trap, with where it happened when it happened in wasm code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// What happened.
    pub reason: TrapReason,
    /// Name of the wasm function that trapped (from the name section, else `func[N]`).
    pub func: Option<String>,
    /// Byte offset of the trapping instruction in the `.wasm` file.
    pub wasm_offset: Option<u32>,
}

impl Trap {
    /// A trap raised by a host function.
    pub fn host(message: impl Into<String>) -> Trap {
        Trap {
            reason: TrapReason::Host(message.into()),
            func: None,
            wasm_offset: None,
        }
    }

    /// A request to end the program with `code`.
    pub fn exit(code: i32) -> Trap {
        Trap {
            reason: TrapReason::Exit(code),
            func: None,
            wasm_offset: None,
        }
    }

    /// A wasm trap without location (raised by the runtime, e.g. during instantiation).
    pub fn wasm(kind: TrapKind) -> Trap {
        Trap {
            reason: TrapReason::Wasm(kind),
            func: None,
            wasm_offset: None,
        }
    }

    /// The wasm trap kind, if this is one.
    pub fn kind(&self) -> Option<TrapKind> {
        match self.reason {
            TrapReason::Wasm(k) => Some(k),
            _ => None,
        }
    }

    /// The exit code, if this is a `proc_exit`.
    pub fn exit_code(&self) -> Option<i32> {
        match self.reason {
            TrapReason::Exit(c) => Some(c),
            _ => None,
        }
    }
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            TrapReason::Wasm(k) => write!(f, "wasm trap: {k}")?,
            TrapReason::Exit(c) => write!(f, "exit with status {c}")?,
            TrapReason::Host(m) => write!(f, "host error: {m}")?,
            TrapReason::Exception(m) => write!(f, "uncaught exception {m}")?,
        }
        if let Some(func) = &self.func {
            write!(f, " in function '{func}'")?;
        }
        if let Some(off) = self.wasm_offset {
            write!(f, " at wasm offset {off:#x}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}
