//! Where threads wait in `memory.atomic.wait32/64` until `memory.atomic.notify` wakes them.
//!
//! Waiters are kept by the native address of the word they wait on: a shared memory never
//! moves (its whole reservation is made up front) and every thread of the process sees it at
//! the same address, so the address names the location for all of them.
//!
//! The race the proposal rules out is a lost wake-up: a notifier that writes the word and
//! notifies between a waiter's comparison and its going to sleep. Here the comparison, the
//! enqueueing and the sleep all happen under the one lock a notifier must take to wake anyone,
//! so a notify either sees the waiter queued or happens before its comparison (and then the
//! waiter sees the new value and returns "not equal"). A waiter is woken only by a notify
//! (its flag set under the lock), never by a spurious condvar wake-up or a timeout alone.
//!
//! A wait with no timeout would hold its thread past the store's deadline, so it sleeps in
//! slices and looks at the deadline between them; when it has passed, the waiter leaves the
//! queue and returns, and the builtin's caller raises the interrupt (`crate::builtins`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A waiting thread.
struct Waiter {
    wake: Condvar,
    /// Set (under the lock) by the notify that dequeues it.
    notified: AtomicBool,
}

static LOT: Mutex<BTreeMap<usize, VecDeque<Arc<Waiter>>>> = Mutex::new(BTreeMap::new());

/// The longest sleep between looks at the store's deadline.
const SLICE: Duration = Duration::from_millis(10);

/// `wait`'s results, as the proposal numbers them.
pub(crate) const OK: u32 = 0;
pub(crate) const NOT_EQUAL: u32 = 1;
pub(crate) const TIMED_OUT: u32 = 2;

/// The value to compare before waiting.
pub(crate) enum Expected<'a> {
    /// A 32-bit word and the value it must hold.
    U32(&'a AtomicU32, u32),
    /// A 64-bit word and the value it must hold.
    U64(&'a AtomicU64, u64),
}

impl Expected<'_> {
    fn address(&self) -> usize {
        match self {
            Expected::U32(a, _) => *a as *const AtomicU32 as usize,
            Expected::U64(a, _) => *a as *const AtomicU64 as usize,
        }
    }

    fn holds(&self) -> bool {
        match self {
            Expected::U32(a, v) => a.load(SeqCst) == *v,
            Expected::U64(a, v) => a.load(SeqCst) == *v,
        }
    }
}

/// Waits until notified (`OK`), unless the word does not hold the expected value
/// (`NOT_EQUAL`) or `timeout_ns` (negative: none) passes first (`TIMED_OUT`); `due` is asked
/// between slices whether to give up (the result is then `TIMED_OUT`, for a caller that
/// raises the interrupt instead).
pub(crate) fn wait(expected: Expected<'_>, timeout_ns: i64, due: impl Fn() -> bool) -> u32 {
    let addr = expected.address();
    let mut lot = LOT.lock().unwrap_or_else(|e| e.into_inner());
    if !expected.holds() {
        return NOT_EQUAL;
    }
    let deadline =
        (timeout_ns >= 0).then(|| Instant::now() + Duration::from_nanos(timeout_ns as u64));
    let me = Arc::new(Waiter {
        wake: Condvar::new(),
        notified: AtomicBool::new(false),
    });
    lot.entry(addr).or_default().push_back(me.clone());
    loop {
        if me.notified.load(SeqCst) {
            return OK;
        }
        let now = Instant::now();
        let left = deadline.map(|d| d.saturating_duration_since(now));
        if left == Some(Duration::ZERO) || due() {
            // Still queued (not notified, checked under the lock): leave the queue.
            if let Some(q) = lot.get_mut(&addr) {
                q.retain(|w| !Arc::ptr_eq(w, &me));
                if q.is_empty() {
                    lot.remove(&addr);
                }
            }
            return TIMED_OUT;
        }
        let slice = left.map_or(SLICE, |l| l.min(SLICE));
        lot = me
            .wake
            .wait_timeout(lot, slice)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Wakes up to `count` threads waiting on `addr`, oldest first; returns how many.
pub(crate) fn notify(addr: usize, count: u32) -> u32 {
    let mut lot = LOT.lock().unwrap_or_else(|e| e.into_inner());
    let Some(q) = lot.get_mut(&addr) else {
        return 0;
    };
    let mut woken = 0;
    while woken < count {
        let Some(w) = q.pop_front() else { break };
        w.notified.store(true, SeqCst);
        w.wake.notify_one();
        woken += 1;
    }
    if q.is_empty() {
        lot.remove(&addr);
    }
    woken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_returns_not_equal_timed_out_or_ok_when_notified() {
        let word = Box::leak(Box::new(AtomicU32::new(5)));
        assert_eq!(wait(Expected::U32(word, 4), -1, || false), NOT_EQUAL);
        let t = Instant::now();
        assert_eq!(
            wait(Expected::U32(word, 5), 20_000_000, || false),
            TIMED_OUT
        );
        assert!(t.elapsed() >= Duration::from_millis(20));
        assert_eq!(notify(word as *const _ as usize, 1), 0, "no one waits");

        let addr = word as *const AtomicU32 as usize;
        let waiter = std::thread::spawn(move || {
            // SAFETY: the word is leaked, alive for the rest of the process.
            let w = unsafe { &*(addr as *const AtomicU32) };
            wait(Expected::U32(w, 5), -1, || false)
        });
        // Notify until the waiter has queued and been woken: a notify before it queued
        // wakes no one, which is the proposal's behaviour too.
        let mut woken = 0;
        while woken == 0 {
            woken = notify(addr, 10);
            std::thread::yield_now();
        }
        assert_eq!(woken, 1);
        assert_eq!(waiter.join().unwrap(), OK);
    }

    #[test]
    fn a_wait_without_timeout_gives_up_when_due() {
        let word = Box::leak(Box::new(AtomicU64::new(0)));
        let t = Instant::now();
        let r = wait(Expected::U64(word, 0), -1, || {
            t.elapsed() > Duration::from_millis(30)
        });
        assert_eq!(r, TIMED_OUT);
        assert!(LOT
            .lock()
            .unwrap()
            .get(&(word as *const _ as usize))
            .is_none());
    }
}
