//! x86-64 System V: context save/restore and signal context access.

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
        "mov [rdi + 0], rbx",
        "mov [rdi + 8], rbp",
        "mov [rdi + 16], r12",
        "mov [rdi + 24], r13",
        "mov [rdi + 32], r14",
        "mov [rdi + 40], r15",
        "lea rax, [rsp + 8]",
        "mov [rdi + 48], rax",
        "mov rax, [rsp]",
        "mov [rdi + 56], rax",
        "sub rsp, 8",
        "mov rdi, rdx",
        "call rsi",
        "add rsp, 8",
        "xor eax, eax",
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
        "mov rbx, [rdi + 0]",
        "mov rbp, [rdi + 8]",
        "mov r12, [rdi + 16]",
        "mov r13, [rdi + 24]",
        "mov r14, [rdi + 32]",
        "mov r15, [rdi + 40]",
        "mov rsp, [rdi + 48]",
        "mov eax, 1",
        "jmp qword ptr [rdi + 56]",
    )
}

/// The `throw` builtin's entry: hands the thrower's frame pointer and return address to
/// [`crate::traps::throw_from_wasm`], then resumes where it says (stack pointer, frame
/// pointer, exception in `rax`, the first exception payload register; `rdx` cleared).
///
/// # Safety
/// Called only by compiled code, as the `throw` builtin.
#[unsafe(naked)]
pub unsafe extern "C" fn throw_entry(vmctx: *mut u8, tag: u32, arg: usize) -> ! {
    core::arch::naked_asm!(
        "mov rcx, rbp",
        "mov r8, [rsp]",
        // Entered by a call: rsp is 8 past a 16-byte boundary.
        "sub rsp, 8",
        "call {throw}",
        "mov rsp, [rax + 8]",
        "mov rbp, [rax + 16]",
        "mov rcx, [rax]",
        "mov rax, [rax + 24]",
        "xor edx, edx",
        "jmp rcx",
        throw = sym crate::traps::throw_from_wasm,
    )
}

/// Defines `$name`, the entry of a builtin that may collect garbage: it records where its wasm
/// caller is (frame pointer, and the return address at the top of the stack) in the store's
/// limits record, then jumps to `$target`, which returns to the caller itself.
macro_rules! exit_stub {
    ($name:ident => $target:path) => {
        /// The entry stub of the builtin it jumps to (see `exit_stub!`).
        ///
        /// # Safety
        /// Called only by compiled code, with its context first.
        #[unsafe(naked)]
        pub(crate) unsafe extern "C" fn $name() {
            core::arch::naked_asm!(
                "mov rax, [rdi + {limits}]",
                "mov [rax + {fp}], rbp",
                "mov r11, [rsp]",
                "mov [rax + {pc}], r11",
                "jmp {target}",
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
    unsafe { (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] as usize }
}

/// Makes the signal return into `unwind(buf)`.
///
/// # Safety
/// As for [`context_pc`]; `buf` must satisfy [`unwind`]'s contract.
pub unsafe fn redirect_to_unwind(ctx: *mut libc::c_void, buf: *const JmpBuf) {
    let uc = ctx as *mut libc::ucontext_t;
    // SAFETY: per the caller's contract, `uc` points to a valid, writable ucontext.
    unsafe {
        (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] = unwind as *const () as usize as i64;
        (*uc).uc_mcontext.gregs[libc::REG_RDI as usize] = buf as i64;
    }
}
