//! The unwinder: from a `throw` in compiled code to the landing pad that handles it.
//!
//! The compiler makes every call inside a `try_table` a call site with a landing pad and
//! lists those sites in the module's handler table (return address, pad, frame size). The
//! `throw` builtin is entered through an architecture stub (`arch::throw_entry`) that passes
//! the thrower's frame pointer and return address; from there the frames are walked by their
//! frame-pointer records (`[fp]` the caller's frame pointer, `[fp + 8]` the return address:
//! Cranelift keeps frame pointers in all of sowa's code). The first return address with a
//! handler entry wins: the stub resumes there with the stack pointer that frame had at the
//! call (`fp - frame size`), its frame pointer, and the exception in the first payload
//! register. Which clause applies, if any, is the pad's business (see the compiler's
//! `translate/exceptions.rs`): the unwinder never needs a frame's instance.
//!
//! The walk ends at the first return address outside registered wasm code: the entry
//! trampoline's return into the host. The exception then leaves wasm: the call that entered
//! it returns a [`Trap`] of reason [`TrapReason::Exception`]. An exception does not cross a
//! host function (wasm calling the host calling wasm): the inner call reports it to the host
//! function like any trap.
//!
//! Frames abandoned by the resumption are wasm frames and this module's own, which hold
//! nothing with a destructor by the time it returns.

use super::{raise, registry, Trap, TrapReason};
use crate::exception::{ExnData, TagData};
use crate::vmcontext::VMLimits;
use sowa_targets::vmctx::{self, VALUE_SLOT};
use std::cell::UnsafeCell;

/// Where the stub resumes: read by `arch::throw_entry` at these offsets.
#[repr(C)]
pub(crate) struct Resume {
    pub pc: usize,
    pub sp: usize,
    pub fp: usize,
    pub exn: usize,
}

thread_local! {
    static RESUME: UnsafeCell<Resume> = const {
        UnsafeCell::new(Resume { pc: 0, sp: 0, fp: 0, exn: 0 })
    };
}

/// The `throw` builtin's tag argument meaning "throw exception `arg` again".
const RETHROW: u32 = u32::MAX;

/// Makes the exception (`tag`'s, with the values at `arg`; or `arg` itself for a rethrow) and
/// finds its handler, starting at the frame whose frame pointer is `fp` and which the throw
/// returns to at `pc`. Returns where to resume, or raises the uncaught exception as a trap.
///
/// # Safety
/// Called only by `arch::throw_entry`, from compiled code of the context `vmctx`, inside
/// `catch_traps`, with `fp` and `pc` the thrower's frame pointer and return address.
pub(crate) unsafe extern "C" fn throw_from_wasm(
    vmctx: *mut u8,
    tag: u32,
    arg: usize,
    mut fp: usize,
    mut pc: usize,
) -> *const Resume {
    let exn = if tag == RETHROW {
        // Compiled code checks for null before it throws again.
        arg as *mut ExnData
    } else {
        // SAFETY: compiled code passes its own context and a tag index it validated, and the
        // values of the tag's type in 16-byte slots at `arg`.
        unsafe { new_exception(vmctx, tag, arg as *const u128) }
    };
    let thrown_at = pc;
    while let Some(info) = registry::lookup(pc) {
        let off = (pc - info.start) as u32;
        if let Some((pad, frame)) = info.tables.handler(off) {
            // A pad outside the text, or a frame larger than the stack below it, only in a
            // damaged module: such an entry is passed over.
            if (pad as usize) < info.len && (frame as usize) <= fp {
                let resume = Resume {
                    pc: info.start + pad as usize,
                    sp: fp - frame as usize,
                    fp,
                    exn: exn as usize,
                };
                return RESUME.with(|r| {
                    // SAFETY: this thread's record, read by the stub before anything else
                    // could write it.
                    unsafe { *r.get() = resume };
                    r.get() as *const Resume
                });
            }
        }
        // SAFETY: `fp` is the frame pointer of a frame of compiled code (the thrower's, or one
        // found by this walk), whose frame record holds the caller's frame pointer and the
        // return address.
        unsafe {
            pc = *((fp + 8) as *const usize);
            fp = *(fp as *const usize);
        }
    }
    let trap = uncaught(exn, thrown_at);
    // SAFETY: inside `catch_traps` (the caller's contract); this frame holds nothing with a
    // destructor now that the report is built.
    unsafe { raise(trap) }
}

/// Records a new exception of tag slot `tag` of `vmctx` with the values at `values`.
///
/// # Safety
/// As [`throw_from_wasm`]'s.
unsafe fn new_exception(vmctx: *mut u8, tag: u32, values: *const u128) -> *mut ExnData {
    // SAFETY: a live context of an instance; its store's limits record points back at it.
    let inst = unsafe { crate::instance::InstanceData::from_vmctx(vmctx) };
    let offsets = &inst.module.inner.offsets;
    // SAFETY: tag slots are filled at instantiation with records of the store.
    let tag = unsafe { *(vmctx.add(offsets.tag_ptr(tag) as usize) as *const *const TagData) };
    // SAFETY: as above; the tag's type gives the number of value slots the thrower wrote.
    let n = unsafe { (*tag).ty.params.len() };
    let mut slots = vec![0u128; n].into_boxed_slice();
    // SAFETY: compiled code wrote `n` slots of VALUE_SLOT bytes at `values` (a stack slot).
    unsafe {
        std::ptr::copy_nonoverlapping(
            values as *const u8,
            slots.as_mut_ptr() as *mut u8,
            n * VALUE_SLOT as usize,
        )
    };
    // SAFETY: the first field of every context points at its store's limits record.
    let limits = unsafe { *(vmctx.add(vmctx::LIMITS as usize) as *const *const VMLimits) };
    // SAFETY: the store outlives every call into its instances.
    let store = unsafe { &*(*limits).store };
    let values = slots.as_ptr();
    store.keep(ExnData { tag, values, slots }, |o| &mut o.exceptions)
}

/// The report of exception `exn`, thrown at return address `pc`, leaving wasm.
fn uncaught(exn: *mut ExnData, pc: usize) -> Trap {
    // SAFETY: a record of the store, alive as long as it.
    let ty = unsafe { &(*(*exn).tag).ty };
    let (func, wasm_offset) = match registry::lookup(pc - 1) {
        Some(info) => {
            let off = (pc - 1 - info.start) as u32;
            let f = info.tables.func_at(off);
            (
                f.map(|f| crate::module::func_name(&info.tables, info.imported_funcs + f)),
                f.and_then(|f| info.tables.function(f))
                    .zip(info.tables.wasm_offset_at(off))
                    .filter(|(f, (at, _))| *at >= f.offset)
                    .map(|(_, (_, wasm))| wasm),
            )
        }
        None => (None, None),
    };
    Trap {
        reason: TrapReason::Exception(format!("of a tag of type {ty}")),
        func,
        wasm_offset,
    }
}
