//! The process-wide map from code addresses to the modules whose code they are, consulted by the
//! signal handler to decide whether a fault is a wasm trap and by the trap reporter to name it.
//!
//! The signal handler may run on any thread at any moment, including on a thread that is in
//! the middle of registering a module, so it must not take a lock: a fault there would wait
//! forever for a lock its own thread holds. Readers therefore take no lock. The map is an
//! immutable snapshot behind an atomic pointer; writers (serialised by a mutex only writers
//! take) build a new snapshot, swap it in, and free the old one once no reader is inside it.
//! Readers announce themselves in a counter before loading the pointer, and the writer frees
//! only after seeing the counter at zero after its swap: a reader that announced itself later
//! can only have loaded the new snapshot (all these operations are sequentially consistent).
//! A writer waits for readers, never the other way round, and a reader's critical section is a
//! binary search, so the wait is short; a signal arriving on the writer's own thread runs its
//! handler to completion before the writer resumes its wait.

use sowa_targets::artifact::Tables;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// What the registry knows about one mapped text.
pub(crate) struct CodeInfo {
    /// Start address of the text.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// The module's manifest tables (trap sites, function spans and names), borrowed from its
    /// mapping, which outlives the registration (see `Module::new`).
    pub tables: Tables<'static>,
    /// Number of imported functions: defined function `i` is function `imported_funcs + i`.
    pub imported_funcs: u32,
}

/// Registered texts, sorted by start address.
type Snapshot = Vec<Arc<CodeInfo>>;

static CURRENT: AtomicPtr<Snapshot> = AtomicPtr::new(std::ptr::null_mut());
static READERS: AtomicUsize = AtomicUsize::new(0);
static WRITER: Mutex<()> = Mutex::new(());

/// Replaces the snapshot with `edit` applied to a copy of it.
fn update(edit: impl FnOnce(&mut Snapshot)) {
    let _w = WRITER.lock().unwrap_or_else(|e| e.into_inner());
    let old = CURRENT.load(SeqCst);
    // SAFETY: only writers free snapshots, and we are the only writer.
    let mut next: Snapshot = unsafe { old.as_ref() }.cloned().unwrap_or_default();
    edit(&mut next);
    CURRENT.store(Box::into_raw(Box::new(next)), SeqCst);
    while READERS.load(SeqCst) != 0 {
        std::hint::spin_loop();
    }
    if !old.is_null() {
        // SAFETY: `old` came from Box::into_raw, is no longer published, and no reader that
        // could have loaded it is still inside it (see the module comment).
        drop(unsafe { Box::from_raw(old) });
    }
}

/// Runs `f` on the current snapshot without locking; safe in a signal handler as long as `f`
/// neither allocates nor frees.
fn read<R>(f: impl FnOnce(&[Arc<CodeInfo>]) -> R) -> R {
    READERS.fetch_add(1, SeqCst);
    let p = CURRENT.load(SeqCst);
    // SAFETY: a published snapshot is freed only after READERS, which counts us, reads zero.
    let r = f(unsafe { p.as_ref() }.map_or(&[], |s| s.as_slice()));
    READERS.fetch_sub(1, SeqCst);
    r
}

/// Keeps a text registered while alive.
pub(crate) struct CodeRegistration(Arc<CodeInfo>);

impl Drop for CodeRegistration {
    fn drop(&mut self) {
        // Only our own entry: once our text is unmapped, another module's may be mapped at the
        // same address and registered under the same key, and must stay registered.
        update(|s| s.retain(|i| !Arc::ptr_eq(i, &self.0)));
    }
}

/// Registers a module's text.
pub(crate) fn register_code(info: CodeInfo) -> CodeRegistration {
    let info = Arc::new(info);
    update(|s| {
        // An entry at the same start belongs to a text already unmapped whose registration
        // has not been dropped yet: the newer mapping wins.
        s.retain(|i| i.start != info.start);
        let at = s.partition_point(|i| i.start < info.start);
        s.insert(at, info.clone());
    });
    CodeRegistration(info)
}

fn containing(s: &[Arc<CodeInfo>], pc: usize) -> Option<&Arc<CodeInfo>> {
    let i = s.partition_point(|i| i.start <= pc).checked_sub(1)?;
    let info = &s[i];
    (pc < info.start + info.len).then_some(info)
}

/// The registered text containing `pc`, if any (not for the signal handler: it counts a
/// reference).
pub(crate) fn lookup(pc: usize) -> Option<Arc<CodeInfo>> {
    read(|s| containing(s, pc).cloned())
}

/// Whether `pc` is in registered wasm code; for the signal handler (no lock, no allocation).
/// Every fault there is a trap (an unrecorded one is reported as a corrupt module by
/// `unwind::trap_at`): whatever a damaged manifest says, it cannot turn a fault in wasm code
/// into the death of the host process.
pub(crate) fn is_wasm_code(pc: usize) -> bool {
    read(|s| containing(s, pc).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signal_path_takes_no_lock_writers_hold() {
        // Before: a fault on a thread holding the registry's lock waited for that lock in the
        // handler, forever. Now the handler's read never touches the writers' mutex.
        let _w = WRITER.lock().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(is_wasm_code(12345)).unwrap());
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10)),
            Ok(false)
        );
        // And a read on the lock holder's own thread, as a handler would run there.
        assert!(!is_wasm_code(1));
    }
}
