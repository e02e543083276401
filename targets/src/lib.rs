//! The vocabulary shared by the sowa compiler, loader and runtime.
//!
//! Everything both sides of the `.so` must agree on is defined here once: the artifact format
//! ([`artifact`]), the layout of the per-instance context that compiled code reads ([`vmctx`]), the
//! trap kinds ([`trapcode`]), the runtime functions compiled code may call ([`builtins`]), and what
//! differs per CPU architecture ([`arch`]).

#![warn(missing_docs)]

pub mod arch;
pub mod artifact;
pub mod builtins;
pub mod cpu;
pub mod gc;
pub mod trapcode;
pub mod types;
pub mod vmctx;

pub use arch::Arch;
pub use artifact::{Manifest, ManifestHeader, FORMAT_VERSION};
pub use cpu::CpuLevel;
pub use gc::{CompositeType, FieldType, StorageType, SubType};
pub use trapcode::TrapKind;
pub use types::{
    CompositeKind, FuncType, GlobalType, HeapType, MemoryType, RefType, TableType, TypeSpace,
    ValType,
};
