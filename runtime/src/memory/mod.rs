//! Linear memories: a whole 32-bit address space plus guard reserved up front, with only the
//! current size accessible, so compiled code needs no bounds checks and the base never moves.
//! Reservations are reused between instances ([`pool`]).
//!
//! A memory of custom page size (one byte, from the custom-page-sizes proposal) can end inside
//! a host page, whose rest is accessible but not the guest's: the compiler checks bounds
//! against the length for such memories, and the length here is always the exact size in
//! bytes, while what is opened is that size rounded up to host pages.

pub(crate) mod parking;
mod pool;
mod shared;

pub use shared::{SharedMemory, SharedMemoryError};

pub(crate) use crate::vmcontext::VMMemory;
use sowa_loader::region::{Access, Region};
use sowa_targets::types::WASM_PAGE_SIZE;
use sowa_targets::MemoryType;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Bytes reserved per memory: 4 GiB of index space, plus 4 GiB so that any static offset
/// (up to 4 GiB - 1) added to any index still lands in the reservation, plus a guard of one
/// wasm page for the bytes of the access itself: a 16-byte load at index and offset 4 GiB - 1
/// each ends 14 bytes past 8 GiB, where another mapping could be.
const RESERVATION: usize = (8 << 30) + WASM_PAGE_SIZE as usize;

/// The largest a memory of any kind may grow: what the reservation's index part holds.
const MAX_BYTES: u64 = 1 << 32;

/// A module's memory image (see `sowa_targets::artifact::MemoryImage`) to map into a new
/// memory: where it is in the module's file and where it goes in memory.
pub(crate) struct ImageSource<'a> {
    /// The module's unique id: a memory reused by the same module already holds the image.
    pub module: u64,
    pub file: &'a std::fs::File,
    pub file_offset: u64,
    pub offset: u64,
    pub len: u64,
}

/// A linear memory.
pub(crate) struct MemoryData {
    pub vm: VMMemory,
    /// The reservation `vm.base` points into (taken by the pool when the memory is dropped).
    region: Option<Region>,
    pub ty: MemoryType,
    /// Largest size in pages allowed (declared maximum, the index space, and the embedder's
    /// limit).
    pub max_pages: u64,
    /// The image mapped at creation, if any.
    image: Option<pool::MappedImage>,
    /// Held while growing: threads sharing the memory may grow it at once.
    growing: Mutex<()>,
}

/// Why a memory could not be created.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// The address space reservation failed.
    #[error("cannot reserve address space for a linear memory: {0}")]
    Reserve(std::io::Error),
    /// The initial size exceeds the embedder's limit.
    #[error("memory of {0} bytes exceeds the limit of {1} bytes")]
    TooLarge(u64, u64),
}

impl MemoryData {
    /// Creates a memory of type `ty`, at most `limit_pages` pages of 64 KiB (the store's limit,
    /// whatever the memory's page size), with `image` mapped into it (the caller then skips the
    /// data segments the image holds).
    pub fn new(
        ty: MemoryType,
        limit_pages: u64,
        image: Option<ImageSource<'_>>,
    ) -> Result<MemoryData, MemoryError> {
        let limit = limit_pages.saturating_mul(WASM_PAGE_SIZE) >> ty.page_size_log2;
        // A 64-bit memory lives in the same reservation, so it stops at 4 GiB as a 32-bit one
        // does (its `memory.grow` past that returns -1).
        let by_index = ty.max_pages_by_index().min(MAX_BYTES >> ty.page_size_log2);
        let max_pages = ty.max.unwrap_or(by_index).min(by_index).min(limit);
        if ty.min > max_pages {
            return Err(MemoryError::TooLarge(
                ty.min.saturating_mul(ty.page_size()),
                max_pages * ty.page_size(),
            ));
        }
        let want = opened(ty.min * ty.page_size());
        let slot = match pool::take(want, image.as_ref().map(|i| i.module)) {
            Some(slot) => slot,
            None => pool::Slot {
                region: Region::reserve(RESERVATION).map_err(MemoryError::Reserve)?,
                open: 0,
                image: None,
            },
        };
        let mut m = MemoryData {
            vm: VMMemory {
                base: slot.region.base(),
                length: AtomicU64::new(slot.open as u64),
            },
            region: Some(slot.region),
            ty,
            max_pages,
            // What the reservation holds, so that an early return hands it back truthfully.
            image: slot.image,
            growing: Mutex::new(()),
        };
        let fail = || MemoryError::Reserve(std::io::Error::last_os_error());
        let wanted = image.as_ref().map(|i| pool::MappedImage {
            module: i.module,
            offset: i.offset as usize,
            len: i.len as usize,
        });
        if let Some(old) = slot.image.filter(|o| Some(*o) != wanted) {
            // Another module's pages: put zeroes back, open only where the memory is open.
            m.unmap_image(old).ok_or_else(fail)?;
            m.image = None;
        }
        // Open exactly the initial size (in host pages): more than that must fault, as a
        // guard page would.
        if slot.open > want {
            // SAFETY: the range lies past the initial size, which no reference reaches.
            unsafe { m.region().protect(want, slot.open - want, Access::None) }
                .map_err(MemoryError::Reserve)?;
        }
        // Count from whole pages of this memory within what is open, then grow to the
        // initial size (opening the host pages still closed).
        m.vm.length = AtomicU64::new(
            (slot.open.min(want) as u64 & !(ty.page_size() - 1)).min(ty.min * ty.page_size()),
        );
        m.grow(ty.min - m.pages()).ok_or_else(fail)?;
        if let Some(img) = image {
            if slot.image != wanted {
                // SAFETY: the target lies within the initial size (checked at load), replacing
                // pages nothing refers to yet; the file is mapped privately, so writes go to
                // copies and never to the file.
                unsafe {
                    m.region().map_file_at(
                        img.offset as usize,
                        img.len as usize,
                        img.file,
                        img.file_offset,
                        Access::ReadWrite,
                    )
                }
                .map_err(MemoryError::Reserve)?;
            }
        }
        m.image = wanted;
        Ok(m)
    }

    /// The reservation (present from creation until drop).
    fn region(&self) -> &Region {
        self.region
            .as_ref()
            .expect("a live memory has its reservation")
    }

    /// Replaces a mapped image with fresh anonymous pages, accessible only within the open size.
    fn unmap_image(&mut self, img: pool::MappedImage) -> Option<()> {
        // SAFETY: nothing refers to the image's pages (the memory is being set up).
        unsafe {
            self.region()
                .map_anonymous_at(img.offset, img.len, Access::None)
        }
        .ok()?;
        let open_end = (img.offset + img.len).min(self.len() as usize);
        if open_end > img.offset {
            // SAFETY: as above, the part of the range below the open size.
            unsafe {
                self.region()
                    .protect(img.offset, open_end - img.offset, Access::ReadWrite)
            }
            .ok()?;
        }
        Some(())
    }

    /// Current size in bytes.
    pub fn len(&self) -> u64 {
        // Acquire: pairs with `grow`'s release, so the pages it opened are seen open.
        self.vm.length.load(Ordering::Acquire)
    }

    /// Current size in pages.
    pub fn pages(&self) -> u64 {
        self.len() >> self.ty.page_size_log2
    }

    /// Grows by `delta` pages; returns the old size, or `None` if not allowed or out of memory.
    /// Takes `&self` because the threads sharing a memory grow it through their own instances;
    /// they take turns here, and the length moves only after the pages are open, so no thread
    /// sees a length whose bytes would fault.
    pub fn grow(&self, delta: u64) -> Option<u64> {
        let _turn = self.growing.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let (open, want) = (opened(self.len()), opened(new << self.ty.page_size_log2));
        if want > open {
            // SAFETY: opening host pages past the open size: more access, none taken away.
            // (Bytes between the length and the open size were never the guest's to write:
            // the code checks bounds for memories that can end inside a host page, so they
            // are still zero.)
            unsafe { self.region().protect(open, want - open, Access::ReadWrite) }.ok()?;
        }
        self.vm
            .length
            .store(new << self.ty.page_size_log2, Ordering::Release);
        Some(old)
    }

    /// The accessible bytes, mutably.
    ///
    /// # Safety
    /// No other Rust reference to the bytes may be in use while the slice is. Compiled code
    /// may be writing them meanwhile only in a shared memory, from another thread: a race the
    /// guest program made, on bytes the host only copies, as with C threads' plain accesses.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn bytes_mut(&self) -> &mut [u8] {
        // SAFETY: the first `len` bytes of the reservation are readable and writable, and
        // stay so (a memory never shrinks); exclusive per the contract.
        unsafe { std::slice::from_raw_parts_mut(self.vm.base, self.len() as usize) }
    }
}

impl Drop for MemoryData {
    fn drop(&mut self) {
        if let Some(region) = self.region.take() {
            // Kept for the next memory, or unmapped (the region's drop) when the pool is full.
            pool::give(pool::Slot {
                region,
                open: opened(self.len()),
                image: self.image,
            });
        }
    }
}

/// The bytes opened for a memory of `len` bytes: whole host pages.
fn opened(len: u64) -> usize {
    (len as usize).next_multiple_of(sowa_loader::region::page_size())
}

/// A linear memory handle.
#[derive(Clone)]
pub struct Memory {
    pub(crate) store: std::rc::Rc<crate::store::StoreInner>,
    pub(crate) ptr: *mut MemoryData,
}

impl Memory {
    /// Creates a host memory of type `ty` in `store`.
    pub fn new(store: &crate::Store, ty: MemoryType) -> Result<Memory, MemoryError> {
        let m = MemoryData::new(ty, store.inner.limits.max_memory_pages, None)?;
        Ok(Memory {
            store: store.inner.clone(),
            ptr: store.inner.keep(m, |o| &mut o.memories),
        })
    }

    /// A handle in `store` to the shared memory `memory`, to import into the store's
    /// instances (the store keeps the memory alive while it lives).
    pub fn from_shared(store: &crate::Store, memory: &SharedMemory) -> Memory {
        store
            .inner
            .objects
            .borrow_mut()
            .shared_memories
            .push(memory.clone());
        Memory {
            store: store.inner.clone(),
            ptr: memory.data(),
        }
    }

    /// Current size in pages (of the memory's page size: see [`MemoryType::page_size`]).
    pub fn pages(&self) -> u64 {
        // SAFETY: the memory lives in the store we keep alive.
        unsafe { (*self.ptr).pages() }
    }

    /// Current size in bytes.
    pub fn data_size(&self) -> usize {
        // SAFETY: as above.
        unsafe { (*self.ptr).len() as usize }
    }

    /// The memory's type, with its current size as minimum.
    pub fn ty(&self) -> MemoryType {
        // SAFETY: as above.
        let m = unsafe { &*self.ptr };
        MemoryType {
            min: m.pages(),
            ..m.ty
        }
    }

    /// Grows by `delta` pages; returns the old size.
    pub fn grow(&self, delta: u64) -> Option<u64> {
        // SAFETY: as above.
        unsafe { (*self.ptr).grow(delta) }
    }

    /// Copies bytes out at `offset`; `None` if out of bounds.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Option<()> {
        // SAFETY: as above; the slice is used for this copy only.
        let bytes = unsafe { (*self.ptr).bytes_mut() };
        buf.copy_from_slice(bytes.get(offset..offset.checked_add(buf.len())?)?);
        Some(())
    }

    /// Copies bytes in at `offset`; `None` if out of bounds.
    pub fn write(&self, offset: usize, data: &[u8]) -> Option<()> {
        // SAFETY: as above; the slice is used for this copy only.
        let bytes = unsafe { (*self.ptr).bytes_mut() };
        bytes
            .get_mut(offset..offset.checked_add(data.len())?)?
            .copy_from_slice(data);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservation_covers_the_furthest_access_compiled_code_can_make() {
        // Largest index, largest static offset, widest access (v128).
        let furthest = u32::MAX as usize + u32::MAX as usize + 16;
        assert!(RESERVATION >= furthest, "{RESERVATION} < {furthest}");
        assert_eq!(RESERVATION % WASM_PAGE_SIZE as usize, 0);
    }
}
