//! A store's GC heap: every object it allocated, the bytes they take against its limit, and
//! the roots only the heap knows of (references handed to the host, cells of host globals).
//!
//! Each object is one allocation of the system allocator, 16-byte aligned and zeroed, and
//! never moves: compiled code and host handles hold plain addresses. The collector
//! ([`super::collect`]) marks the live ones and [`GcHeap::sweep`] frees the rest; the heap
//! frees them all when the store is dropped or reset.

use sowa_targets::gc::object;
use std::alloc::Layout;

/// The objects of one store.
pub(crate) struct GcHeap {
    objects: Vec<(*mut u8, Layout)>,
    bytes: u64,
    limit: u64,
    /// Collect before an allocation that would take the heap past this.
    pub next_gc: u64,
    /// References handed to the host (in a [`crate::Val`]): alive until the store is reset,
    /// since the host may pass them back at any time.
    pub exposed: Vec<u64>,
    /// Cells of globals the host made with a GC reference type.
    pub root_cells: Vec<*const u64>,
    /// What the collector has done.
    pub stats: GcStats,
}

/// What a store's collector has done: counts and pauses, for benchmarks and monitoring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Collections run.
    pub collections: u64,
    /// Their total pause, in nanoseconds.
    pub total_pause_ns: u64,
    /// The longest pause, in nanoseconds.
    pub max_pause_ns: u64,
    /// The most bytes the heap's objects took at once.
    pub peak_bytes: u64,
    /// Bytes the objects took after the last collection.
    pub live_bytes: u64,
}

/// The smallest heap at which a collection runs: below it, collecting costs more than the
/// memory it frees is worth.
const MIN_GC_BYTES: u64 = 1 << 20;

impl GcHeap {
    /// An empty heap that may hold `limit` bytes of objects.
    pub fn new(limit: u64) -> GcHeap {
        GcHeap {
            objects: Vec::new(),
            bytes: 0,
            limit,
            next_gc: MIN_GC_BYTES.min(limit),
            exposed: Vec::new(),
            root_cells: Vec::new(),
            stats: GcStats::default(),
        }
    }

    /// A new zeroed object of `size` bytes (header included) whose header says `type_id`, or
    /// `None` when the heap's limit leaves no room for it.
    pub fn alloc(&mut self, size: u64, type_id: u32) -> Option<*mut u8> {
        let size = size.max(object::ALIGN as u64);
        if size > self.limit.saturating_sub(self.bytes) || size > isize::MAX as u64 / 2 {
            return None;
        }
        let layout = Layout::from_size_align(size as usize, object::ALIGN as usize).ok()?;
        // SAFETY: the layout's size is nonzero.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        if p.is_null() {
            return None;
        }
        self.objects.reserve(1);
        self.objects.push((p, layout));
        self.bytes += size;
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.bytes);
        // SAFETY: a fresh allocation of at least 16 bytes, 16-aligned.
        unsafe { *(p.add(object::TYPE_ID as usize) as *mut u32) = type_id };
        Some(p)
    }

    /// A box holding host value `value`: what an `externref` from the host is in wasm.
    pub fn host_box(&mut self, value: u64) -> Option<u64> {
        let p = self.alloc(object::ALIGN as u64, object::HOST_TYPE_ID)?;
        // SAFETY: a fresh 16-byte object; the value goes after the header.
        unsafe { *(p.add(object::HOST_VALUE as usize) as *mut u64) = value };
        Some(p as u64)
    }

    /// Bytes its objects take.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether an allocation of `size` bytes should collect first.
    pub fn wants_collection(&self, size: u64) -> bool {
        self.bytes.saturating_add(size) > self.next_gc
    }

    /// Frees every object whose collector bits are not `mark` (those the collection that used
    /// `mark` did not reach), and sets the threshold of the next collection: twice what
    /// survived, so that collections cost time in proportion to allocation.
    pub fn sweep(&mut self, mark: u32) {
        let mut bytes = 0;
        self.objects.retain(|&(p, layout)| {
            // SAFETY: every listed object is live until freed here; its header starts it.
            let bits = unsafe { *(p.add(object::GC_BITS as usize) as *const u32) };
            if bits == mark {
                bytes += layout.size() as u64;
                true
            } else {
                // SAFETY: allocated in `alloc` with this layout, and unreachable: freed once.
                unsafe { std::alloc::dealloc(p, layout) };
                false
            }
        });
        self.bytes = bytes;
        self.stats.live_bytes = bytes;
        self.next_gc = bytes.saturating_mul(2).max(MIN_GC_BYTES).min(self.limit);
    }

    /// Frees every object and forgets every root.
    pub fn clear(&mut self) {
        for (p, layout) in self.objects.drain(..) {
            // SAFETY: allocated in `alloc` with this layout, freed once (drained).
            unsafe { std::alloc::dealloc(p, layout) };
        }
        self.bytes = 0;
        self.exposed.clear();
        self.root_cells.clear();
        self.next_gc = MIN_GC_BYTES.min(self.limit);
        self.stats = GcStats::default();
    }
}

impl Drop for GcHeap {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_zeroed_aligned_typed_and_bounded_by_the_limit() {
        let mut h = GcHeap::new(100);
        let p = h.alloc(48, 7).unwrap();
        assert_eq!(p as usize % 16, 0);
        // SAFETY: a live 48-byte object.
        unsafe {
            assert_eq!(*(p as *const u32), 7);
            assert!((4..48).all(|i| *p.add(i) == 0));
        }
        let b = h.host_box(42).unwrap();
        assert_eq!(crate::gc::kind_of(b), crate::gc::AnyKind::Host(42));
        assert_eq!(h.bytes(), 64);
        assert!(h.alloc(48, 7).is_none(), "64 + 48 is over the limit of 100");
        assert!(h.alloc(u64::MAX, 7).is_none());
        h.clear();
        assert_eq!(h.bytes(), 0);
        assert!(h.alloc(96, 7).is_some());
    }

    #[test]
    fn sweep_frees_what_the_mark_missed_and_sets_the_next_threshold() {
        let mut h = GcHeap::new(1 << 30);
        let keep = h.alloc(32, 7).unwrap();
        let _lose = h.alloc(64, 7).unwrap();
        // SAFETY: a live object: its collector bits.
        unsafe { *(keep.add(object::GC_BITS as usize) as *mut u32) = 5 };
        h.sweep(5);
        assert_eq!(h.bytes(), 32);
        assert_eq!(h.stats.peak_bytes, 96);
        assert_eq!(h.next_gc, MIN_GC_BYTES);
        assert!(!h.wants_collection(1000) && h.wants_collection(MIN_GC_BYTES));
    }
}
