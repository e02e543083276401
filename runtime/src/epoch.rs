//! Epochs: the clock that stops guests which run too long.
//!
//! Compiled code checks the counter of its store's [`Epoch`] against the store's deadline at
//! every function entry and loop header (see `sowa_targets::vmctx::limits`). The host advances
//! the counter from any thread (a timer thread ticking every few milliseconds serves a whole
//! server); each store sets its deadline in ticks from now with [`crate::Store::set_epoch_deadline`].
//! A guest past its deadline traps with [`crate::TrapKind::Interrupted`] at the next check.
//! Like Wasmtime's epochs, a guest blocked in a host call (reading stdin, sleeping) is stopped
//! only when the call returns to wasm.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A shared epoch counter. Cloning gives another handle to the same counter; handles are
/// `Send + Sync`, so a timer thread can hold one while stores on other threads read it.
#[derive(Clone, Debug)]
pub struct Epoch {
    // Compiled code reads the counter with plain aligned 64-bit loads, which are atomic on both
    // targets; its address is stable because the `Arc` allocation never moves.
    counter: Arc<AtomicU64>,
}

impl Default for Epoch {
    /// The process-wide counter that stores use unless given another.
    fn default() -> Self {
        static PROCESS: OnceLock<Epoch> = OnceLock::new();
        PROCESS.get_or_init(Epoch::new).clone()
    }
}

impl Epoch {
    /// A new counter at zero, separate from the process-wide one.
    pub fn new() -> Epoch {
        Epoch {
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Advances the counter by one tick: every store using it whose deadline is now reached
    /// stops at its next check.
    pub fn increment(&self) {
        self.counter.fetch_add(1, Ordering::Release);
    }

    /// The current tick.
    pub fn current(&self) -> u64 {
        self.counter.load(Ordering::Acquire)
    }

    /// Where compiled code reads the counter.
    pub(crate) fn counter_ptr(&self) -> *const AtomicU64 {
        Arc::as_ptr(&self.counter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_share_one_counter_and_new_counters_are_separate() {
        let a = Epoch::new();
        let b = a.clone();
        a.increment();
        b.increment();
        assert_eq!(a.current(), 2);
        assert_eq!(Epoch::new().current(), 0);
        assert_eq!(
            Epoch::default().counter_ptr(),
            Epoch::default().counter_ptr()
        );
    }
}
