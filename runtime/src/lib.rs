//! sowa's runtime: instantiates modules compiled by `sowa compile` (or `sowac`) and calls into them.
//!
//! Load a [`Module`] once (from a `.so` or its bytes), then create a [`Store`] per request and
//! instantiate it there, with imports from a [`Linker`]. Calls return the [`Trap`] that stopped
//! them, with the wasm function and byte offset where it happened.
//!
//! # A server: load once, an instance per request, on every thread
//!
//! A [`Module`] is shared by all threads (cloning it is a reference count); a [`Store`], its
//! instances and a [`Linker`] belong to one thread. A worker keeps one store and
//! [`Store::reset`]s it between requests, which makes instantiation allocate nothing.
//!
//! ```
//! use sowa_runtime::{FuncType, Linker, Module, Store, StoreLimits, Val, ValType};
//! # fn compile(wat: &str) -> Vec<u8> {
//! #     sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap()
//! # }
//! // In a real server: `Module::from_file("handler.so")`, made by `sowa compile`.
//! let module = Module::from_bytes(&compile(r#"
//!     (module
//!       (import "env" "worker" (func $worker (result i32)))
//!       (func (export "handle") (param $request i32) (result i32)
//!         (i32.add (i32.mul (local.get $request) (i32.const 1000)) (call $worker))))
//! "#))?;
//! let workers: Vec<_> = (0..4)
//!     .map(|worker| {
//!         let module = module.clone();
//!         std::thread::spawn(move || {
//!             // The host API, defined once per thread; its functions belong to no store.
//!             let mut linker = Linker::new();
//!             let ty = FuncType { params: vec![], results: vec![ValType::I32] };
//!             linker.func_new("env", "worker", ty, move |_caller, _args, results| {
//!                 results[0] = Val::I32(worker);
//!                 Ok(())
//!             });
//!             let mut store = Store::new(StoreLimits::default());
//!             let mut answers = Vec::new();
//!             for request in 0..100 {
//!                 // A fresh instance per request: nothing leaks from one to the next.
//!                 let instance = linker.instantiate(&store, &module).unwrap();
//!                 let handle = instance.get_func("handle").unwrap();
//!                 answers.push(handle.call(&[Val::I32(request)]).unwrap()[0]);
//!                 drop((handle, instance));
//!                 store.reset().expect("no handle to the store's objects is left");
//!             }
//!             answers
//!         })
//!     })
//!     .collect();
//! for (worker, w) in workers.into_iter().enumerate() {
//!     let answers = w.join().unwrap();
//!     assert_eq!(answers[7], Val::I32(7000 + worker as i32));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The folders follow what they own: [`traps`] (signal handling and unwinding), `arch` (the CPU
//! specific context switch and signal context access), `instance` (context layout and
//! instantiation), plus leaf files for memories, tables, globals, functions and builtins.

#![warn(missing_docs)]

mod arch;
mod builtins;
mod epoch;
mod exception;
mod func;
mod gc;
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
pub use exception::Tag;
pub use func::{Caller, Func, HostFn};
pub use gc::{AnyKind, AnyRef, GcStats};
pub use global::Global;
pub use instance::{Extern, Instance, InstantiateError};
pub use linker::{Linker, SharedHostFn};
pub use memory::{Memory, MemoryError, SharedMemory, SharedMemoryError};
pub use module::Module;
pub use sowa_loader::{LoadError, PublicKey};
pub use sowa_targets::{FuncType, GlobalType, HeapType, MemoryType, RefType, TableType, ValType};
pub use store::{Store, StoreInUse, StoreLimits};
pub use table::Table;
pub use traps::{Trap, TrapKind, TrapReason};
pub use values::{ExnRef, ExternRef, FuncRef, Val, ValueError};
