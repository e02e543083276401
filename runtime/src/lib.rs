//! sowa's runtime: instantiates modules compiled by `sowac` and calls into them.
//!
//! Load a [`Module`] once (from a `.so` or its bytes), then create a [`Store`] per request and
//! instantiate it there, with imports from a [`Linker`]. Calls return the [`Trap`] that stopped
//! them, with the wasm function and byte offset where it happened.
//!
//! The folders follow what they own: [`traps`] (signal handling and unwinding), `arch` (the CPU
//! specific context switch and signal context access), `instance` (context layout and
//! instantiation), plus leaf files for memories, tables, globals, functions and builtins.

mod arch;
mod builtins;
mod epoch;
mod func;
mod global;
mod instance;
mod linker;
mod memory;
mod module;
mod store;
mod table;
pub mod traps;
mod types_registry;
mod values;
mod vmcontext;

pub use epoch::Epoch;
pub use func::{Caller, Func, HostFn};
pub use global::Global;
pub use instance::{Extern, Instance, InstantiateError};
pub use linker::{Linker, SharedHostFn};
pub use memory::{Memory, MemoryError};
pub use module::Module;
pub use sowa_loader::{LoadError, PublicKey};
pub use sowa_targets::{FuncType, GlobalType, MemoryType, RefType, TableType, ValType};
pub use store::{Store, StoreInUse, StoreLimits};
pub use table::Table;
pub use traps::{Trap, TrapKind, TrapReason};
pub use values::{FuncRef, Val, ValueError};
