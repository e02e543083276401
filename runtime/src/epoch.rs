//! Epochs: the clock that stops guests which run too long.
//!
//! The host advances an [`Epoch`] from any thread (a timer thread ticking every few
//! milliseconds serves a whole server); each store sets its deadline in ticks from now with
//! [`crate::Store::set_epoch_deadline`]. A guest past its deadline traps with
//! [`crate::TrapKind::Interrupted`].
//!
//! Compiled code checks nothing: a check of the counter at every loop header and function
//! entry cost 1.10x the time (1.15x the instructions) over the benchmark's workloads, when this
//! was designed that way first. Instead the clock goes to the guest, as
//! Lucet's kill switch and Go's preemption do: each tick that finds a store past its deadline
//! while one of its calls runs sends that thread [`INTERRUPT_SIGNAL`]. Its handler
//! (`traps::signals`) ends the call as a trap when the thread is in that store's compiled code,
//! and leaves the thread alone otherwise. The runtime checks the deadline itself where a signal
//! cannot act: on every call from the host into wasm, when a host function returns to wasm, and
//! at the end of the builtins whose work grows with an operand (`crate::builtins`).
//!
//! Races, and why each is harmless:
//! - A call starting as a tick passes: the call publishes its thread before reading the
//!   counter, the tick advances the counter before reading the thread (both sequentially
//!   consistent), so either the call sees the deadline and traps at once or the tick sees the
//!   thread and signals it.
//! - A signal arriving once the call has left wasm (or in a builtin, or in another store's
//!   call on the same thread) finds the handler's conditions false and is ignored. A lost signal
//!   is sent again at the next tick, so an epoch should keep ticking while deadlines matter
//!   (`sowa run --timeout` does).
//! - The thread id a tick read may belong to a thread that has since ended and whose id was
//!   reused: the signal goes only to threads of this process (`tgkill`), where the handler
//!   ignores it; like any handled signal it may end a blocking system call of that thread with
//!   `EINTR` (the handler restarts those that can be).

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// The signal a tick sends to a thread running wasm past its store's deadline. `SIGURG` is the
/// one Go's runtime chose for the same purpose: its default action is to ignore it, and
/// programs rarely use it (only for TCP out-of-band data).
pub const INTERRUPT_SIGNAL: libc::c_int = libc::SIGURG;

/// A shared epoch counter. Cloning gives another handle to the same counter; handles are
/// `Send + Sync`, so a timer thread can hold one while stores on other threads use it.
#[derive(Clone, Debug)]
pub struct Epoch {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    counter: AtomicU64,
    /// Stores that have set a deadline on this epoch (dropped stores are pruned at each tick).
    watched: Mutex<Vec<Weak<Watch>>>,
}

/// One store's deadline, and which thread runs its wasm: what a tick needs to stop it, and what
/// the signal handler reads (atomics only, so reading them in a handler is sound).
#[derive(Debug)]
pub(crate) struct Watch {
    shared: Arc<Shared>,
    deadline: AtomicU64,
    /// Kernel id of the thread in a call into this store's wasm; 0 when there is none.
    thread: AtomicI32,
    registered: std::sync::atomic::AtomicBool,
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
            shared: Arc::new(Shared::default()),
        }
    }

    /// Advances the counter by one tick, and interrupts every call running in a store whose
    /// deadline this tick (or an earlier one) reached.
    pub fn increment(&self) {
        let now = self.shared.counter.fetch_add(1, SeqCst) + 1;
        let mut watched = self
            .shared
            .watched
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        watched.retain(|w| w.strong_count() > 0);
        for w in watched.iter().filter_map(Weak::upgrade) {
            if w.deadline.load(SeqCst) <= now {
                let tid = w.thread.load(SeqCst);
                if tid != 0 {
                    // SAFETY: a signal to a thread of this process; the handler for it is
                    // installed before any thread publishes itself in a watch.
                    unsafe { libc::tgkill(libc::getpid(), tid, INTERRUPT_SIGNAL) };
                }
            }
        }
    }

    /// The current tick.
    pub fn current(&self) -> u64 {
        self.shared.counter.load(SeqCst)
    }

    /// A watch for a new store on this epoch, without a deadline.
    pub(crate) fn watch(&self) -> Arc<Watch> {
        Arc::new(Watch {
            shared: self.shared.clone(),
            deadline: AtomicU64::new(u64::MAX),
            thread: AtomicI32::new(0),
            registered: Default::default(),
        })
    }
}

impl Watch {
    /// Sets the deadline `ticks` after the current tick (`u64::MAX`: never).
    pub(crate) fn set_deadline(self: &Arc<Self>, ticks: u64) {
        let deadline = self.shared.counter.load(SeqCst).saturating_add(ticks);
        self.deadline.store(deadline, SeqCst);
        // Registered on the first deadline: a store that never sets one costs ticks nothing.
        if deadline != u64::MAX && !self.registered.swap(true, SeqCst) {
            let mut w = self
                .shared
                .watched
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            w.push(Arc::downgrade(self));
        }
    }

    /// Whether the deadline has been reached. Reads atomics only: the signal handler calls it.
    pub(crate) fn reached(&self) -> bool {
        self.shared.counter.load(SeqCst) >= self.deadline.load(SeqCst)
    }

    /// Publishes this thread as running the store's wasm (nested calls of one store on one
    /// thread publish the same id); returns what to restore when the call ends.
    pub(crate) fn enter(&self) -> i32 {
        self.thread.swap(this_thread(), SeqCst)
    }

    /// Ends a call started by [`Watch::enter`].
    pub(crate) fn leave(&self, previous: i32) {
        self.thread.store(previous, SeqCst);
    }
}

/// This thread's kernel id, asked once per thread.
fn this_thread() -> i32 {
    thread_local! {
        static TID: i32 = {
            // SAFETY: gettid has no preconditions.
            unsafe { libc::gettid() }
        };
    }
    TID.with(|t| *t)
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
        assert!(Arc::ptr_eq(
            &Epoch::default().shared,
            &Epoch::default().shared
        ));
    }

    #[test]
    fn a_deadline_is_reached_after_its_ticks_and_never_without_one() {
        let e = Epoch::new();
        let w = e.watch();
        assert!(!w.reached());
        w.set_deadline(2);
        e.increment();
        assert!(!w.reached());
        e.increment();
        assert!(w.reached());
        w.set_deadline(0);
        assert!(w.reached());
        w.set_deadline(u64::MAX);
        for _ in 0..3 {
            e.increment();
        }
        assert!(!w.reached());
    }

    #[test]
    fn stores_register_once_and_dropped_ones_are_pruned() {
        let e = Epoch::new();
        let w = e.watch();
        let never = e.watch();
        never.set_deadline(u64::MAX);
        w.set_deadline(5);
        w.set_deadline(7);
        assert_eq!(e.shared.watched.lock().unwrap().len(), 1);
        drop(w);
        e.increment();
        assert!(e.shared.watched.lock().unwrap().is_empty());
    }

    #[test]
    fn nested_calls_restore_the_thread_they_found() {
        let w = Epoch::new().watch();
        let outer = w.enter();
        assert_eq!(outer, 0);
        let inner = w.enter();
        assert_eq!(inner, this_thread());
        w.leave(inner);
        assert_eq!(w.thread.load(SeqCst), this_thread());
        w.leave(outer);
        assert_eq!(w.thread.load(SeqCst), 0);
    }
}
