//! The C API: `include/sowa.h`, implemented over the runtime and the WASI host, built as
//! `libsowa.a` and `libsowa.so` for host programs written in C (device firmware, gateways).
//!
//! Every C object is a `Box` of a Rust value handed out as an opaque pointer and taken back by
//! its `*_free`. What the C side cannot be trusted with is checked here: null pointers (an
//! error, never a fault), UTF-8 of names, the number and kinds of values (an error that says
//! what the function takes). What it must be trusted with is stated per function under
//! `# Safety`: pointers it passes point where they say, live as long as the call, and objects
//! are freed once. Panics never cross into C: an `extern "C"` function that panics aborts.
//!
//! Threads: a module may be used from any number of threads at once; a store, its instances
//! and a linker belong to one thread at a time (as the Rust types, which are not `Send`).
//!
//! Files: this one (errors, modules, epochs, stores), [`trap`], [`linker`] (host functions,
//! values), [`instance`] (instantiation, calls), [`wasi`].

#![warn(missing_docs)]

pub mod instance;
pub mod linker;
pub mod trap;
pub mod wasi;

use sowa_runtime::{Epoch, Module, PublicKey, Store, StoreLimits};
use std::ffi::{c_char, CStr, CString};

/// A usage or load error (`sowa_error_t`).
#[derive(Debug)]
pub struct Error {
    message: CString,
}

impl Error {
    /// An error with `message` (interior NULs, which C cannot print, are dropped).
    pub fn new(message: impl Into<String>) -> Box<Error> {
        let mut m = message.into();
        m.retain(|c| c != '\0');
        Box::new(Error {
            message: CString::new(m).unwrap_or_default(),
        })
    }
}

/// The result type of the API's functions: `NULL` (`None`) or an error.
pub type Status = Option<Box<Error>>;

/// The string at `p`, or an error naming `what`.
///
/// # Safety
/// `p` is null or a NUL-terminated string that lives as long as `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, Box<Error>> {
    if p.is_null() {
        return Err(Error::new(format!("{what} is NULL")));
    }
    // SAFETY: non-null, and NUL-terminated per the contract.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| Error::new(format!("{what} is not UTF-8")))
}

/// The `n` elements at `p` (`p` may be null when `n` is 0).
///
/// # Safety
/// `p` points to `n` initialised elements that live as long as `'a`.
pub(crate) unsafe fn slice_arg<'a, T>(
    p: *const T,
    n: usize,
    what: &str,
) -> Result<&'a [T], Box<Error>> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::new(format!("{what} is NULL but its length is {n}")));
    }
    // SAFETY: non-null, and `n` elements long per the contract.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Writes `value` through the out pointer `out`, or fails when it is null.
///
/// # Safety
/// `out` is null or valid for a write of `T`.
pub(crate) unsafe fn put<T>(out: *mut T, value: T, what: &str) -> Status {
    if out.is_null() {
        return Some(Error::new(format!("{what} is NULL")));
    }
    // SAFETY: non-null and writable per the contract.
    unsafe { out.write(value) };
    None
}

/// Turns a `Result` into the API's status.
pub(crate) fn status(r: Result<(), Box<Error>>) -> Status {
    r.err()
}

/// The message of `error`.
///
/// # Safety
/// `error` is an error from this library, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_error_message(error: *const Error) -> *const c_char {
    // SAFETY: a live error per the contract.
    match unsafe { error.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"(null error)".as_ptr(),
    }
}

/// Frees `error`.
///
/// # Safety
/// `error` is null or an error from this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_error_free(error: *mut Error) {
    if !error.is_null() {
        // SAFETY: made by `Box::into_raw` (a `Status` returned to C), freed once.
        drop(unsafe { Box::from_raw(error) });
    }
}

/// A loaded module (`sowa_module_t`).
pub struct CModule(pub(crate) Module);

/// Loads the `.so` at `path` (see `sowa.h`).
///
/// # Safety
/// `path` is a C string; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_module_load(path: *const c_char, out: *mut *mut CModule) -> Status {
    // SAFETY: the caller's pointers, per the contract.
    unsafe { load(path, None, out) }
}

/// Loads the `.so` at `path` if all of it is signed by the public key in `public_key_path`.
///
/// # Safety
/// `path` and `public_key_path` are C strings; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_module_load_verified(
    path: *const c_char,
    public_key_path: *const c_char,
    out: *mut *mut CModule,
) -> Status {
    // SAFETY: a C string per the contract.
    let key_path = match unsafe { str_arg(public_key_path, "public_key_path") } {
        Ok(p) => p,
        Err(e) => return Some(e),
    };
    let key = std::fs::read_to_string(key_path)
        .map_err(|e| format!("cannot read the public key {key_path}: {e}"))
        .and_then(|t| PublicKey::from_text(&t).map_err(|e| format!("{key_path}: {e}")));
    match key {
        // SAFETY: the caller's pointers, per the contract.
        Ok(k) => unsafe { load(path, Some(&k), out) },
        Err(e) => Some(Error::new(e)),
    }
}

/// # Safety
/// As [`sowa_module_load`].
unsafe fn load(path: *const c_char, key: Option<&PublicKey>, out: *mut *mut CModule) -> Status {
    // SAFETY: a C string per the contract.
    let path = match unsafe { str_arg(path, "path") } {
        Ok(p) => p,
        Err(e) => return Some(e),
    };
    let module = match key {
        Some(k) => Module::from_file_verified(path, k),
        None => Module::from_file(path),
    };
    match module {
        // SAFETY: `out` is writable per the contract.
        Ok(m) => unsafe { put(out, Box::into_raw(Box::new(CModule(m))), "out") },
        Err(e) => Some(Error::new(format!("{path}: {e}"))),
    }
}

/// Frees `module` (instances made from it keep what they need).
///
/// # Safety
/// `module` is null or a module from this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_module_free(module: *mut CModule) {
    if !module.is_null() {
        // SAFETY: made by `Box::into_raw` in `load`, freed once.
        drop(unsafe { Box::from_raw(module) });
    }
}

/// An epoch (`sowa_epoch_t`).
pub struct CEpoch(Epoch);

/// A new epoch.
#[unsafe(no_mangle)]
pub extern "C" fn sowa_epoch_new() -> *mut CEpoch {
    Box::into_raw(Box::new(CEpoch(Epoch::new())))
}

/// Advances `epoch` by one tick; safe to call from any thread.
///
/// # Safety
/// `epoch` is null or a live epoch from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_epoch_increment(epoch: *const CEpoch) {
    // SAFETY: a live epoch per the contract; `Epoch` is shared between threads by design.
    if let Some(e) = unsafe { epoch.as_ref() } {
        e.0.increment();
    }
}

/// Frees `epoch` (stores made with it keep it).
///
/// # Safety
/// `epoch` is null or an epoch from this library, freed once, and no other thread is using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_epoch_free(epoch: *mut CEpoch) {
    if !epoch.is_null() {
        // SAFETY: made by `Box::into_raw` in `sowa_epoch_new`, freed once.
        drop(unsafe { Box::from_raw(epoch) });
    }
}

/// The C limits record (`sowa_limits_t`).
#[repr(C)]
pub struct CLimits {
    /// Largest linear memory in bytes; 0: no limit of the store's own.
    pub max_memory_bytes: u64,
    /// Native stack for wasm per call; 0: the default.
    pub max_wasm_stack_bytes: u64,
}

/// The store limits `limits` asks for.
pub fn store_limits(limits: Option<&CLimits>) -> StoreLimits {
    let mut l = StoreLimits::default();
    if let Some(c) = limits {
        if c.max_memory_bytes != 0 {
            l.max_memory_pages = c.max_memory_bytes / sowa_targets::types::WASM_PAGE_SIZE;
        }
        if c.max_wasm_stack_bytes != 0 {
            l.max_wasm_stack = usize::try_from(c.max_wasm_stack_bytes).unwrap_or(usize::MAX);
        }
    }
    l
}

/// A store (`sowa_store_t`).
pub struct CStore(pub(crate) Store);

/// A new store with `limits` and `epoch` (both may be null).
///
/// # Safety
/// `limits` and `epoch` are null or point to live values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_store_new(
    limits: *const CLimits,
    epoch: *const CEpoch,
) -> *mut CStore {
    // SAFETY: null or live per the contract.
    let (limits, epoch) = unsafe { (limits.as_ref(), epoch.as_ref()) };
    let limits = store_limits(limits);
    let store = match epoch {
        Some(e) => Store::with_epoch(limits, e.0.clone()),
        None => Store::new(limits),
    };
    Box::into_raw(Box::new(CStore(store)))
}

/// Sets the deadline of `store`, `ticks` of its epoch from now.
///
/// # Safety
/// `store` is null or a live store, used by this thread only.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_store_set_deadline(store: *mut CStore, ticks: u64) {
    // SAFETY: null or live per the contract.
    if let Some(s) = unsafe { store.as_ref() } {
        s.0.set_epoch_deadline(ticks);
    }
}

/// Frees `store` (its instances keep it alive until they are freed too).
///
/// # Safety
/// `store` is null or a store from this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sowa_store_free(store: *mut CStore) {
    if !store.is_null() {
        // SAFETY: made by `Box::into_raw` in `sowa_store_new`, freed once.
        drop(unsafe { Box::from_raw(store) });
    }
}
