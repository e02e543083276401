//! Signal handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE: a fault in compiled code during a wasm
//! call becomes a trap; any other signal goes to the handler that was there before. And the
//! handler for [`INTERRUPT_SIGNAL`], which ends a call past its store's deadline (see
//! `crate::epoch` for who sends it and why every race is harmless).

use super::{registry, unwind};
use crate::arch;
use crate::epoch::INTERRUPT_SIGNAL;
use sowa_loader::region::{page_size, Access, Region};
use std::sync::OnceLock;

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// The dispositions our handlers replaced, in [`SIGNALS`] order.
static PREVIOUS: OnceLock<[libc::sigaction; 4]> = OnceLock::new();

/// The disposition the interrupt handler replaced.
static PREVIOUS_INTERRUPT: OnceLock<libc::sigaction> = OnceLock::new();

/// Installs the handlers once per process.
pub(crate) fn ensure_installed() {
    PREVIOUS_INTERRUPT.get_or_init(|| {
        // SAFETY: as below; SA_RESTART so that a signal meant for wasm that reaches host code
        // restarts the system calls that can be restarted.
        unsafe {
            let mut prev: libc::sigaction = std::mem::zeroed();
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = interrupt_handler as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(INTERRUPT_SIGNAL, &sa, &mut prev) != 0 {
                panic!("cannot install the handler for signal {INTERRUPT_SIGNAL}");
            }
            prev
        }
    });
    PREVIOUS.get_or_init(|| {
        // SAFETY: an all-zero sigaction is a valid (default) disposition.
        let mut previous: [libc::sigaction; 4] = unsafe { std::mem::zeroed() };
        for (prev, sig) in previous.iter_mut().zip(SIGNALS) {
            // SAFETY: we pass a valid sigaction and a valid out-pointer.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                libc::sigemptyset(&mut sa.sa_mask);
                if libc::sigaction(sig, &sa, prev) != 0 {
                    panic!("cannot install the handler for signal {sig}");
                }
            }
        }
        previous
    });
}

/// This thread's alternate signal stack, when sowa installed it: a guard page below the stack
/// (a handler overflowing it faults instead of writing over whatever lies below), unmapped
/// when the thread exits.
struct AltStack {
    /// The whole mapping, guard page first.
    map: Option<Region>,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        let Some(map) = self.map.take() else { return };
        // SAFETY: if the kernel still delivers signals onto this stack, it is disabled first,
        // so no signal can land on freed memory; a stack in use (impossible when the thread
        // exits, but cheap to rule out) is left mapped.
        unsafe {
            let mut cur: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(std::ptr::null(), &mut cur);
            if cur.ss_sp as usize == map.base() as usize + page_size() {
                if cur.ss_flags & libc::SS_ONSTACK != 0 {
                    std::mem::forget(map);
                    return;
                }
                let off = libc::stack_t {
                    ss_sp: std::ptr::null_mut(),
                    ss_flags: libc::SS_DISABLE,
                    ss_size: 0,
                };
                libc::sigaltstack(&off, std::ptr::null_mut());
            }
        }
        drop(map);
    }
}

thread_local! {
    /// Whether this thread has an alternate stack fit for the handler (its own or sowa's), and
    /// sowa's, to free at thread exit.
    static ALTSTACK: std::cell::RefCell<(bool, Option<AltStack>)> =
        const { std::cell::RefCell::new((false, None)) };
}

const ALTSTACK_SIZE: usize = 64 * 1024;

/// Makes sure this thread has an alternate signal stack, so a handler can run even when the
/// fault is on the edge of the thread's stack.
pub(crate) fn ensure_altstack() {
    let _ = ALTSTACK.try_with(|a| {
        let mut a = a.borrow_mut();
        if a.0 {
            return;
        }
        // SAFETY: querying and setting this thread's alternate stack with valid structures;
        // the mapping is owned by the AltStack record kept until the thread exits.
        unsafe {
            let mut old: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(std::ptr::null(), &mut old);
            if old.ss_flags & libc::SS_DISABLE == 0 && old.ss_size >= ALTSTACK_SIZE {
                a.0 = true;
                return;
            }
            let guard = page_size();
            let Ok(map) = Region::anonymous(guard + ALTSTACK_SIZE, Access::ReadWrite) else {
                return;
            };
            if map.protect(0, guard, Access::None).is_err() {
                return;
            }
            let st = libc::stack_t {
                ss_sp: map.base().add(guard).cast(),
                ss_flags: 0,
                ss_size: ALTSTACK_SIZE,
            };
            if libc::sigaltstack(&st, std::ptr::null_mut()) == 0 {
                *a = (true, Some(AltStack { map: Some(map) }));
            }
        }
    });
}

unsafe extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let state = unwind::current();
    if !state.is_null() {
        // SAFETY: the kernel passes a valid ucontext to an SA_SIGINFO handler.
        let pc = unsafe { arch::context_pc(ctx) };
        if registry::is_wasm_code(pc) {
            // SAFETY: `state` is this thread's innermost live call state; redirecting the
            // context makes the signal return into `unwind`, which restores that call.
            unsafe {
                (*state).fault_pc.set(pc);
                arch::redirect_to_unwind(ctx, (*state).jmpbuf.get());
            }
            return;
        }
    }
    // SAFETY: forwarding to the previous disposition saved at install time.
    unsafe { forward(sig, info, ctx) }
}

/// Ends the innermost call as an `interrupted` trap if its store is past its deadline and the
/// thread is in compiled code; anything else (a late signal, a thread in host code or in a
/// builtin, the signal sent by someone else) goes to the previous disposition, which by
/// default ignores it.
unsafe extern "C" fn interrupt_handler(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    ctx: *mut libc::c_void,
) {
    let state = unwind::current();
    // SAFETY: a non-null state is this thread's innermost live call; `due` reads atomics.
    if !state.is_null() && unsafe { (*state).due() } {
        // SAFETY: the kernel passes a valid ucontext to an SA_SIGINFO handler.
        let pc = unsafe { arch::context_pc(ctx) };
        if registry::is_wasm_code(pc) {
            // SAFETY: as for faults: the context returns into `unwind`, which restores the
            // innermost call. Compiled code holds no host resources at any instruction, so
            // abandoning its frames anywhere is as sound as at a trapping one.
            unsafe {
                (*state).fault_pc.set(pc);
                (*state).interrupted.set(true);
                arch::redirect_to_unwind(ctx, (*state).jmpbuf.get());
            }
            return;
        }
    }
    if let Some(prev) = PREVIOUS_INTERRUPT.get() {
        let h = prev.sa_sigaction;
        // The default action of SIGURG is to ignore it.
        if h != libc::SIG_DFL && h != libc::SIG_IGN {
            // SAFETY: passing the signal on, as the kernel would have without us.
            unsafe { call_handler(prev, sig, info, ctx) }
        }
    }
}

unsafe fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let (Some(i), Some(previous)) = (SIGNALS.iter().position(|s| *s == sig), PREVIOUS.get()) else {
        return;
    };
    let prev = &previous[i];
    let h = prev.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        // Restore the default and return: the faulting instruction runs again and the process
        // gets the signal's default action, as if we had never been installed.
        // SAFETY: restoring a disposition that the kernel gave us.
        unsafe {
            libc::sigaction(sig, prev, std::ptr::null_mut());
        }
    } else {
        // SAFETY: passing the signal on, as the kernel would have without us.
        unsafe { call_handler(prev, sig, info, ctx) }
    }
}

/// Calls the handler function of disposition `prev` (neither default nor ignore) in the form
/// it was installed with.
///
/// # Safety
/// `prev` must be a disposition the kernel returned, with a handler function.
unsafe fn call_handler(
    prev: &libc::sigaction,
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    ctx: *mut libc::c_void,
) {
    let h = prev.sa_sigaction;
    if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler asked for the three-argument form.
        unsafe {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(h);
            f(sig, info, ctx);
        }
    } else {
        // SAFETY: the previous handler is a one-argument handler.
        unsafe {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(h);
            f(sig);
        }
    }
}
