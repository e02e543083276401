//! Entering wasm with a way back: each call from the host into wasm pushes a [`CallState`] on a
//! thread-local chain; a fault or a failing host function returns to the innermost one.

use super::{registry, signals, Trap, TrapReason};
use crate::arch::{self, JmpBuf};
use std::cell::{Cell, UnsafeCell};

/// One host-to-wasm call in progress on this thread.
pub(crate) struct CallState {
    pub jmpbuf: UnsafeCell<JmpBuf>,
    /// The PC of a fault, recorded by the signal handler.
    pub fault_pc: Cell<usize>,
    /// A trap raised by the host, set before unwinding.
    pub host_trap: Cell<Option<Trap>>,
    prev: *const CallState,
}

thread_local! {
    static CURRENT: Cell<*const CallState> = const { Cell::new(std::ptr::null()) };
}

/// The innermost call state of this thread (null outside wasm).
pub(crate) fn current() -> *const CallState {
    CURRENT.with(|c| c.get())
}

unsafe extern "C" fn call_closure<F: FnMut()>(data: *mut u8) {
    // SAFETY: `data` is the `&mut F` passed by `catch_traps` below, alive for this call.
    let f = unsafe { &mut *(data as *mut F) };
    f();
}

/// Runs `f` (which calls into wasm) so that traps in it come back as `Err`.
///
/// # Safety
/// `f` must not hold values with destructors across its call into wasm: a trap abandons its frame.
pub(crate) unsafe fn catch_traps<F: FnMut()>(mut f: F) -> Result<(), Trap> {
    signals::ensure_installed();
    signals::ensure_altstack();
    let state = CallState {
        jmpbuf: UnsafeCell::new(JmpBuf::new()),
        fault_pc: Cell::new(0),
        host_trap: Cell::new(None),
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
    if r == 0 {
        return Ok(());
    }
    if let Some(trap) = state.host_trap.take() {
        return Err(trap);
    }
    Err(trap_at(state.fault_pc.get()))
}

/// Builds the report of a fault at `pc` (outside the signal handler: this allocates).
fn trap_at(pc: usize) -> Trap {
    let Some(info) = registry::lookup(pc) else {
        return Trap::host(format!("fault at unknown code address {pc:#x}"));
    };
    let off = (pc - info.start) as u32;
    let site = info.tables.trap_site(off);
    Trap {
        reason: match site {
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
        wasm_offset: site.map(|s| s.wasm_offset),
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
