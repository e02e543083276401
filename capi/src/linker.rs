//! `sowa_linker_t` and host functions written in C; the value record C passes them.

use crate::trap::CTrap;
use crate::{slice_arg, status, str_arg, Error, Status};
use sowa_runtime::{Caller, FuncType, Linker, Trap, Val, ValType};
use std::ffi::{c_char, c_void};

/// `sowa_val_t`'s payload.
#[repr(C)]
#[derive(Clone, Copy)]
pub union CValUnion {
    /// `SOWA_I32`.
    pub i32: i32,
    /// `SOWA_I64`.
    pub i64: i64,
    /// `SOWA_F32`.
    pub f32: f32,
    /// `SOWA_F64`.
    pub f64: f64,
}

/// `sowa_val_t`: a kind and a payload.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CVal {
    /// `SOWA_I32`, `SOWA_I64`, `SOWA_F32` or `SOWA_F64`.
    pub kind: u32,
    /// The value, in the member `kind` names.
    pub of: CValUnion,
}

/// The kinds of `sowa_valkind_t`, by number.
const KINDS: [ValType; 4] = [ValType::I32, ValType::I64, ValType::F32, ValType::F64];

/// The value type of C kind `k`.
pub(crate) fn val_type(k: u32) -> Result<ValType, Box<Error>> {
    KINDS.get(k as usize).copied().ok_or_else(|| {
        Error::new(format!(
            "value kind {k} is not one of SOWA_I32, SOWA_I64, SOWA_F32, SOWA_F64"
        ))
    })
}

/// The C kind of `t`, if C can hold it.
pub(crate) fn kind_of(t: ValType) -> Option<u32> {
    KINDS.iter().position(|k| *k == t).map(|p| p as u32)
}

/// `v` as a Rust value.
pub(crate) fn from_c(v: &CVal) -> Result<Val, Box<Error>> {
    // SAFETY (each arm): the member read is the one `kind` says was written; every bit
    // pattern is a valid value of these plain types either way.
    Ok(match val_type(v.kind)? {
        ValType::I32 => Val::I32(unsafe { v.of.i32 }),
        ValType::I64 => Val::I64(unsafe { v.of.i64 }),
        ValType::F32 => Val::F32(unsafe { v.of.f32 }.to_bits()),
        _ => Val::F64(unsafe { v.of.f64 }.to_bits()),
    })
}

/// `v` for C, or `None` for a value C cannot hold (vectors, references).
pub(crate) fn to_c(v: &Val) -> Option<CVal> {
    let (kind, of) = match *v {
        Val::I32(x) => (0, CValUnion { i32: x }),
        Val::I64(x) => (1, CValUnion { i64: x }),
        Val::F32(x) => (
            2,
            CValUnion {
                f32: f32::from_bits(x),
            },
        ),
        Val::F64(x) => (
            3,
            CValUnion {
                f64: f64::from_bits(x),
            },
        ),
        _ => return None,
    };
    Some(CVal { kind, of })
}

/// A linker (`sowa_linker_t`).
pub struct CLinker(pub(crate) Linker);

/// A new, empty linker.
#[unsafe(no_mangle)]
pub extern "C" fn sowa_linker_new() -> *mut CLinker {
    Box::into_raw(Box::new(CLinker(Linker::new())))
}

/// Frees `linker` (and, through their finalizers, the environments of its host functions once
/// no instance needs them).
///
/// # Safety
/// `linker` is null or a linker from this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_linker_free(linker: *mut CLinker) {
    if !linker.is_null() {
        // SAFETY: made by `Box::into_raw` in `sowa_linker_new`, freed once.
        drop(unsafe { Box::from_raw(linker) });
    }
}

/// `sowa_func_callback_t`.
pub type Callback = unsafe extern "C" fn(
    env: *mut c_void,
    caller: *mut Caller,
    args: *const CVal,
    nargs: usize,
    results: *mut CVal,
    nresults: usize,
) -> *mut CTrap;

/// A C host function's environment: freed by its finalizer when the last copy of the
/// function (the linker's, or one an instance imported) is dropped.
struct Env {
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the finalizer and environment C gave together, called once.
            unsafe { f(self.env) };
        }
    }
}

/// Defines `module`.`name` as the C function `callback`.
///
/// # Safety
/// `linker` is live; strings are C strings; `params` and `results` hold `nparams` and
/// `nresults` kinds; `callback` and `finalizer` are functions of those types, which may be
/// called with `env` for as long as the linker or an instance made with it lives.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // the C signature
pub unsafe extern "C" fn sowa_linker_define_func(
    linker: *mut CLinker,
    module: *const c_char,
    name: *const c_char,
    params: *const u32,
    nparams: usize,
    results: *const u32,
    nresults: usize,
    callback: Option<Callback>,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> Status {
    // The environment is owned from here on: an error below still finalizes it.
    let env = std::rc::Rc::new(Env { env, finalizer });
    status((|| {
        // SAFETY: null or live per the contract.
        let linker = unsafe { linker.as_mut() }.ok_or_else(|| Error::new("linker is NULL"))?;
        // SAFETY: C strings and arrays per the contract.
        let (module, name, params, results) = unsafe {
            (
                str_arg(module, "module")?,
                str_arg(name, "name")?,
                slice_arg(params, nparams, "params")?,
                slice_arg(results, nresults, "results")?,
            )
        };
        let callback = callback.ok_or_else(|| Error::new("callback is NULL"))?;
        let ty = FuncType {
            params: params
                .iter()
                .map(|k| val_type(*k))
                .collect::<Result<_, _>>()?,
            results: results
                .iter()
                .map(|k| val_type(*k))
                .collect::<Result<_, _>>()?,
        };
        let result_kinds: Vec<u32> = results.to_vec();
        linker
            .0
            .func_new(module, name, ty, move |caller, args, out| {
                let args: Vec<CVal> = args.iter().filter_map(to_c).collect();
                let mut res: Vec<CVal> = result_kinds
                    .iter()
                    .map(|k| CVal {
                        kind: *k,
                        of: CValUnion { i64: 0 },
                    })
                    .collect();
                // SAFETY: the callback C defined with this type; the pointers are to live vectors
                // of the stated lengths and the caller, all valid for the call.
                let trap = unsafe {
                    callback(
                        env.env,
                        caller,
                        args.as_ptr(),
                        args.len(),
                        res.as_mut_ptr(),
                        res.len(),
                    )
                };
                if !trap.is_null() {
                    // SAFETY: a trap from `sowa_trap_new`, whose ownership C hands back.
                    return Err(unsafe { Box::from_raw(trap) }.trap);
                }
                for ((slot, v), kind) in out.iter_mut().zip(&res).zip(&result_kinds) {
                    if v.kind != *kind {
                        return Err(Trap::host(
                            "a host function changed the kind of a result (leave `kind` as set)",
                        ));
                    }
                    *slot = from_c(v).map_err(|e| Trap::host(e.message.to_string_lossy()))?;
                }
                Ok(())
            });
        Ok(())
    })())
}

/// The calling instance's memory, valid during the callback.
///
/// # Safety
/// `caller` is the pointer a host function was called with, during that call; `len` is null
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_caller_memory(caller: *mut Caller, len: *mut usize) -> *mut u8 {
    // SAFETY: the live caller of the running host call, per the contract.
    let memory = unsafe { caller.as_mut() }.and_then(|c| c.memory());
    let (ptr, n) = match memory {
        Some(m) => (m.as_mut_ptr(), m.len()),
        None => (std::ptr::null_mut(), 0),
    };
    if !len.is_null() {
        // SAFETY: non-null and writable per the contract.
        unsafe { len.write(n) };
    }
    ptr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cross_both_ways_and_bad_kinds_are_errors() {
        for v in [
            Val::I32(-7),
            Val::I64(1 << 40),
            Val::F32(1.5f32.to_bits()),
            Val::F64(2.25f64.to_bits()),
        ] {
            let c = to_c(&v).unwrap();
            assert_eq!(from_c(&c).unwrap(), v);
        }
        assert!(to_c(&Val::V128(1)).is_none());
        let bad = CVal {
            kind: 9,
            of: CValUnion { i32: 0 },
        };
        assert!(from_c(&bad).is_err());
        assert_eq!(kind_of(ValType::F64), Some(3));
    }
}
