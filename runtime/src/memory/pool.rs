//! Reuse of linear-memory reservations between instances.
//!
//! Reserving 8 GiB and opening its first pages costs two system calls, and releasing it a third
//! that tears down page tables: together most of an instantiation. So a released memory is
//! not unmapped: its pages are dropped (`MADV_DONTNEED`: anonymous pages read as zero again,
//! and pages of a memory image mapped from a module's file read as the file again) and the
//! reservation is kept, still open up to the size it had, for the next memory to take. A server
//! creating an instance per request then makes no memory system call at all when instances of
//! one module keep the same size.

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
    pub base: *mut u8,
    pub open: usize,
    pub image: Option<MappedImage>,
}

// SAFETY: a Slot is an address range no one else refers to; moving it between threads is fine.
unsafe impl Send for Slot {}

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

/// Keeps `slot` for reuse once its contents are gone; `false` if the pool is full (the caller
/// unmaps it then).
pub(super) fn give(slot: Slot) -> bool {
    let Ok(mut kept) = KEPT.lock() else {
        return false;
    };
    if kept.len() >= MAX_KEPT {
        return false;
    }
    if slot.open > 0 {
        // SAFETY: the range is the open part of a reservation this pool now owns alone.
        let r = unsafe { libc::madvise(slot.base.cast(), slot.open, libc::MADV_DONTNEED) };
        if r != 0 {
            return false;
        }
    }
    kept.push(slot);
    true
}
