//! Shared memories: one linear memory imported by instances in several stores, one store per
//! thread, as the threads proposal and WASI threads use it.
//!
//! A store is single-threaded, so a memory that threads share cannot belong to one: it lives
//! behind an `Arc` of its own, and each store that imports it holds a clone (see
//! [`crate::Memory::from_shared`]) for as long as the store lives. Every store's instances point
//! at the one [`MemoryData`] and its one `VMMemory` record. That is sound because nothing in a
//! memory changes after creation but its length and its open pages, and both change only in
//! [`MemoryData::grow`], which threads take turns at and which publishes the new length (an
//! atomic) only after the pages behind it are open. The base never moves (the whole reservation
//! is made up front), so compiled code and the parking lot may keep its addresses.

use super::{MemoryData, MemoryError};
use crate::store::StoreLimits;
use sowa_targets::MemoryType;
use std::sync::Arc;

/// A linear memory of shared type that instances in any number of stores, on any threads,
/// import at once. Cloning gives another handle to the same memory; it is freed when the last
/// handle and the last store importing it are gone.
///
/// ```
/// use sowa_runtime::{Extern, Linker, Memory, MemoryType, Module, SharedMemory, Store};
/// use sowa_runtime::{StoreLimits, Val};
/// # fn compile(wat: &str) -> Vec<u8> {
/// #     sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap()
/// # }
/// let module = Module::from_bytes(&compile(r#"
///     (module
///       (import "env" "memory" (memory 1 4 shared))
///       (func (export "add") (param i32) (result i32)
///         (i32.atomic.rmw.add (i32.const 0) (local.get 0))))
/// "#))?;
/// let ty = MemoryType { shared: true, ..MemoryType::new(1, Some(4)) };
/// let memory = SharedMemory::new(ty, &StoreLimits::default())?;
/// let workers: Vec<_> = (0..4)
///     .map(|_| {
///         let (module, memory) = (module.clone(), memory.clone());
///         std::thread::spawn(move || {
///             // A store per thread, each importing the same memory.
///             let store = Store::default();
///             let mut linker = Linker::new();
///             linker.define("env", "memory", Extern::Memory(Memory::from_shared(&store, &memory)));
///             let add = linker.instantiate(&store, &module).unwrap().get_func("add").unwrap();
///             for _ in 0..1000 {
///                 add.call(&[Val::I32(1)]).unwrap();
///             }
///         })
///     })
///     .collect();
/// workers.into_iter().for_each(|w| w.join().unwrap());
/// let mut word = [0; 4];
/// memory.read(0, &mut word).unwrap();
/// assert_eq!(u32::from_le_bytes(word), 4000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SharedMemory(pub(crate) Arc<Shared>);

/// The memory, made `Send` and `Sync` (see the module's comment for why that holds).
pub(crate) struct Shared(pub MemoryData);

// SAFETY: the memory's raw pointers name its own reservation, which lives as long as it does;
// after creation only `grow` changes anything, under its lock, publishing the length
// atomically. Byte accesses from several threads are the guest's own shared-memory accesses.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

/// Why a shared memory could not be created.
#[derive(Debug, thiserror::Error)]
pub enum SharedMemoryError {
    /// The type is not `shared` (or has no maximum, which validation requires of shared ones).
    #[error(
        "memory type {0} is not shared with a maximum: threads can only share a `shared` memory"
    )]
    NotShared(MemoryType),
    /// The memory itself could not be made.
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

impl SharedMemory {
    /// Creates a shared memory of type `ty` (which must be `shared`), at most
    /// `limits.max_memory_pages` pages of 64 KiB.
    pub fn new(ty: MemoryType, limits: &StoreLimits) -> Result<SharedMemory, SharedMemoryError> {
        if !ty.shared || ty.max.is_none() {
            return Err(SharedMemoryError::NotShared(ty));
        }
        let m = MemoryData::new(ty, limits.max_memory_pages, None)?;
        Ok(SharedMemory(Arc::new(Shared(m))))
    }

    /// The memory's type, with its current size as minimum.
    pub fn ty(&self) -> MemoryType {
        MemoryType {
            min: self.0 .0.pages(),
            ..self.0 .0.ty
        }
    }

    /// Current size in bytes.
    pub fn data_size(&self) -> usize {
        self.0 .0.len() as usize
    }

    /// Grows by `delta` pages; returns the old size. Every thread sees the new pages.
    pub fn grow(&self, delta: u64) -> Option<u64> {
        self.0 .0.grow(delta)
    }

    /// Copies bytes out at `offset`; `None` if out of bounds. Bytes another thread writes
    /// meanwhile may be seen old or new.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Option<()> {
        // SAFETY: the slice is used for this copy only; concurrent guest writes are the
        // program's race (see `MemoryData::bytes_mut`).
        let bytes = unsafe { self.0 .0.bytes_mut() };
        buf.copy_from_slice(bytes.get(offset..offset.checked_add(buf.len())?)?);
        Some(())
    }

    /// Copies bytes in at `offset`; `None` if out of bounds.
    pub fn write(&self, offset: usize, data: &[u8]) -> Option<()> {
        // SAFETY: as in `read`.
        let bytes = unsafe { self.0 .0.bytes_mut() };
        bytes
            .get_mut(offset..offset.checked_add(data.len())?)?
            .copy_from_slice(data);
        Some(())
    }

    /// The memory as the stores importing it point at it.
    pub(crate) fn data(&self) -> *mut MemoryData {
        &self.0 .0 as *const MemoryData as *mut MemoryData
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(min: u64, max: Option<u64>, shared: bool) -> MemoryType {
        MemoryType {
            shared,
            ..MemoryType::new(min, max)
        }
    }

    #[test]
    fn only_a_shared_type_with_a_maximum_makes_a_shared_memory() {
        let limits = StoreLimits::default();
        assert!(matches!(
            SharedMemory::new(ty(1, Some(2), false), &limits),
            Err(SharedMemoryError::NotShared(_))
        ));
        assert!(matches!(
            SharedMemory::new(ty(1, None, true), &limits),
            Err(SharedMemoryError::NotShared(_))
        ));
        let m = SharedMemory::new(ty(1, Some(2), true), &limits).unwrap();
        assert_eq!(m.data_size(), 65536);
    }

    #[test]
    fn growth_by_racing_threads_is_counted_once_each_and_seen_by_all() {
        let m = SharedMemory::new(ty(0, Some(64), true), &StoreLimits::default()).unwrap();
        let olds: Vec<u64> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..10)
                            .filter_map(|_| m.grow(1))
                            .inspect(|old| {
                                // The page just grown is open for writing at once.
                                m.write(*old as usize * 65536, &[1]).unwrap();
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let mut olds = olds;
        olds.sort();
        // 80 attempts, 64 allowed: every old size from 0 to 63 handed out exactly once.
        assert_eq!(olds, (0..64).collect::<Vec<_>>());
        assert_eq!(m.ty().min, 64);
        assert_eq!(m.grow(1), None);
    }
}
