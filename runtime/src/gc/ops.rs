//! The runtime functions compiled code calls for GC objects (see `sowa_targets::builtins`):
//! allocation, and the operations whose work grows with an operand (fill, copy, initialise
//! from a segment) or that need the type registry (casts). Field and element reads and writes
//! are compiled in place and never come here.
//!
//! Compiled code has checked that array operands are not null; every index and length is
//! checked here, before anything is written.

use crate::builtins::{in_bounds, segment_bytes, segment_len};
use crate::func::VMFuncRef;
use crate::gc::{kind_of, AnyKind};
use crate::instance::InstanceData;
use crate::types_registry::{Canonical, TypeInfo};
use sowa_targets::gc::{array_size, heap_from_code, i31, object};
use sowa_targets::{CompositeType, FieldType, HeapType, TypeSpace};

/// The instance behind a context compiled code passes. Shared, not exclusive: a collection
/// during the builtin reads every instance of the store.
fn inst<'a>(vmctx: *mut u8) -> &'a InstanceData {
    // SAFETY: compiled code passes its own live context.
    unsafe { InstanceData::from_vmctx(vmctx) }
}

const OK: u32 = 0;
/// Out of the array's bounds.
const ARRAY_BOUNDS: u32 = 1;
/// Out of the segment's bounds.
const SEGMENT_BOUNDS: u32 = 2;

/// What `array.new_data` and `array.new_elem` return for a segment too short (never an
/// object's address, which is 16-aligned).
const NEW_SEGMENT_BOUNDS: usize = 1;

fn info(i: &InstanceData, ty: u32) -> Option<&TypeInfo> {
    i.module.inner.type_infos.get(ty as usize).map(|t| &**t)
}

fn elem_type(t: &TypeInfo) -> Option<FieldType> {
    match &t.sub.composite {
        CompositeType::Array(f) => Some(*f),
        _ => None,
    }
}

/// Bytes of an element of array type `ty` (a module type index).
fn elem_size(i: &InstanceData, ty: u32) -> Option<u32> {
    info(i, ty)
        .and_then(elem_type)
        .map(|e| e.storage.byte_size())
}

/// The length of the array at `arr`.
///
/// # Safety
/// `arr` must be the address of a live array.
unsafe fn len(arr: usize) -> u32 {
    // SAFETY: per contract.
    unsafe { *((arr + object::ARRAY_LEN as usize) as *const u32) }
}

/// Address of element `k` of the array at `arr` whose elements are `size` bytes.
fn elem_addr(arr: usize, size: u32, k: u32) -> *mut u8 {
    (arr + object::ARRAY_ELEMS as usize + k as usize * size as usize) as *mut u8
}

fn alloc_array(i: &InstanceData, ty: u32, n: u32) -> Option<(usize, u32)> {
    let t = info(i, ty)?;
    let elem = elem_type(t)?;
    let p = i
        .store()
        .gc
        .borrow_mut()
        .alloc(array_size(elem, n), t.supers[0])?;
    // SAFETY: a fresh array object: its length goes after the header.
    unsafe { *(p.add(object::ARRAY_LEN as usize) as *mut u32) = n };
    Some((p as usize, elem.storage.byte_size()))
}

crate::arch::exit_stub!(gc_alloc_struct_entry => gc_alloc_struct);
crate::arch::exit_stub!(gc_alloc_array_entry => gc_alloc_array);

pub(crate) extern "C" fn gc_alloc_struct(vmctx: *mut u8, ty: u32) -> usize {
    let i = inst(vmctx);
    let Some(t) = info(i, ty) else { return 0 };
    let size = t.layout.as_ref().map_or(0, |l| l.size) as u64;
    crate::gc::collect::alloc(i.store(), size, t.supers[0]).map_or(0, |p| p as usize)
}

pub(crate) extern "C" fn gc_alloc_array(vmctx: *mut u8, ty: u32, n: u32) -> usize {
    alloc_array(inst(vmctx), ty, n).map_or(0, |(p, _)| p)
}

pub(crate) fn array_fill(
    vmctx: *mut u8,
    ty: u32,
    arr: usize,
    off: u32,
    lo: u64,
    hi: u64,
    n: u32,
) -> u32 {
    let i = inst(vmctx);
    let Some(size) = elem_size(i, ty) else {
        return ARRAY_BOUNDS;
    };
    // SAFETY: compiled code passes a live, non-null array of this type.
    if !in_bounds(off, n, unsafe { len(arr) } as u64) {
        return ARRAY_BOUNDS;
    }
    let value = ((hi as u128) << 64 | lo as u128).to_le_bytes();
    for k in off..off + n {
        // SAFETY: element `k` is in bounds (checked above); elements are `size` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(value.as_ptr(), elem_addr(arr, size, k), size as usize)
        };
    }
    OK
}

pub(crate) fn array_copy(
    vmctx: *mut u8,
    ty: u32,
    dst: usize,
    doff: u32,
    src: usize,
    soff: u32,
    n: u32,
) -> u32 {
    let i = inst(vmctx);
    let Some(size) = elem_size(i, ty) else {
        return ARRAY_BOUNDS;
    };
    // SAFETY: compiled code passes live, non-null arrays (the validator checked that their
    // element types have the same size).
    if !in_bounds(doff, n, unsafe { len(dst) } as u64)
        || !in_bounds(soff, n, unsafe { len(src) } as u64)
    {
        return ARRAY_BOUNDS;
    }
    // SAFETY: both ranges are in bounds; they may overlap (the same array).
    unsafe {
        std::ptr::copy(
            elem_addr(src, size, soff),
            elem_addr(dst, size, doff),
            n as usize * size as usize,
        )
    };
    OK
}

pub(crate) fn array_init_data(
    vmctx: *mut u8,
    ty: u32,
    arr: usize,
    data: u32,
    doff: u32,
    soff: u32,
    n: u32,
) -> u32 {
    let i = inst(vmctx);
    let Some(size) = elem_size(i, ty) else {
        return ARRAY_BOUNDS;
    };
    // SAFETY: compiled code passes a live, non-null array.
    if !in_bounds(doff, n, unsafe { len(arr) } as u64) {
        return ARRAY_BOUNDS;
    }
    let bytes = n as u64 * size as u64;
    match segment_bytes(i, data) {
        Some(b) if in_bounds(soff, bytes, b.len() as u64) => {
            // SAFETY: the destination range is in the array, the source in the segment.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    b.as_ptr().add(soff as usize),
                    elem_addr(arr, size, doff),
                    bytes as usize,
                )
            };
            OK
        }
        _ => SEGMENT_BOUNDS,
    }
}

/// Writes elements `soff..soff + n` of segment `elem` into the array at `arr` from `doff`,
/// both ranges checked by the caller; false when the segment's record is damaged.
fn write_elems(i: &InstanceData, arr: usize, elem: u32, doff: u32, soff: u32, n: u32) -> bool {
    let tables = i.module.inner.tables();
    for k in 0..n {
        let Some(v) = crate::instance::elem_item(i, &tables, elem, (soff + k) as usize) else {
            return false;
        };
        // SAFETY: element `doff + k` is in bounds; reference elements are 8 bytes.
        unsafe { *(elem_addr(arr, 8, doff + k) as *mut u64) = v as u64 };
    }
    true
}

pub(crate) fn array_init_elem(
    vmctx: *mut u8,
    _ty: u32,
    arr: usize,
    elem: u32,
    doff: u32,
    soff: u32,
    n: u32,
) -> u32 {
    let i = inst(vmctx);
    // SAFETY: compiled code passes a live, non-null array.
    if !in_bounds(doff, n, unsafe { len(arr) } as u64) {
        return ARRAY_BOUNDS;
    }
    if !in_bounds(soff, n, segment_len(i, elem) as u64) || !write_elems(i, arr, elem, doff, soff, n)
    {
        return SEGMENT_BOUNDS;
    }
    OK
}

pub(crate) fn array_new_data(vmctx: *mut u8, ty: u32, data: u32, off: u32, n: u32) -> usize {
    let i = inst(vmctx);
    let Some(size) = elem_size(i, ty) else {
        return 0;
    };
    let bytes = n as u64 * size as u64;
    let Some(b) = segment_bytes(i, data).filter(|b| in_bounds(off, bytes, b.len() as u64)) else {
        return NEW_SEGMENT_BOUNDS;
    };
    let Some((arr, _)) = alloc_array(i, ty, n) else {
        return 0;
    };
    // SAFETY: a fresh array of `n` elements; the source range is in the segment.
    unsafe {
        std::ptr::copy_nonoverlapping(
            b.as_ptr().add(off as usize),
            elem_addr(arr, size, 0),
            bytes as usize,
        )
    };
    arr
}

pub(crate) fn array_new_elem(vmctx: *mut u8, ty: u32, elem: u32, off: u32, n: u32) -> usize {
    let i = inst(vmctx);
    if !in_bounds(off, n, segment_len(i, elem) as u64) {
        return NEW_SEGMENT_BOUNDS;
    }
    let Some((arr, _)) = alloc_array(i, ty, n) else {
        return 0;
    };
    if !write_elems(i, arr, elem, 0, off, n) {
        return NEW_SEGMENT_BOUNDS;
    }
    arr
}

/// Whether the non-null reference `raw` is of heap type `target` (canonical), whose
/// hierarchy says how to read it.
pub(crate) fn is_of(raw: u64, target: HeapType) -> bool {
    let actual = match target.top(&Canonical) {
        HeapType::Func => {
            // SAFETY: a non-null function reference is the address of a live funcref record.
            HeapType::Concrete(unsafe { (*(raw as *const VMFuncRef)).type_id })
        }
        HeapType::Any if i31::is_i31(raw) => HeapType::I31,
        HeapType::Any => match kind_of(raw) {
            AnyKind::Host(_) => HeapType::Any,
            // SAFETY: a live object starts with its type id.
            _ => HeapType::Concrete(unsafe { *(raw as *const u32) }),
        },
        top => top,
    };
    actual.is_subtype_of(target, &Canonical)
}

pub(crate) extern "C" fn ref_test(vmctx: *mut u8, raw: usize, code: u32) -> u32 {
    let i = inst(vmctx);
    let target = match heap_from_code(code) {
        Some(HeapType::Concrete(t)) => match i.module.inner.type_ids.get(t as usize) {
            Some(id) => HeapType::Concrete(*id),
            None => return 0,
        },
        Some(h) => h,
        None => return 0,
    };
    is_of(raw as u64, target) as u32
}

pub(crate) extern "C" fn func_subtype(vmctx: *mut u8, actual: u32, ty: u32) -> u32 {
    let i = inst(vmctx);
    i.module
        .inner
        .type_ids
        .get(ty as usize)
        .is_some_and(|want| Canonical.is_sub(actual, *want)) as u32
}
