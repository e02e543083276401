//! A store's GC heap: every object it allocated, and the bytes they take against its limit.
//!
//! Each object is one allocation of the system allocator, 16-byte aligned and zeroed, and
//! never moves: compiled code and host handles hold plain addresses. The heap frees them all
//! when the store is dropped or reset. There is no collector yet (issue 15): until there is,
//! the limit is what bounds a guest that allocates without end.

use sowa_targets::gc::object;
use std::alloc::Layout;

/// The objects of one store.
pub(crate) struct GcHeap {
    objects: Vec<(*mut u8, Layout)>,
    bytes: u64,
    limit: u64,
}

impl GcHeap {
    /// An empty heap that may hold `limit` bytes of objects.
    pub fn new(limit: u64) -> GcHeap {
        GcHeap {
            objects: Vec::new(),
            bytes: 0,
            limit,
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

    /// Frees every object.
    pub fn clear(&mut self) {
        for (p, layout) in self.objects.drain(..) {
            // SAFETY: allocated in `alloc` with this layout, freed once (drained).
            unsafe { std::alloc::dealloc(p, layout) };
        }
        self.bytes = 0;
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
}
