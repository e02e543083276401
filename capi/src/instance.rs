//! Instantiation and calls: `sowa_instantiate`, `sowa_instance_call`.

use crate::linker::{from_c, kind_of, to_c, CLinker, CVal};
use crate::trap::{give, CTrap};
use crate::{put, slice_arg, str_arg, CModule, CStore, Error, Status};
use sowa_runtime::{Instance, InstantiateError};
use std::ffi::c_char;

/// An instance (`sowa_instance_t`).
pub struct CInstance(pub(crate) Instance);

/// Instantiates `module` in `store` with imports from `linker`.
///
/// # Safety
/// `linker`, `store` and `module` are live; `out` is writable; `trap` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_instantiate(
    linker: *const CLinker,
    store: *mut CStore,
    module: *const CModule,
    out: *mut *mut CInstance,
    trap: *mut *mut CTrap,
) -> Status {
    // SAFETY: null or live per the contract.
    let (Some(linker), Some(store), Some(module)) =
        (unsafe { (linker.as_ref(), store.as_ref(), module.as_ref()) })
    else {
        return Some(Error::new("linker, store and module must not be NULL"));
    };
    if out.is_null() {
        return Some(Error::new("out is NULL"));
    }
    // SAFETY: `out` is writable per the contract; cleared so that no stale pointer is read
    // after a trap.
    unsafe { out.write(std::ptr::null_mut()) };
    match linker.0.instantiate(&store.0, &module.0) {
        // SAFETY: `out` is writable per the contract.
        Ok(i) => unsafe { put(out, Box::into_raw(Box::new(CInstance(i))), "out") },
        Err(InstantiateError::Trap(t)) => {
            // SAFETY: `trap` is null or writable per the contract.
            unsafe { give(trap, t) };
            None
        }
        Err(e) => Some(Error::new(e.to_string())),
    }
}

/// Frees `instance` (its store lives on while the C store handle or other instances do).
///
/// # Safety
/// `instance` is null or an instance from this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_instance_free(instance: *mut CInstance) {
    if !instance.is_null() {
        // SAFETY: made by `Box::into_raw` in `sowa_instantiate`, freed once.
        drop(unsafe { Box::from_raw(instance) });
    }
}

/// Calls the export `name` of `instance`.
///
/// # Safety
/// `instance` is live; `name` is a C string; `args` holds `nargs` values and `results` room
/// for `nresults`; `trap` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_instance_call(
    instance: *mut CInstance,
    name: *const c_char,
    args: *const CVal,
    nargs: usize,
    results: *mut CVal,
    nresults: usize,
    trap: *mut *mut CTrap,
) -> Status {
    // SAFETY: null or live per the contract.
    let Some(instance) = (unsafe { instance.as_ref() }) else {
        return Some(Error::new("instance is NULL"));
    };
    // SAFETY: a C string and an array of `nargs` per the contract.
    let (name, args) = match unsafe { (str_arg(name, "name"), slice_arg(args, nargs, "args")) } {
        (Ok(n), Ok(a)) => (n, a),
        (Err(e), _) | (_, Err(e)) => return Some(e),
    };
    let Some(f) = instance.0.get_func(name) else {
        return Some(Error::new(format!(
            "the instance exports no function '{name}'"
        )));
    };
    let ty = f.ty().clone();
    if ty.params.len() != nargs || ty.results.len() != nresults {
        return Some(Error::new(format!(
            "'{name}' has type {ty}: pass {} arguments and room for {} results (got {nargs} and \
             {nresults})",
            ty.params.len(),
            ty.results.len()
        )));
    }
    if let Some(t) = ty
        .params
        .iter()
        .chain(&ty.results)
        .find(|t| kind_of(**t).is_none())
    {
        return Some(Error::new(format!(
            "'{name}' takes or returns {t}, which the C API cannot pass"
        )));
    }
    let mut vals = Vec::with_capacity(nargs);
    for (i, (a, t)) in args.iter().zip(&ty.params).enumerate() {
        match from_c(a) {
            Ok(v) if v.ty() == *t => vals.push(v),
            Ok(v) => {
                return Some(Error::new(format!(
                    "argument {i} of '{name}' must be {t}, not {}",
                    v.ty()
                )))
            }
            Err(e) => return Some(e),
        }
    }
    match f.call(&vals) {
        Ok(out) => {
            if nresults > 0 && results.is_null() {
                return Some(Error::new("results is NULL"));
            }
            for (i, v) in out.iter().enumerate() {
                let c = to_c(v).expect("result kinds were checked");
                // SAFETY: `results` has room for `nresults` values per the contract, and
                // `i < nresults` (the type was checked).
                unsafe { results.add(i).write(c) };
            }
            None
        }
        Err(t) => {
            // SAFETY: `trap` is null or writable per the contract.
            unsafe { give(trap, t) };
            None
        }
    }
}
