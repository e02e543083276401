//! AArch64 (AAPCS64): context save/restore and signal context access.

use super::JmpBuf;

/// Saves callee-saved state in `buf` and calls `f(data)`; returns 0, or 1 when [`unwind`] is
/// called with `buf`.
///
/// # Safety
/// `buf` must stay valid until this returns; `f` must not return through frames that `unwind`
/// would skip with pending destructors.
#[unsafe(naked)]
pub unsafe extern "C" fn try_call(
    buf: *mut JmpBuf,
    f: unsafe extern "C" fn(*mut u8),
    data: *mut u8,
) -> u32 {
    core::arch::naked_asm!(
        "stp x19, x20, [x0, #0]",
        "stp x21, x22, [x0, #16]",
        "stp x23, x24, [x0, #32]",
        "stp x25, x26, [x0, #48]",
        "stp x27, x28, [x0, #64]",
        "stp x29, x30, [x0, #80]",
        "mov x9, sp",
        "str x9, [x0, #96]",
        "stp d8, d9, [x0, #104]",
        "stp d10, d11, [x0, #120]",
        "stp d12, d13, [x0, #136]",
        "stp d14, d15, [x0, #152]",
        "stp x29, x30, [sp, #-16]!",
        "mov x29, sp",
        "mov x0, x2",
        "blr x1",
        "ldp x29, x30, [sp], #16",
        "mov w0, #0",
        "ret",
    )
}

/// Restores the state saved by [`try_call`] in `buf`, which then returns 1.
///
/// # Safety
/// `buf` must have been filled by a `try_call` that is still on the stack.
#[unsafe(naked)]
pub unsafe extern "C" fn unwind(buf: *const JmpBuf) -> ! {
    core::arch::naked_asm!(
        "ldp x19, x20, [x0, #0]",
        "ldp x21, x22, [x0, #16]",
        "ldp x23, x24, [x0, #32]",
        "ldp x25, x26, [x0, #48]",
        "ldp x27, x28, [x0, #64]",
        "ldp x29, x30, [x0, #80]",
        "ldr x9, [x0, #96]",
        "mov sp, x9",
        "ldp d8, d9, [x0, #104]",
        "ldp d10, d11, [x0, #120]",
        "ldp d12, d13, [x0, #136]",
        "ldp d14, d15, [x0, #152]",
        "mov w0, #1",
        "ret",
    )
}

/// The `throw` builtin's entry: hands the thrower's frame pointer and return address to
/// [`crate::traps::throw_from_wasm`], then resumes where it says (stack pointer, frame
/// pointer, exception in `x0`, the first exception payload register; `x1` cleared).
///
/// # Safety
/// Called only by compiled code, as the `throw` builtin.
#[unsafe(naked)]
pub unsafe extern "C" fn throw_entry(vmctx: *mut u8, tag: u32, arg: usize) -> ! {
    core::arch::naked_asm!(
        "mov x3, x29",
        "mov x4, x30",
        "bl {throw}",
        "ldr x9, [x0]",
        "ldr x10, [x0, #8]",
        "ldr x29, [x0, #16]",
        "ldr x0, [x0, #24]",
        "mov sp, x10",
        "mov x1, xzr",
        "br x9",
        throw = sym crate::traps::throw_from_wasm,
    )
}

/// Defines `$name`, the entry of a builtin that may collect garbage: it records where its wasm
/// caller is (frame pointer, and the return address in the link register) in the store's
/// limits record, then branches to `$target`, which returns to the caller itself.
macro_rules! exit_stub {
    ($name:ident => $target:path) => {
        /// The entry stub of the builtin it branches to (see `exit_stub!`).
        ///
        /// # Safety
        /// Called only by compiled code, with its context first.
        #[unsafe(naked)]
        pub(crate) unsafe extern "C" fn $name() {
            core::arch::naked_asm!(
                "ldr x9, [x0, #{limits}]",
                "str x29, [x9, #{fp}]",
                "str x30, [x9, #{pc}]",
                "b {target}",
                limits = const sowa_targets::vmctx::LIMITS,
                fp = const sowa_targets::vmctx::limits::EXIT_FP,
                pc = const sowa_targets::vmctx::limits::EXIT_PC,
                target = sym $target,
            )
        }
    };
}
pub(crate) use exit_stub;

/// The faulting program counter in a signal context.
///
/// # Safety
/// `ctx` must be the `ucontext_t` passed to a `SA_SIGINFO` handler.
pub unsafe fn context_pc(ctx: *mut libc::c_void) -> usize {
    let uc = ctx as *const libc::ucontext_t;
    // SAFETY: per the caller's contract, `uc` points to a valid ucontext.
    unsafe { (*uc).uc_mcontext.pc as usize }
}

/// Makes the signal return into `unwind(buf)`.
///
/// # Safety
/// As for [`context_pc`]; `buf` must satisfy [`unwind`]'s contract.
pub unsafe fn redirect_to_unwind(ctx: *mut libc::c_void, buf: *const JmpBuf) {
    let uc = ctx as *mut libc::ucontext_t;
    // SAFETY: per the caller's contract, `uc` points to a valid, writable ucontext.
    unsafe {
        (*uc).uc_mcontext.pc = unwind as *const () as usize as u64;
        (*uc).uc_mcontext.regs[0] = buf as u64;
    }
}
