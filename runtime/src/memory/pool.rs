//! Reuse of linear-memory reservations between instances.
//!
//! Reserving 8 GiB and opening its first pages costs two system calls, and releasing it a third
//! that tears down page tables: together most of an instantiation. So a released memory is
//! not unmapped: its pages are dropped (`MADV_DONTNEED`: anonymous pages read as zero again,
//! and pages of a memory image mapped from a module's file read as the file again) and the
//! reservation is kept, still open up to the size it had, for the next memory to take. A server
//! creating an instance per request then makes no memory system call at all when instances of
//! one module keep the same size.

use sowa_loader::region::Region;
use std::sync::Mutex;

/// Reservations kept for reuse, at most; each holds address space, not memory.
const MAX_KEPT: usize = 64;

/// A memory image mapped in a reservation: the module's id, and where it lies.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct MappedImage {
    pub module: u64,
    pub offset: usize,
    pub len: usize,
}

/// A reservation, how many bytes at its start are readable and writable, and the image mapped
/// in it, if any.
pub(super) struct Slot {
    pub region: Region,
    pub open: usize,
    pub image: Option<MappedImage>,
}

static KEPT: Mutex<Vec<Slot>> = Mutex::new(Vec::new());

/// A kept reservation: best one that already holds `image` and is open to `open` bytes, then
/// one open to `open` bytes, then any.
pub(super) fn take(open: usize, image: Option<u64>) -> Option<Slot> {
    let mut kept = KEPT.lock().ok()?;
    let same_image = |s: &Slot| s.image.map(|i| i.module) == image;
    let i = kept
        .iter()
        .rposition(|s| s.open == open && same_image(s))
        .or_else(|| kept.iter().rposition(|s| s.open == open))
        .or_else(|| kept.len().checked_sub(1))?;
    Some(kept.swap_remove(i))
}

/// Keeps `slot` for reuse once its contents are gone, or drops (unmaps) it when the pool is
/// full or its pages cannot be dropped.
pub(super) fn give(slot: Slot) {
    let Ok(mut kept) = KEPT.lock() else {
        return;
    };
    if kept.len() >= MAX_KEPT {
        return;
    }
    // SAFETY: the memory that used the reservation is gone; nothing refers to its pages.
    if slot.open > 0 && unsafe { slot.region.decommit(0, slot.open) }.is_err() {
        return;
    }
    kept.push(slot);
}
