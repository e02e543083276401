//! The runtime functions compiled code calls through `vmctx->builtins` (see
//! `sowa_targets::builtins` for the list and signatures). Those that can fail return 1 and let
//! the compiled caller raise the trap at the right wasm instruction.
//!
//! Those whose work grows with an operand (grow, fill, copy, init) end by checking the store's
//! deadline: a guest spending its time in them would otherwise rarely be in its own code when
//! the interrupt signal comes (see `crate::epoch`), and could outrun its deadline by far.

use crate::gc::ops;
use crate::gc::ops::{
    array_copy, array_fill, array_init_data, array_init_elem, array_new_data, array_new_elem,
};
use crate::instance::InstanceData;
use crate::memory::parking;
use sowa_targets::builtins::Builtin;
use sowa_targets::types::WASM_PAGE_SIZE;
use std::sync::atomic::{AtomicU32, AtomicU64};

/// Status for success.
const OK: u32 = 0;
/// Status that makes the caller trap.
const FAIL: u32 = 1;

/// An array of function addresses.
#[repr(transparent)]
pub(crate) struct BuiltinTable(pub [*const (); 24]);

// SAFETY: the table is immutable and holds code addresses only.
unsafe impl Sync for BuiltinTable {}

/// The table, in [`Builtin`] order.
pub(crate) static TABLE: BuiltinTable = BuiltinTable([
    stoppable::memory_grow as *const (),
    stoppable::memory_fill as *const (),
    stoppable::memory_copy as *const (),
    stoppable::memory_init as *const (),
    data_drop as *const (),
    stoppable::table_grow as *const (),
    stoppable::table_fill as *const (),
    stoppable::table_copy as *const (),
    stoppable::table_init as *const (),
    elem_drop as *const (),
    crate::arch::throw_entry as *const (),
    memory_atomic_notify as *const (),
    stoppable::memory_atomic_wait32 as *const (),
    stoppable::memory_atomic_wait64 as *const (),
    ops::gc_alloc_struct_entry as *const (),
    ops::gc_alloc_array_entry as *const (),
    stoppable::array_fill as *const (),
    stoppable::array_copy as *const (),
    stoppable::array_init_data as *const (),
    stoppable::array_init_elem as *const (),
    array_new_data_entry as *const (),
    array_new_elem_entry as *const (),
    ops::ref_test as *const (),
    ops::func_subtype as *const (),
]);

/// The entry points of the builtins that check the deadline when they are done: each calls
/// the builtin, whose locals are all dropped when it returns, then may abandon the call.
mod stoppable {
    macro_rules! stoppable {
        ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
            pub(super) extern "C" fn $name(vmctx: *mut u8, $($arg: $ty),*) -> $ret {
                let status = super::$name(vmctx, $($arg),*);
                // SAFETY: called from wasm inside `catch_traps`; the builtin's locals were
                // dropped when it returned, and this frame holds nothing with a destructor.
                unsafe { crate::traps::stop_if_due() };
                status
            }
        )*};
    }

    stoppable! {
        memory_grow(mem: u32, delta: u64) -> u64;
        memory_fill(mem: u32, dst: u64, val: u32, len: u64) -> u32;
        memory_copy(dst_mem: u32, src_mem: u32, dst: u64, src: u64, len: u64) -> u32;
        memory_init(mem: u32, data: u32, dst: u64, src: u32, len: u32) -> u32;
        table_grow(table: u32, init: usize, delta: u64) -> u64;
        table_fill(table: u32, dst: u64, val: usize, len: u64) -> u32;
        table_copy(dst_table: u32, src_table: u32, dst: u64, src: u64, len: u64) -> u32;
        table_init(table: u32, elem: u32, dst: u64, src: u32, len: u32) -> u32;
        memory_atomic_wait32(addr: usize, expected: u32, timeout: i64) -> u32;
        memory_atomic_wait64(addr: usize, expected: u64, timeout: i64) -> u32;
    }

    // The GC operations whose work grows with an operand.
    stoppable! {
        array_fill(ty: u32, arr: usize, off: u32, lo: u64, hi: u64, n: u32) -> u32;
        array_copy(ty: u32, dst: usize, doff: u32, src: usize, soff: u32, n: u32) -> u32;
        array_init_data(ty: u32, arr: usize, data: u32, doff: u32, soff: u32, n: u32) -> u32;
        array_init_elem(ty: u32, arr: usize, elem: u32, doff: u32, soff: u32, n: u32) -> u32;
        array_new_data(ty: u32, data: u32, off: u32, len: u32) -> usize;
        array_new_elem(ty: u32, elem: u32, off: u32, len: u32) -> usize;
    }
}

// The allocating builtins may collect: their entries record where the wasm caller is.
crate::arch::exit_stub!(array_new_data_entry => stoppable::array_new_data);
crate::arch::exit_stub!(array_new_elem_entry => stoppable::array_new_elem);

const _: () = assert!(TABLE.0.len() == Builtin::ALL.len());

/// The instance behind a vmctx passed by compiled code.
pub(crate) fn inst<'a>(vmctx: *mut u8) -> &'a mut InstanceData {
    // SAFETY: compiled code passes its own live vmctx, and runs single-threaded per store, so
    // no other reference to the instance is in use during a builtin.
    unsafe { InstanceData::from_vmctx_mut(vmctx) }
}

/// Checks `start + len <= size` without overflow (addresses of 64-bit memories can be near
/// 2^64).
pub(crate) fn in_bounds(start: impl Into<u64>, len: impl Into<u64>, size: u64) -> bool {
    start
        .into()
        .checked_add(len.into())
        .is_some_and(|end| end <= size)
}

fn memory_grow(vmctx: *mut u8, mem: u32, delta: u64) -> u64 {
    let i = inst(vmctx);
    // SAFETY: memories live in the store (a shared one in the stores that import it).
    let m = unsafe { &*i.memories[mem as usize] };
    m.grow(delta).unwrap_or(u64::MAX)
}

fn memory_fill(vmctx: *mut u8, mem: u32, dst: u64, val: u32, len: u64) -> u32 {
    let i = inst(vmctx);
    // SAFETY: memories live in the store; the guest is suspended in this builtin (and other
    // threads' guests touching a shared memory meanwhile race as the program wrote them to).
    let bytes = unsafe { (*i.memories[mem as usize]).bytes_mut() };
    if !in_bounds(dst, len, bytes.len() as u64) {
        return FAIL;
    }
    // In bounds of the memory, so the usize arithmetic cannot overflow.
    bytes[dst as usize..dst as usize + len as usize].fill(val as u8);
    OK
}

fn memory_copy(vmctx: *mut u8, dst_mem: u32, src_mem: u32, dst: u64, src: u64, len: u64) -> u32 {
    let i = inst(vmctx);
    let (d, s) = (i.memories[dst_mem as usize], i.memories[src_mem as usize]);
    // SAFETY: memories live in the store; the copy goes through raw pointers because source and
    // destination may be the same memory (and may overlap).
    unsafe {
        let (dlen, slen) = ((*d).len(), (*s).len());
        if !in_bounds(dst, len, dlen) || !in_bounds(src, len, slen) {
            return FAIL;
        }
        std::ptr::copy(
            (*s).vm.base.add(src as usize),
            (*d).vm.base.add(dst as usize),
            len as usize,
        );
    }
    OK
}

/// The bytes of data segment `data` as `memory.init` and `array.init_data` see them (none once
/// dropped, or for an active segment), or `None` when the record is damaged.
pub(crate) fn segment_bytes(i: &InstanceData, data: u32) -> Option<&[u8]> {
    let mi = &i.module.inner;
    match mi.tables().data_segment(data) {
        // A damaged record: the segment's bytes are not where it says.
        Some(r) if !i.data_dropped(data, r.active) => mi.artifact.data(&r),
        _ => Some(&[]),
    }
}

/// The number of elements of segment `elem` as `table.init` and `array.init_elem` see it.
pub(crate) fn segment_len(i: &InstanceData, elem: u32) -> usize {
    if i.dropped_elems[elem as usize] {
        0
    } else {
        i.module.info().elements[elem as usize].items.len()
    }
}

fn memory_init(vmctx: *mut u8, mem: u32, data: u32, dst: u64, src: u32, len: u32) -> u32 {
    let i = inst(vmctx);
    let Some(bytes) = segment_bytes(i, data) else {
        return FAIL;
    };
    // SAFETY: as in `memory_fill`.
    let mb = unsafe { (*i.memories[mem as usize]).bytes_mut() };
    if !in_bounds(src, len, bytes.len() as u64) || !in_bounds(dst, len, mb.len() as u64) {
        return FAIL;
    }
    // In usize: `dst + len` may be 2^32 exactly, the end of a 4 GiB memory.
    let (dst, src, len) = (dst as usize, src as usize, len as usize);
    mb[dst..dst + len].copy_from_slice(&bytes[src..src + len]);
    OK
}

extern "C" fn data_drop(vmctx: *mut u8, data: u32) {
    inst(vmctx).drop_data(data);
}

fn table_grow(vmctx: *mut u8, table: u32, init: usize, delta: u64) -> u64 {
    let i = inst(vmctx);
    // SAFETY: tables live in the store.
    let t = unsafe { &mut *i.tables[table as usize] };
    // A 32-bit table's -1 is the low half of this one (the caller narrows it).
    t.grow(delta, init).unwrap_or(u64::MAX)
}

fn table_fill(vmctx: *mut u8, table: u32, dst: u64, val: usize, len: u64) -> u32 {
    let i = inst(vmctx);
    // SAFETY: tables live in the store.
    let t = unsafe { &mut *i.tables[table as usize] };
    if !in_bounds(dst, len, t.len()) {
        return FAIL;
    }
    t.elements[dst as usize..dst as usize + len as usize].fill(val);
    OK
}

fn table_copy(vmctx: *mut u8, dst_table: u32, src_table: u32, dst: u64, src: u64, len: u64) -> u32 {
    let i = inst(vmctx);
    let (d, s) = (i.tables[dst_table as usize], i.tables[src_table as usize]);
    // SAFETY: tables live in the store; raw copy because they may be the same table.
    unsafe {
        if !in_bounds(dst, len, (*d).len()) || !in_bounds(src, len, (*s).len()) {
            return FAIL;
        }
        std::ptr::copy(
            (*s).elements.as_ptr().add(src as usize),
            (*d).elements.as_mut_ptr().add(dst as usize),
            len as usize,
        );
    }
    OK
}

fn table_init(vmctx: *mut u8, table: u32, elem: u32, dst: u64, src: u32, len: u32) -> u32 {
    let i = inst(vmctx);
    let n = segment_len(i, elem);
    // SAFETY: tables live in the store.
    let t = unsafe { &mut *i.tables[table as usize] };
    if !in_bounds(src, len, n as u64) || !in_bounds(dst, len, t.len()) {
        return FAIL;
    }
    let tables = i.module.inner.tables();
    for k in 0..len as usize {
        match crate::instance::elem_item(i, &tables, elem, src as usize + k) {
            Some(v) => t.elements[dst as usize + k] = v,
            None => return FAIL,
        }
    }
    OK
}

extern "C" fn elem_drop(vmctx: *mut u8, elem: u32) {
    inst(vmctx).dropped_elems[elem as usize] = true;
}

extern "C" fn memory_atomic_notify(_vmctx: *mut u8, addr: usize, count: u32) -> u32 {
    parking::notify(addr, count)
}

/// Whether the store of this thread's innermost call is past its deadline.
fn call_due() -> bool {
    let state = crate::traps::current_call();
    // SAFETY: a non-null state is this thread's innermost live call, which is waiting here.
    !state.is_null() && unsafe { (*state).due() }
}

fn memory_atomic_wait32(_vmctx: *mut u8, addr: usize, expected: u32, timeout: i64) -> u32 {
    // SAFETY: compiled code passes the address of an aligned, in-bounds 4-byte word of a
    // shared memory (checked before the call); memories never move and outlive the call.
    let word = unsafe { &*(addr as *const AtomicU32) };
    parking::wait(parking::Expected::U32(word, expected), timeout, call_due)
}

fn memory_atomic_wait64(_vmctx: *mut u8, addr: usize, expected: u64, timeout: i64) -> u32 {
    // SAFETY: as above, an aligned, in-bounds 8-byte word.
    let word = unsafe { &*(addr as *const AtomicU64) };
    parking::wait(parking::Expected::U64(word, expected), timeout, call_due)
}

const _: () = assert!(WASM_PAGE_SIZE == 65536);
