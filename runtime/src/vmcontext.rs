//! Every record compiled code reads or writes, in one place, each checked at compile time
//! against the offsets the compiler uses (`sowa_targets::vmctx`).
//!
//! ```text
//! vmctx header  ->  VMLimits   (per store: stack limit; then the runtime's own fields)
//! vmctx memories[i] -> VMMemory   (base, length)      lives in the memory, shared by importers
//! vmctx tables[i]   -> VMTable    (base, length)      lives in the table, likewise
//! vmctx globals[i]  -> GlobalCell (16 bytes)          inline for defined globals
//! vmctx funcrefs[i]  = VMFuncRef  (code, vmctx, type id, entry trampoline)
//! ```
//!
//! A layout change here that the compiler does not share fails the build, not a guest. The
//! host function context's one field compiled code reads (its entry point, first) is checked
//! beside `HostFunc` in `func.rs`, whose other fields are Rust's own.

use sowa_targets::vmctx;
use std::mem::{offset_of, size_of};

/// The per-store record found through `vmctx->limits` ([`vmctx::limits`]).
#[repr(C)]
pub(crate) struct VMLimits {
    pub stack_limit: usize,
    /// Where wasm last left for the runtime: see [`crate::gc::collect`].
    pub exit_fp: usize,
    pub exit_pc: usize,
    /// Not read by compiled code: how a host function called by wasm finds its store's
    /// deadline (see [`crate::func::Caller::set_epoch_deadline`]).
    pub watch: *const std::sync::Arc<crate::epoch::Watch>,
    /// Not read by compiled code: the store, for builtins that create objects in it.
    pub store: *const crate::store::StoreInner,
}

/// A linear memory's record ([`vmctx::memory`]).
#[repr(C)]
pub(crate) struct VMMemory {
    pub base: *mut u8,
    /// Atomic because a shared memory grows while other threads' code reads it (a plain
    /// load on both targets, as compiled code's is).
    pub length: std::sync::atomic::AtomicU64,
}

/// A table's record ([`vmctx::table`]).
#[repr(C)]
pub(crate) struct VMTable {
    pub base: *mut usize,
    pub length: u64,
}

/// Storage of one global ([`vmctx::global`]).
#[repr(C, align(16))]
pub(crate) struct GlobalCell(pub [u8; 16]);

/// The record `ref.func` yields, tables hold and imports are called through
/// ([`vmctx::funcref`]).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct VMFuncRef {
    pub wasm_call: usize,
    pub vmctx: *mut u8,
    pub type_id: u32,
    pub _pad: u32,
    /// Entry trampoline for host calls; 0 for host functions, whose `vmctx` is their
    /// `HostFunc`.
    pub array_call: usize,
}

const _: () = {
    use vmctx::{funcref, global, limits, memory, table};
    assert!(offset_of!(VMLimits, stack_limit) == limits::STACK_LIMIT as usize);
    assert!(offset_of!(VMLimits, exit_fp) == limits::EXIT_FP as usize);
    assert!(offset_of!(VMLimits, exit_pc) == limits::EXIT_PC as usize);
    // Compiled code sees the first `limits::SIZE` bytes; the runtime's fields follow.
    assert!(size_of::<VMLimits>() >= limits::SIZE as usize);

    assert!(offset_of!(VMMemory, base) == memory::BASE as usize);
    assert!(offset_of!(VMMemory, length) == memory::LENGTH as usize);
    assert!(size_of::<VMMemory>() == memory::SIZE as usize);

    assert!(offset_of!(VMTable, base) == table::BASE as usize);
    assert!(offset_of!(VMTable, length) == table::LENGTH as usize);
    assert!(size_of::<VMTable>() == table::SIZE as usize);

    assert!(size_of::<GlobalCell>() == global::SIZE as usize);

    assert!(offset_of!(VMFuncRef, wasm_call) == funcref::WASM_CALL as usize);
    assert!(offset_of!(VMFuncRef, vmctx) == funcref::VMCTX as usize);
    assert!(offset_of!(VMFuncRef, type_id) == funcref::TYPE_ID as usize);
    assert!(offset_of!(VMFuncRef, array_call) == funcref::ARRAY_CALL as usize);
    assert!(size_of::<VMFuncRef>() == funcref::SIZE as usize);

    assert!(size_of::<usize>() == vmctx::PTR as usize);
};
