//! WASI for C hosts: `sowa_linker_define_wasi` and the one-call `sowa_wasi_run`.

use crate::linker::CLinker;
use crate::trap::{give, CTrap};
use crate::{put, slice_arg, str_arg, CModule, CStore, Error, Status};
use sowa_runtime::{InstantiateError, Linker};
use sowa_wasi::WasiCtx;
use std::ffi::c_char;
use std::sync::{Arc, Mutex};

/// `sowa_wasi_config_t`.
#[repr(C)]
pub struct CWasiConfig {
    /// Arguments, the program name first.
    pub argv: *const *const c_char,
    /// Their number.
    pub argc: usize,
    /// `NAME=VALUE` strings.
    pub env: *const *const c_char,
    /// Their number.
    pub envc: usize,
    /// `HOST` or `HOST::GUEST` directories.
    pub dirs: *const *const c_char,
    /// Their number.
    pub ndirs: usize,
}

/// # Safety
/// `p` holds `n` C strings.
unsafe fn strings(
    p: *const *const c_char,
    n: usize,
    what: &str,
) -> Result<Vec<String>, Box<Error>> {
    // SAFETY: `n` pointers per the contract.
    let ptrs = unsafe { slice_arg(p, n, what) }?;
    ptrs.iter()
        // SAFETY: each a C string per the contract.
        .map(|s| unsafe { str_arg(*s, what) }.map(str::to_string))
        .collect()
}

/// The context `config` describes.
///
/// # Safety
/// `config` is null or a live record whose arrays hold their stated numbers of C strings.
unsafe fn context(config: *const CWasiConfig) -> Result<WasiCtx, Box<Error>> {
    // SAFETY: null or live per the contract.
    let Some(c) = (unsafe { config.as_ref() }) else {
        return Ok(WasiCtx::new(vec!["wasm".into()], Vec::new()));
    };
    // SAFETY: the arrays per the contract.
    let (argv, env, dirs) = unsafe {
        (
            strings(c.argv, c.argc, "argv")?,
            strings(c.env, c.envc, "env")?,
            strings(c.dirs, c.ndirs, "dirs")?,
        )
    };
    if let Some(e) = env.iter().find(|e| !e.contains('=')) {
        return Err(Error::new(format!("env entries are NAME=VALUE, not '{e}'")));
    }
    let mut ctx = WasiCtx::new(argv, env);
    for d in &dirs {
        ctx.preopen(d)
            .map_err(|e| Error::new(format!("directory {e}")))?;
    }
    Ok(ctx)
}

/// Defines WASI in `linker`.
///
/// # Safety
/// `linker` is live; `config` as in `sowa.h`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_linker_define_wasi(
    linker: *mut CLinker,
    config: *const CWasiConfig,
) -> Status {
    // SAFETY: null or live per the contract.
    let Some(linker) = (unsafe { linker.as_mut() }) else {
        return Some(Error::new("linker is NULL"));
    };
    // SAFETY: per the contract.
    match unsafe { context(config) } {
        Ok(ctx) => {
            sowa_wasi::add_to_linker(&mut linker.0, Arc::new(Mutex::new(ctx)));
            None
        }
        Err(e) => Some(e),
    }
}

/// Runs the WASI command `module` in `store`.
///
/// # Safety
/// `module` and `store` are live; `config` as in `sowa.h`; `exit_status` is writable; `trap`
/// is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_wasi_run(
    module: *const CModule,
    store: *mut CStore,
    config: *const CWasiConfig,
    exit_status: *mut i32,
    trap: *mut *mut CTrap,
) -> Status {
    // SAFETY: null or live per the contract.
    let (Some(module), Some(store)) = (unsafe { (module.as_ref(), store.as_ref()) }) else {
        return Some(Error::new("module and store must not be NULL"));
    };
    // SAFETY: per the contract.
    let ctx = match unsafe { context(config) } {
        Ok(c) => c,
        Err(e) => return Some(e),
    };
    let mut linker = Linker::new();
    sowa_wasi::add_to_linker(&mut linker, Arc::new(Mutex::new(ctx)));
    let outcome = match linker.instantiate(&store.0, &module.0) {
        Ok(i) => {
            let start = i.get_func("_start");
            match start {
                Some(f) if f.ty().params.is_empty() && f.ty().results.is_empty() => {
                    f.call(&[]).map(|_| 0)
                }
                Some(_) => return Some(Error::new("`_start` is not a WASI command's () -> ()")),
                None => {
                    return Some(Error::new(
                        "the module exports no `_start`: it is not a WASI command; instantiate \
                         it and call its exports instead",
                    ))
                }
            }
        }
        Err(InstantiateError::Trap(t)) => Err(t),
        Err(e) => return Some(Error::new(e.to_string())),
    };
    let code = match outcome {
        Ok(c) => c,
        Err(t) => match t.exit_code() {
            Some(c) => c,
            None => {
                // SAFETY: `trap` is null or writable per the contract.
                unsafe { give(trap, t) };
                sowa_wasi::TRAP_STATUS as i32
            }
        },
    };
    // SAFETY: writable per the contract.
    unsafe { put(exit_status, code, "exit_status") }
}
