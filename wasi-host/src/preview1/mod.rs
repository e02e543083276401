//! The 46 functions of `wasi_snapshot_preview1`, grouped as the specification groups them:
//! arguments and environment (`args_env`), clocks and randomness (`clock_random`),
//! descriptors (`fd`, `fdstat`, `dir`), paths (`path`), polling (`poll`), sockets
//! (`sock`) and the process (`proc`).

mod args_env;
mod clock_random;
mod dir;
mod fd;
mod fdstat;
mod path;
mod poll;
mod proc;
mod sock;

use crate::errno::{Errno, SUCCESS};
use crate::guest::GuestMemory;
use crate::WasiCtx;
use sowa_runtime::{Caller, FuncType, Linker, SharedHostFn, Trap, Val, ValType};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// The import module name.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The arguments of one call, by position.
pub struct Args<'a>(&'a [Val]);

impl Args<'_> {
    /// Argument `i`, an i32, as u32 (validation guarantees the type).
    pub fn u32(&self, i: usize) -> u32 {
        self.0[i].i32().unwrap_or(0) as u32
    }

    /// Argument `i`, an i64, as u64.
    pub fn u64(&self, i: usize) -> u64 {
        self.0[i].i64().unwrap_or(0) as u64
    }
}

/// A WASI function: context, guest memory and arguments in, errno out.
type Impl = fn(&mut WasiCtx, &mut GuestMemory<'_>, &Args) -> Result<(), Errno>;

/// The context as every thread of a program holds it (see [`crate::threads`]): each call takes
/// the lock for its duration, except where it would block (see `poll::poll_oneoff`).
pub type SharedCtx = Arc<Mutex<WasiCtx>>;

/// The context, locked (a panic in another thread's call left it whole: calls do not leave
/// it half-changed).
pub(crate) fn lock(ctx: &Mutex<WasiCtx>) -> std::sync::MutexGuard<'_, WasiCtx> {
    ctx.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every function but `proc_exit` and `proc_raise`: name, parameters (`i` for i32, `I` for
/// i64; each returns an i32 errno) and implementation.
const FUNCTIONS: &[(&str, &str, Impl)] = &[
    ("args_get", "ii", args_env::args_get),
    ("args_sizes_get", "ii", args_env::args_sizes_get),
    ("environ_get", "ii", args_env::environ_get),
    ("environ_sizes_get", "ii", args_env::environ_sizes_get),
    ("clock_res_get", "ii", clock_random::clock_res_get),
    ("clock_time_get", "iIi", clock_random::clock_time_get),
    ("random_get", "ii", clock_random::random_get),
    ("fd_advise", "iIIi", fd::fd_advise),
    ("fd_allocate", "iII", fd::fd_allocate),
    ("fd_close", "i", fd::fd_close),
    ("fd_datasync", "i", fd::fd_datasync),
    ("fd_fdstat_get", "ii", fdstat::fd_fdstat_get),
    ("fd_fdstat_set_flags", "ii", fdstat::fd_fdstat_set_flags),
    ("fd_fdstat_set_rights", "iII", fdstat::fd_fdstat_set_rights),
    ("fd_filestat_get", "ii", fdstat::fd_filestat_get),
    ("fd_filestat_set_size", "iI", fdstat::fd_filestat_set_size),
    (
        "fd_filestat_set_times",
        "iIIi",
        fdstat::fd_filestat_set_times,
    ),
    ("fd_pread", "iiiIi", fd::fd_pread),
    ("fd_prestat_get", "ii", fdstat::fd_prestat_get),
    ("fd_prestat_dir_name", "iii", fdstat::fd_prestat_dir_name),
    ("fd_pwrite", "iiiIi", fd::fd_pwrite),
    ("fd_read", "iiii", fd::fd_read),
    ("fd_readdir", "iiiIi", dir::fd_readdir),
    ("fd_renumber", "ii", fd::fd_renumber),
    ("fd_seek", "iIii", fd::fd_seek),
    ("fd_sync", "i", fd::fd_sync),
    ("fd_tell", "ii", fd::fd_tell),
    ("fd_write", "iiii", fd::fd_write),
    ("path_create_directory", "iii", path::path_create_directory),
    ("path_filestat_get", "iiiii", path::path_filestat_get),
    (
        "path_filestat_set_times",
        "iiiiIIi",
        path::path_filestat_set_times,
    ),
    ("path_link", "iiiiiii", path::path_link),
    ("path_open", "iiiiiIIii", path::path_open),
    ("path_readlink", "iiiiii", path::path_readlink),
    ("path_remove_directory", "iii", path::path_remove_directory),
    ("path_rename", "iiiiii", path::path_rename),
    ("path_symlink", "iiiii", path::path_symlink),
    ("path_unlink_file", "iii", path::path_unlink_file),
    ("sched_yield", "", proc::sched_yield),
    ("sock_accept", "iii", sock::sock_accept),
    ("sock_recv", "iiiiii", sock::sock_recv),
    ("sock_send", "iiiii", sock::sock_send),
    ("sock_shutdown", "ii", sock::sock_shutdown),
];

/// How many functions [`add_to_linker`] defines.
pub const COUNT: usize = FUNCTIONS.len() + 3;

fn params(sig: &str) -> Vec<ValType> {
    sig.bytes()
        .map(|c| {
            if c == b'I' {
                ValType::I64
            } else {
                ValType::I32
            }
        })
        .collect()
}

/// Defines the WASI functions over `ctx` in `linker`, for every store the linker instantiates
/// into. Nothing is built per function here: the linker asks [`resolve`] for the functions a
/// module imports when it instantiates it, so a program importing four of them pays for four.
pub fn add_to_linker(linker: &mut Linker, ctx: SharedCtx) {
    linker.func_resolver(MODULE, move |name| resolve(&ctx, name));
}

/// The WASI function `name` over `ctx`, with its type.
pub fn resolve(ctx: &SharedCtx, name: &str) -> Option<(FuncType, SharedHostFn)> {
    let i32s = |n: usize| vec![ValType::I32; n];
    Some(match name {
        "proc_exit" => (
            FuncType {
                params: i32s(1),
                results: vec![],
            },
            Rc::new(|_: &mut Caller, args: &[Val], _: &mut [Val]| {
                Err(proc::exit(args[0].i32().unwrap_or(0)))
            }),
        ),
        "proc_raise" => (
            FuncType {
                params: i32s(1),
                results: i32s(1),
            },
            Rc::new(|_: &mut Caller, args: &[Val], results: &mut [Val]| {
                let e = proc::raise(args[0].i32().unwrap_or(0) as u32)?;
                results[0] = Val::I32(e as i32);
                Ok(())
            }),
        ),
        "poll_oneoff" => {
            let ctx = ctx.clone();
            let f = move |caller: &mut Caller, args: &[Val], results: &mut [Val]| {
                let mem = caller
                    .memory()
                    .ok_or_else(|| Trap::host("WASI call from a module without a memory"))?;
                let e = poll::poll_oneoff(&ctx, &mut GuestMemory(mem), &Args(args))
                    .err()
                    .unwrap_or(SUCCESS);
                results[0] = Val::I32(e as i32);
                Ok(())
            };
            let ty = FuncType {
                params: i32s(4),
                results: i32s(1),
            };
            (ty, Rc::new(f))
        }
        _ => {
            let (_, sig, imp) = *FUNCTIONS.iter().find(|(n, _, _)| *n == name)?;
            let ctx = ctx.clone();
            let f = move |caller: &mut Caller, args: &[Val], results: &mut [Val]| {
                let mem = caller
                    .memory()
                    .ok_or_else(|| Trap::host("WASI call from a module without a memory"))?;
                let e = imp(&mut lock(&ctx), &mut GuestMemory(mem), &Args(args))
                    .err()
                    .unwrap_or(SUCCESS);
                results[0] = Val::I32(e as i32);
                Ok(())
            };
            let ty = FuncType {
                params: params(sig),
                results: i32s(1),
            };
            (ty, Rc::new(f))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_resolves_with_its_type_and_nothing_else_does() {
        let ctx = Arc::new(Mutex::new(WasiCtx::new(vec![], vec![])));
        let names =
            FUNCTIONS
                .iter()
                .map(|(n, _, _)| *n)
                .chain(["proc_exit", "proc_raise", "poll_oneoff"]);
        assert_eq!(names.clone().count(), COUNT);
        for name in names {
            let (ty, _) = resolve(&ctx, name).unwrap_or_else(|| panic!("{name}"));
            assert!(ty
                .params
                .iter()
                .all(|t| matches!(t, ValType::I32 | ValType::I64)));
        }
        let (ty, _) = resolve(&ctx, "path_open").unwrap();
        assert_eq!(ty.params.len(), 9);
        assert_eq!(ty.params[5], ValType::I64);
        assert!(resolve(&ctx, "fd_write2").is_none());
        assert!(resolve(&ctx, "").is_none());
    }
}
