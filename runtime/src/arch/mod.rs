//! What differs per CPU on the runtime side: the register save/restore that lets a trap return
//! to the host call that entered wasm, and reading/redirecting a signal context.
//!
//! `try_call(buf, f, data)` saves the callee-saved registers, stack pointer and return address in
//! `buf`, calls `f(data)` and returns 0. `unwind(buf)` restores them and makes that `try_call`
//! return 1: it is what a trap handler jumps to (by rewriting the signal context's PC), and what a
//! host function calls to abandon the wasm frames above it.

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use aarch64::*;

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

/// Register save area for [`try_call`] / [`unwind`] (large enough for both targets).
#[repr(C, align(16))]
pub struct JmpBuf(pub [u64; 24]);

impl JmpBuf {
    /// An empty buffer.
    pub const fn new() -> JmpBuf {
        JmpBuf([0; 24])
    }
}

/// The current stack pointer (approximately: the address of a local).
#[inline(never)]
pub fn stack_pointer() -> usize {
    let x = 0u8;
    std::hint::black_box(&x) as *const u8 as usize
}
