//! `sowa_trap_t`: why a call stopped, with the strings C reads kept beside the trap so that
//! the pointers handed out stay valid until it is freed.

use crate::str_arg;
use sowa_runtime::{Trap, TrapReason};
use std::ffi::{c_char, CString};

/// A trap as C sees it.
pub struct CTrap {
    pub(crate) trap: Trap,
    message: CString,
    function: Option<CString>,
}

fn c_string(s: String) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

impl CTrap {
    /// Wraps `trap` for C.
    pub fn new(trap: Trap) -> Box<CTrap> {
        Box::new(CTrap {
            message: c_string(trap.to_string()),
            function: trap.func.clone().map(c_string),
            trap,
        })
    }
}

/// Hands `trap` to C through `out` when `out` is not null (else drops it).
///
/// # Safety
/// `out` is null or writable.
pub(crate) unsafe fn give(out: *mut *mut CTrap, trap: Trap) {
    if !out.is_null() {
        // SAFETY: non-null and writable per the contract.
        unsafe { out.write(Box::into_raw(CTrap::new(trap))) };
    }
}

/// The trap at `p`, which C promises is live.
///
/// # Safety
/// `p` is null or a live trap.
unsafe fn get<'a>(p: *const CTrap) -> Option<&'a CTrap> {
    // SAFETY: null or live per the contract.
    unsafe { p.as_ref() }
}

/// `SOWA_TRAP_REASON_*` of `trap`.
///
/// # Safety
/// `trap` is null or a live trap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_trap_reason(trap: *const CTrap) -> u32 {
    // SAFETY: per the contract.
    match unsafe { get(trap) }.map(|t| &t.trap.reason) {
        Some(TrapReason::Wasm(_)) | None => 0,
        Some(TrapReason::Exit(_)) => 1,
        Some(TrapReason::Host(_)) => 2,
        Some(TrapReason::Exception(_)) => 3,
    }
}

/// The `SOWA_TRAP_*` code of a wasm trap (the artifact format's number for its kind), else 0.
///
/// # Safety
/// `trap` is null or a live trap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_trap_code(trap: *const CTrap) -> u32 {
    // SAFETY: per the contract.
    unsafe { get(trap) }
        .and_then(|t| t.trap.kind())
        .map_or(0, |k| k as u32)
}

/// The `proc_exit` status, else -1.
///
/// # Safety
/// `trap` is null or a live trap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_trap_exit_code(trap: *const CTrap) -> i32 {
    // SAFETY: per the contract.
    unsafe { get(trap) }
        .and_then(|t| t.trap.exit_code())
        .unwrap_or(-1)
}

/// The function that trapped, or null.
///
/// # Safety
/// `trap` is null or a live trap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_trap_function(trap: *const CTrap) -> *const c_char {
    // SAFETY: per the contract.
    unsafe { get(trap) }
        .and_then(|t| t.function.as_ref())
        .map_or(std::ptr::null(), |f| f.as_ptr())
}

/// The wasm byte offset of the trap, or -1.
///
/// # Safety
/// `trap` is null or a live trap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_trap_wasm_offset(trap: *const CTrap) -> i64 {
    // SAFETY: per the contract.
    unsafe { get(trap) }
        .and_then(|t| t.trap.wasm_offset)
        .map_or(-1, i64::from)
}

/// The whole report.
///
/// # Safety
/// `trap` is null or a live trap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_trap_message(trap: *const CTrap) -> *const c_char {
    // SAFETY: per the contract.
    match unsafe { get(trap) } {
        Some(t) => t.message.as_ptr(),
        None => c"(null trap)".as_ptr(),
    }
}

/// A host error for a host function to return.
///
/// # Safety
/// `message` is null or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_trap_new(message: *const c_char) -> *mut CTrap {
    // SAFETY: per the contract.
    let m = unsafe { str_arg(message, "message") }.unwrap_or("host function failed");
    Box::into_raw(CTrap::new(Trap::host(m)))
}

/// Frees `trap`.
///
/// # Safety
/// `trap` is null or a trap from this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_trap_free(trap: *mut CTrap) {
    if !trap.is_null() {
        // SAFETY: made by `Box::into_raw`, freed once.
        drop(unsafe { Box::from_raw(trap) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sowa_targets::TrapKind;

    /// The header restates the trap codes for C; they must be the format's.
    #[test]
    fn header_trap_codes_are_the_artifact_formats() {
        let header = include_str!("../include/sowa.h");
        for k in TrapKind::ALL {
            let name: String = format!("{k:?}")
                .chars()
                .flat_map(|c| {
                    let sep = c.is_uppercase().then_some('_');
                    sep.into_iter().chain(c.to_uppercase())
                })
                .collect();
            let line = format!("#define SOWA_TRAP{name} {}\n", k as u32);
            assert!(header.contains(&line), "sowa.h lacks `{}`", line.trim());
        }
    }

    #[test]
    fn traps_report_their_parts() {
        let t = CTrap::new(Trap {
            reason: TrapReason::Wasm(TrapKind::IntegerDivideByZero),
            func: Some("div".into()),
            wasm_offset: Some(0x2e),
        });
        let p: *const CTrap = &*t;
        // SAFETY: `p` points at the live box above.
        unsafe {
            assert_eq!(sowa_trap_reason(p), 0);
            assert_eq!(sowa_trap_code(p), 2);
            assert_eq!(sowa_trap_wasm_offset(p), 0x2e);
            assert_eq!(sowa_trap_exit_code(p), -1);
            let f = std::ffi::CStr::from_ptr(sowa_trap_function(p));
            assert_eq!(f.to_str().unwrap(), "div");
            let m = std::ffi::CStr::from_ptr(sowa_trap_message(p));
            assert!(m.to_str().unwrap().contains("integer divide by zero"));
        }
    }
}
