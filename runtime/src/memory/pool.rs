//! Reuse of linear-memory reservations between instances.
//!
//! Reserving 8 GiB and opening its first pages costs two system calls, and releasing it a third
//! that tears down page tables: together most of an instantiation. So a released memory is
//! not unmapped: its pages are dropped (`MADV_DONTNEED`, after which they read as zero, as a
//! fresh memory must) and the reservation is kept, still open up to the size it had, for the
//! next memory to take. A server creating an instance per request then makes no memory system
//! call at all when instances keep the same size.

use std::sync::Mutex;

/// Reservations kept for reuse, at most; each holds address space, not memory.
const MAX_KEPT: usize = 64;

/// A reservation and how many bytes at its start are readable and writable.
pub(super) struct Slot {
    pub base: *mut u8,
    pub open: usize,
}

// SAFETY: a Slot is an address range no one else refers to; moving it between threads is fine.
unsafe impl Send for Slot {}

static KEPT: Mutex<Vec<Slot>> = Mutex::new(Vec::new());

/// A kept reservation, preferring one already open to exactly `open` bytes.
pub(super) fn take(open: usize) -> Option<Slot> {
    let mut kept = KEPT.lock().ok()?;
    let i = kept
        .iter()
        .rposition(|s| s.open == open)
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
