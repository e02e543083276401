//! Entering wasm with a way back: each call from the host into wasm pushes a [`CallState`] on a
//! thread-local chain; a fault or a failing host function returns to the innermost one.

use super::{registry, signals, Trap, TrapKind, TrapReason};
use crate::arch::{self, JmpBuf};
use crate::epoch::Watch;
use crate::vmcontext::VMLimits;
use std::cell::{Cell, UnsafeCell};

/// One host-to-wasm call in progress on this thread.
pub(crate) struct CallState {
    pub jmpbuf: UnsafeCell<JmpBuf>,
    /// The PC of a fault, recorded by the signal handler.
    pub fault_pc: Cell<usize>,
    /// A trap raised by the host, set before unwinding.
    pub host_trap: Cell<Option<Trap>>,
    /// The deadline of the store the call runs in (alive for the call).
    watch: *const Watch,
    /// Set by the interrupt handler: the call ended at `fault_pc` because of its deadline.
    pub interrupted: Cell<bool>,
    /// The limits record of the call's store, and where that store's wasm had last left for
    /// the runtime when this call entered it (`exit_fp`, `exit_pc`): the collector walks the
    /// frames of outer activations from there. Restored when the call ends, so that a store
    /// with no wasm running has none recorded.
    limits: *mut VMLimits,
    saved_exit: (usize, usize),
    prev: *const CallState,
}

thread_local! {
    static CURRENT: Cell<*const CallState> = const { Cell::new(std::ptr::null()) };
}

/// The innermost call state of this thread (null outside wasm).
pub(crate) fn current() -> *const CallState {
    CURRENT.with(|c| c.get())
}

impl CallState {
    /// Whether the call's store is past its deadline. Reads atomics only: the interrupt
    /// handler calls it.
    pub fn due(&self) -> bool {
        // SAFETY: the watch belongs to the store the call runs in, alive for the call.
        unsafe { (*self.watch).reached() }
    }
}

unsafe extern "C" fn call_closure<F: FnMut()>(data: *mut u8) {
    // SAFETY: `data` is the `&mut F` passed by `catch_traps` below, alive for this call.
    let f = unsafe { &mut *(data as *mut F) };
    f();
}

/// Runs `f` (which calls into wasm for a store whose deadline is `watch`) so that traps in it
/// come back as `Err`; a store past its deadline traps before `f` runs.
///
/// # Safety
/// `f` must not hold values with destructors across its call into wasm: a trap abandons its frame.
pub(crate) unsafe fn catch_traps<F: FnMut()>(
    watch: &Watch,
    limits: *mut VMLimits,
    mut f: F,
) -> Result<(), Trap> {
    signals::ensure_installed();
    signals::ensure_altstack();
    // Published before the deadline is read: see the race reasoning in `crate::epoch`.
    let outer = watch.enter();
    if watch.reached() {
        watch.leave(outer);
        return Err(Trap::wasm(TrapKind::Interrupted));
    }
    // SAFETY: the store's limits record, alive for the call (caller's contract).
    let saved_exit = unsafe { ((*limits).exit_fp, (*limits).exit_pc) };
    let state = CallState {
        jmpbuf: UnsafeCell::new(JmpBuf::new()),
        fault_pc: Cell::new(0),
        host_trap: Cell::new(None),
        watch,
        interrupted: Cell::new(false),
        limits,
        saved_exit,
        prev: current(),
    };
    CURRENT.with(|c| c.set(&state));
    // SAFETY: the jmpbuf lives in `state` on this frame until after `try_call` returns, and the
    // closure's frame holds no destructors across the wasm call (caller's contract).
    let r = unsafe {
        arch::try_call(
            state.jmpbuf.get(),
            call_closure::<F>,
            &mut f as *mut F as *mut u8,
        )
    };
    CURRENT.with(|c| c.set(state.prev));
    // SAFETY: as above.
    unsafe { ((*limits).exit_fp, (*limits).exit_pc) = saved_exit };
    watch.leave(outer);
    if r == 0 {
        return Ok(());
    }
    if let Some(trap) = state.host_trap.take() {
        return Err(trap);
    }
    Err(trap_at(state.fault_pc.get(), state.interrupted.get()))
}

/// Calls `f(fp, pc)` with where the store of `limits` had left wasm when each of this thread's
/// live calls into it began, innermost first (skipping calls that began with none: from the
/// host, not from a host function called by the store's wasm).
pub(crate) fn for_each_saved_exit(limits: *const VMLimits, mut f: impl FnMut(usize, usize)) {
    let mut s = current();
    while !s.is_null() {
        // SAFETY: the chain holds this thread's live call states (each unlinked before its
        // frame ends).
        let state = unsafe { &*s };
        if std::ptr::eq(state.limits, limits) && state.saved_exit.0 != 0 {
            f(state.saved_exit.0, state.saved_exit.1);
        }
        s = state.prev;
    }
}

/// Builds the report of a fault, or an interrupt, at `pc` (outside the signal handler: this
/// allocates).
fn trap_at(pc: usize, interrupted: bool) -> Trap {
    let Some(info) = registry::lookup(pc) else {
        return Trap::host(format!("fault at unknown code address {pc:#x}"));
    };
    let off = (pc - info.start) as u32;
    let site = if interrupted {
        None
    } else {
        info.tables.trap_site(off)
    };
    Trap {
        reason: match site {
            _ if interrupted => TrapReason::Wasm(TrapKind::Interrupted),
            Some(s) => TrapReason::Wasm(s.kind),
            // Compiled code faults only where it recorded a trap site; a fault elsewhere means
            // the module's trap table (or its code) was damaged. The call is abandoned all the
            // same, like a trap, rather than taking the host process down.
            None => TrapReason::Host(format!(
                "fault at code offset {off:#x}, which the module does not record as a trap site \
                 (corrupt module)"
            )),
        },
        func: info
            .tables
            .func_at(off)
            .map(|f| crate::module::func_name(&info.tables, info.imported_funcs + f)),
        wasm_offset: match site {
            Some(s) => Some(s.wasm_offset),
            // Interrupted anywhere: the instruction the address map places there; in the
            // prologue, which maps to none, the function's first instruction.
            None if interrupted => info
                .tables
                .func_at(off)
                .and_then(|f| info.tables.function(f))
                .and_then(|f| {
                    let end = f.offset + f.len;
                    match info.tables.wasm_offset_at(off) {
                        Some((at, wasm)) if at >= f.offset => Some(wasm),
                        _ => info
                            .tables
                            .wasm_offset_from(f.offset)
                            .filter(|(at, _)| *at < end)
                            .map(|(_, wasm)| wasm),
                    }
                }),
            None => None,
        },
    }
}

/// Abandons the innermost call as `interrupted` if its store is past its deadline: where wasm
/// gets control back from the host (a host function or a builtin returning), which the
/// interrupt signal does not stop.
///
/// # Safety
/// As for [`raise`].
pub(crate) unsafe fn stop_if_due() {
    let state = current();
    // SAFETY: a non-null state is this thread's innermost live call.
    if !state.is_null() && unsafe { (*state).due() } {
        // SAFETY: the caller's contract.
        unsafe { raise(Trap::wasm(TrapKind::Interrupted)) }
    }
}

/// Abandons the wasm frames of the innermost call and makes it return `trap`.
///
/// # Safety
/// Must be called from a host function called by wasm (so a call state exists), with no live
/// values with destructors on the frames between here and that call.
pub(crate) unsafe fn raise(trap: Trap) -> ! {
    let state = current();
    assert!(!state.is_null(), "raise outside of a wasm call");
    // SAFETY: `state` is the innermost live call state of this thread (set by catch_traps).
    unsafe {
        (*state).host_trap.set(Some(trap));
        arch::unwind((*state).jmpbuf.get())
    }
}
