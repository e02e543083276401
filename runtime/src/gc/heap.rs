//! A store's GC heap: every object it allocated, the bytes they take against its limit, and
//! the roots only the heap knows of (references handed to the host, cells of host globals).
//!
//! Objects never move: compiled code and host handles hold plain addresses. Small objects
//! (up to 2 KiB) live in 64 KiB chunks, each of one size class, so that an object costs its
//! class's bytes and nothing more (a 24-byte tree node takes 32, where its own `malloc` took
//! 48) and a sweep frees without calling the allocator. A free slot is all zeros but for the
//! free list's link at offset 8; its type id, 0, is no type's, which is how a sweep tells it
//! from an object. Larger objects are allocations of their own. The collector
//! ([`super::collect`]) marks the live objects and [`GcHeap::sweep`] frees the rest; the heap
//! frees everything when the store is dropped or reset.

use sowa_targets::gc::object;
use std::alloc::Layout;

/// Bytes of a chunk of small objects.
const CHUNK: usize = 64 << 10;

/// The size classes of small objects, in bytes (multiples of the object alignment).
const CLASSES: [u32; 17] = [
    16, 32, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 512, 768, 1024, 1536, 2048,
];

/// Where a free slot keeps the next free slot of its class.
const LINK: usize = 8;

/// A chunk: its memory and the class of its slots.
struct Chunk {
    base: *mut u8,
    class: usize,
}

fn chunk_layout() -> Layout {
    // A power of two, aligned to itself: never fails.
    Layout::from_size_align(CHUNK, object::ALIGN as usize).expect("chunk layout")
}

/// The objects of one store.
pub(crate) struct GcHeap {
    chunks: Vec<Chunk>,
    /// The first free slot of each class (null: none).
    free: [*mut u8; CLASSES.len()],
    large: Vec<(*mut u8, Layout)>,
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
            chunks: Vec::new(),
            free: [std::ptr::null_mut(); CLASSES.len()],
            large: Vec::new(),
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
        let p = match CLASSES.iter().position(|c| *c as u64 >= size) {
            Some(class) => self.alloc_small(class)?,
            None => self.alloc_large(size)?,
        };
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.bytes);
        // SAFETY: a zeroed object of at least 16 bytes, 16-aligned.
        unsafe { *(p.add(object::TYPE_ID as usize) as *mut u32) = type_id };
        Some(p)
    }

    fn alloc_small(&mut self, class: usize) -> Option<*mut u8> {
        let size = CLASSES[class] as u64;
        if size > self.limit.saturating_sub(self.bytes) {
            return None;
        }
        if self.free[class].is_null() {
            self.add_chunk(class)?;
        }
        let p = self.free[class];
        // SAFETY: a free slot of this class: zero but for its link, which is cleared so that
        // the object starts all zeros.
        unsafe {
            let link = p.add(LINK) as *mut *mut u8;
            self.free[class] = *link;
            *link = std::ptr::null_mut();
        }
        self.bytes += size;
        Some(p)
    }

    /// A new zeroed chunk of `class`, its slots put on the class's free list.
    fn add_chunk(&mut self, class: usize) -> Option<()> {
        // SAFETY: the layout's size is nonzero.
        let base = unsafe { std::alloc::alloc_zeroed(chunk_layout()) };
        if base.is_null() {
            return None;
        }
        self.chunks.reserve(1);
        self.chunks.push(Chunk { base, class });
        let size = CLASSES[class] as usize;
        for k in (0..CHUNK / size).rev() {
            // SAFETY: slot `k` lies inside the new chunk.
            unsafe { self.push_free(class, base.add(k * size)) };
        }
        Some(())
    }

    /// Puts the zeroed slot `p` of `class` on its free list.
    ///
    /// # Safety
    /// `p` must be a slot of a chunk of `class`, all zeros, on no list.
    unsafe fn push_free(&mut self, class: usize, p: *mut u8) {
        // SAFETY: per contract, the link field is inside the slot.
        unsafe { *(p.add(LINK) as *mut *mut u8) = self.free[class] };
        self.free[class] = p;
    }

    fn alloc_large(&mut self, size: u64) -> Option<*mut u8> {
        if size > isize::MAX as u64 / 2 {
            return None;
        }
        let size = size.next_multiple_of(object::ALIGN as u64);
        if size > self.limit.saturating_sub(self.bytes) {
            return None;
        }
        let layout = Layout::from_size_align(size as usize, object::ALIGN as usize).ok()?;
        // SAFETY: the layout's size is nonzero.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        if p.is_null() {
            return None;
        }
        self.large.reserve(1);
        self.large.push((p, layout));
        self.bytes += size;
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
    /// `mark` did not reach), gives back chunks left empty, and sets the threshold of the next
    /// collection: twice what survived, so that collections cost time in proportion to
    /// allocation.
    pub fn sweep(&mut self, mark: u32) {
        let marked = |p: *mut u8| {
            // SAFETY: `p` is a live object; its header starts it.
            unsafe { *(p.add(object::GC_BITS as usize) as *const u32) == mark }
        };
        let mut bytes = 0;
        self.large.retain(|&(p, layout)| {
            if marked(p) {
                bytes += layout.size() as u64;
                true
            } else {
                // SAFETY: allocated in `alloc_large` with this layout, and unreachable: freed
                // once.
                unsafe { std::alloc::dealloc(p, layout) };
                false
            }
        });
        // The free lists are made again from every chunk's free slots, after the garbage is
        // zeroed; a chunk with nothing alive goes back to the allocator.
        self.free = [std::ptr::null_mut(); CLASSES.len()];
        let mut chunks = std::mem::take(&mut self.chunks);
        chunks.retain(|c| {
            let size = CLASSES[c.class] as usize;
            let slots = CHUNK / size;
            let mut live = 0;
            for k in 0..slots {
                // SAFETY: slot `k` lies inside the chunk.
                let p = unsafe { c.base.add(k * size) };
                // SAFETY: a slot starts with a type id, 0 when free.
                let used = unsafe { *(p.add(object::TYPE_ID as usize) as *const u32) } != 0;
                if used && marked(p) {
                    live += 1;
                } else if used {
                    // SAFETY: an unreachable object: its slot is zeroed to be reused.
                    unsafe { std::ptr::write_bytes(p, 0, size) };
                }
            }
            if live == 0 {
                // SAFETY: allocated in `add_chunk` with this layout; nothing in it is alive.
                unsafe { std::alloc::dealloc(c.base, chunk_layout()) };
                return false;
            }
            bytes += (live * size) as u64;
            true
        });
        for c in &chunks {
            let size = CLASSES[c.class] as usize;
            for k in (0..CHUNK / size).rev() {
                // SAFETY: slot `k` lies inside the chunk; a free one is zero but its link.
                unsafe {
                    let p = c.base.add(k * size);
                    if *(p.add(object::TYPE_ID as usize) as *const u32) == 0 {
                        self.push_free(c.class, p);
                    }
                }
            }
        }
        self.chunks = chunks;
        self.bytes = bytes;
        self.stats.live_bytes = bytes;
        self.next_gc = bytes.saturating_mul(2).max(MIN_GC_BYTES).min(self.limit);
    }

    /// Frees every object and forgets every root.
    pub fn clear(&mut self) {
        for (p, layout) in self.large.drain(..) {
            // SAFETY: allocated in `alloc_large` with this layout, freed once (drained).
            unsafe { std::alloc::dealloc(p, layout) };
        }
        for c in self.chunks.drain(..) {
            // SAFETY: allocated in `add_chunk` with this layout, freed once (drained).
            unsafe { std::alloc::dealloc(c.base, chunk_layout()) };
        }
        self.free = [std::ptr::null_mut(); CLASSES.len()];
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

    #[test]
    fn slots_are_reused_zeroed_and_empty_chunks_go_back() {
        let mut h = GcHeap::new(1 << 30);
        // Three chunks' worth of 32-byte objects, each written all over.
        let n = 3 * CHUNK / 32;
        let objs: Vec<*mut u8> = (0..n).map(|_| h.alloc(24, 9).unwrap()).collect();
        assert_eq!(h.chunks.len(), 3);
        for (k, p) in objs.iter().enumerate() {
            // SAFETY: live 32-byte objects; the header's type id stays.
            unsafe { std::ptr::write_bytes(p.add(4), 0xab, 28) };
            if k % 2 == 0 && k < CHUNK / 32 {
                // SAFETY: as above: keep every other object of the first chunk.
                unsafe { *(p.add(object::GC_BITS as usize) as *mut u32) = 3 };
            }
        }
        let big = h.alloc(5000, 9).unwrap();
        // SAFETY: a live large object.
        unsafe { *(big.add(object::GC_BITS as usize) as *mut u32) = 3 };
        h.sweep(3);
        assert_eq!(h.chunks.len(), 1, "the chunks with nothing alive went back");
        assert_eq!(h.bytes(), (CHUNK / 64 * 32) as u64 + 5008);
        // The freed slots come back zeroed but for their header.
        for _ in 0..CHUNK / 64 {
            let p = h.alloc(32, 10).unwrap();
            assert!(objs[..CHUNK / 32].contains(&p), "a slot of the kept chunk");
            // SAFETY: a fresh 32-byte object.
            unsafe {
                assert_eq!(*(p as *const u32), 10);
                assert!((4..32).all(|i| *p.add(i) == 0));
            }
        }
        assert_eq!(h.chunks.len(), 1);
        h.alloc(32, 10).unwrap();
        assert_eq!(h.chunks.len(), 2, "a new chunk once the kept one is full");
    }
}
