//! The collector: a precise, non-moving mark-sweep over one store's heap.
//!
//! Why this algorithm: objects never move, so compiled code and the host hold plain addresses
//! and nothing is rewritten after a collection; there is no write barrier, so compiled code
//! stores references with one instruction; memory is the objects plus one header word, with
//! no copy reserve, which suits small devices. The cost is a pause in proportion to the live
//! objects (mark) and the heap (sweep), which the threshold keeps in proportion to allocation.
//!
//! Roots, all found precisely:
//! - wasm frames: every call at which GC references are live has a stack map (Cranelift's
//!   user stack maps, recorded in the artifact), listing the stack slots that hold them. The
//!   walk starts where wasm last left for the runtime (the store's limits record: the
//!   allocating builtin's entry stub or a host bridge writes it), follows frame records
//!   (`[fp]`, `[fp + 8]`) until a return address outside compiled code, then goes on with the
//!   activations of the same store further out on this thread (wasm that called the host that
//!   called wasm): each call into wasm saves where the store's wasm had left before it. Stack
//!   maps are trusted as the code they describe is (a signature protects both).
//! - globals and tables of the store's instances, and element segments evaluated at
//!   instantiation;
//! - values of exceptions (kept by the store until it is reset);
//! - references handed to the host, and cells of globals the host made.
//!
//! Marks are a collection number, unique in the process, written into the header's collector
//! word: nothing needs clearing between collections, and a reference into another store's heap
//! (a frame of another store's wasm is never walked, but an object could be passed between
//! stores by a careless host) is at worst marked with a number its own heap never sweeps with.
//!
//! Collections happen only in allocating builtins called from wasm and in
//! [`crate::Store::gc`]: never while the runtime holds a reference to an object it has not
//! rooted.

use crate::store::StoreInner;
use crate::types_registry::TypeInfo;
use crate::vmcontext::VMLimits;
use sowa_targets::gc::{i31, object};
use sowa_targets::{CompositeKind, TypeSpace, ValType};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The next collection number (0 is never used: fresh objects have 0).
static NEXT_MARK: AtomicU32 = AtomicU32::new(1);

struct Marker<'t> {
    mark: u32,
    gray: Vec<u64>,
    types: &'t [Arc<TypeInfo>],
}

impl Marker<'_> {
    /// Marks the object `raw` refers to (if it is one) and queues it for tracing.
    fn mark(&mut self, raw: u64) {
        if raw == 0 || i31::is_i31(raw) {
            return;
        }
        let bits = (raw + object::GC_BITS as u64) as *mut u32;
        // SAFETY: a non-null, non-i31 GC reference found in a root or a traced object is the
        // address of a live object (the heap frees only what the last sweep did not reach).
        unsafe {
            if *bits != self.mark {
                *bits = self.mark;
                self.gray.push(raw);
            }
        }
    }

    /// Marks what the object at `raw` refers to.
    fn trace(&mut self, raw: u64) {
        // SAFETY: `raw` is a live object (see `mark`); its header starts with its type id.
        let id = unsafe { *((raw + object::TYPE_ID as u64) as *const u32) };
        if id == object::HOST_TYPE_ID {
            return;
        }
        let Some(t) = (id as usize).checked_sub(1).and_then(|i| self.types.get(i)) else {
            return;
        };
        for off in &t.ref_fields {
            // SAFETY: a field of the object's own type, inside it.
            self.mark(unsafe { *((raw + *off as u64) as *const u64) });
        }
        if t.ref_elems {
            // SAFETY: an array's length follows its header; reference elements are 8 bytes.
            let len = unsafe { *((raw + object::ARRAY_LEN as u64) as *const u32) };
            for k in 0..len as u64 {
                let at = raw + object::ARRAY_ELEMS as u64 + 8 * k;
                // SAFETY: element `k` < length, inside the array.
                self.mark(unsafe { *(at as *const u64) });
            }
        }
    }

    /// Marks the references in the frames of one activation, from the frame `fp` returning to
    /// `pc` outwards.
    fn frames(&mut self, mut fp: usize, mut pc: usize) {
        while fp != 0 {
            let Some(info) = crate::traps::registry::lookup(pc) else {
                return;
            };
            if let Some((frame, slots)) = info.tables.stack_map((pc - info.start) as u32) {
                let sp = fp.wrapping_sub(frame as usize);
                // Slots lie inside the frame: anything else is a damaged table.
                for off in slots.filter(|o| *o as u64 + 8 <= frame as u64) {
                    // SAFETY: the stack map of the call this frame is in lists the stack
                    // slots holding its live references, relative to its stack pointer.
                    self.mark(unsafe { *((sp + off as usize) as *const u64) });
                }
            }
            // SAFETY: a frame of compiled code (its return address is in the text), whose
            // frame record holds the caller's frame pointer and the return address.
            unsafe {
                pc = *((fp + 8) as *const usize);
                fp = *(fp as *const usize);
            }
        }
    }
}

/// Whether values of type `t` (canonical) are GC references.
pub(crate) fn is_gc(t: ValType) -> bool {
    t.is_gc_ref(&crate::types_registry::Canonical)
}

/// The registry's types, held for a collection, as a [`TypeSpace`] (id `i` at index `i - 1`):
/// what a collection asks instead of [`crate::types_registry::Canonical`], whose lock it holds
/// already (taking it again on the same thread could wait behind a writer for ever).
struct Held<'t>(&'t [Arc<TypeInfo>]);

impl TypeSpace for Held<'_> {
    fn kind(&self, id: u32) -> CompositeKind {
        (id as usize)
            .checked_sub(1)
            .and_then(|i| self.0.get(i))
            .map_or(CompositeKind::Func, |t| t.sub.kind())
    }
    fn is_sub(&self, a: u32, b: u32) -> bool {
        a == b
            || (a as usize)
                .checked_sub(1)
                .and_then(|i| self.0.get(i))
                .is_some_and(|t| t.is_sub_of(b))
    }
}

/// Collects `store`'s garbage; false when it cannot now (the store's object lists are being
/// changed: instantiation evaluating a constant expression).
pub(crate) fn collect(store: &StoreInner) -> bool {
    let Ok(objects) = store.objects.try_borrow() else {
        return false;
    };
    let started = std::time::Instant::now();
    let mut mark = NEXT_MARK.fetch_add(1, Ordering::Relaxed);
    if mark == 0 {
        mark = NEXT_MARK.fetch_add(1, Ordering::Relaxed);
    }
    crate::types_registry::with_all(|types| {
        let held = Held(types);
        let is_gc = |t: ValType| t.is_gc_ref(&held);
        let mut m = Marker {
            mark,
            gray: Vec::new(),
            types,
        };
        let limits: *const VMLimits = store.vm_limits.get();
        // SAFETY: the store's own limits record.
        let (fp, pc) = unsafe { ((*limits).exit_fp, (*limits).exit_pc) };
        m.frames(fp, pc);
        crate::traps::for_each_saved_exit(limits, |fp, pc| m.frames(fp, pc));
        for inst in objects.instances.iter() {
            let info = inst.module.info();
            for (i, cell) in inst.globals.iter().enumerate() {
                if is_gc(
                    inst.module
                        .inner
                        .canonical(crate::instance::global_type(info, i as u32).ty),
                ) {
                    // SAFETY: the instance's global cells are live for the store's life.
                    m.mark(unsafe { *(*cell as *const u64) });
                }
            }
            for (_, items) in &inst.elem_objects {
                for v in items {
                    m.mark(*v as u64);
                }
            }
        }
        for t in objects.tables.iter() {
            if is_gc(ValType::Ref(t.ty.elem)) {
                for v in &t.elements {
                    m.mark(*v as u64);
                }
            }
        }
        for e in objects.exceptions.iter() {
            // SAFETY: an exception's tag lives in the store; its values are one slot per
            // parameter of the tag's type.
            let params = unsafe { &(*e.tag).ty.params };
            for (t, v) in params.iter().zip(e.slots.iter()) {
                if is_gc(*t) {
                    m.mark(*v as u64);
                }
            }
        }
        {
            let heap = store.gc.borrow();
            for r in &heap.exposed {
                m.mark(*r);
            }
            for c in &heap.root_cells {
                // SAFETY: cells of the store's host globals, live until it is reset.
                m.mark(unsafe { **c });
            }
        }
        while let Some(o) = m.gray.pop() {
            m.trace(o);
        }
    });
    drop(objects);
    let mut heap = store.gc.borrow_mut();
    heap.sweep(mark);
    let pause = started.elapsed().as_nanos() as u64;
    heap.stats.collections += 1;
    heap.stats.total_pause_ns += pause;
    heap.stats.max_pause_ns = heap.stats.max_pause_ns.max(pause);
    true
}

/// Collects if the heap has grown past its threshold, before the runtime converts host values
/// into wasm ones (boxing host references): a collection in the middle of such a batch could
/// free a box made for an earlier value, which nothing roots until wasm has it.
pub(crate) fn before_boxing(store: &StoreInner) {
    let due = store.gc.borrow().wants_collection(0);
    if due {
        collect(store);
    }
}

/// Allocates `size` bytes for an object of type `type_id` in `store`'s heap, collecting first
/// when the heap has grown past its threshold, and again when the limit refuses it.
pub(crate) fn alloc(store: &StoreInner, size: u64, type_id: u32) -> Option<*mut u8> {
    let collected = store.gc.borrow().wants_collection(size) && collect(store);
    if let Some(p) = store.gc.borrow_mut().alloc(size, type_id) {
        return Some(p);
    }
    if collected || !collect(store) {
        return None;
    }
    store.gc.borrow_mut().alloc(size, type_id)
}
