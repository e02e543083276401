//! The `wasi_snapshot_preview1` functions, grouped as the specification groups them: arguments
//! and environment ([`args_env`]), clocks and randomness ([`clock_random`]), descriptors
//! ([`fd`]) and the process ([`proc`]).
//!
//! This first host covers what programs need to compute and talk over stdio; functions not
//! defined here are reported as unknown imports when a module is linked.

mod args_env;
mod clock_random;
mod fd;
mod proc;

use crate::errno::Errno;
use crate::guest::GuestMemory;
use crate::WasiCtx;
use sowa_runtime::{Extern, Func, FuncType, Linker, Store, Trap, Val, ValType};
use std::cell::RefCell;
use std::rc::Rc;

/// The import module name.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// A WASI function: context, guest memory and arguments in, errno (or a trap) out.
type Impl = fn(&mut WasiCtx, &mut GuestMemory<'_>, &[Val]) -> Result<Errno, Trap>;

const I32: ValType = ValType::I32;
const I64: ValType = ValType::I64;

/// The functions this host defines: name, parameter types, implementation.
const FUNCTIONS: &[(&str, &[ValType], Impl)] = &[
    ("args_get", &[I32, I32], args_env::args_get),
    ("args_sizes_get", &[I32, I32], args_env::args_sizes_get),
    ("environ_get", &[I32, I32], args_env::environ_get),
    (
        "environ_sizes_get",
        &[I32, I32],
        args_env::environ_sizes_get,
    ),
    ("clock_res_get", &[I32, I32], clock_random::clock_res_get),
    (
        "clock_time_get",
        &[I32, I64, I32],
        clock_random::clock_time_get,
    ),
    ("random_get", &[I32, I32], clock_random::random_get),
    ("fd_write", &[I32, I32, I32, I32], fd::fd_write),
    ("fd_read", &[I32, I32, I32, I32], fd::fd_read),
    ("fd_close", &[I32], fd::fd_close),
    ("fd_seek", &[I32, I64, I32, I32], fd::fd_seek),
    ("fd_fdstat_get", &[I32, I32], fd::fd_fdstat_get),
    ("fd_prestat_get", &[I32, I32], fd::fd_prestat_get),
    (
        "fd_prestat_dir_name",
        &[I32, I32, I32],
        fd::fd_prestat_dir_name,
    ),
    ("sched_yield", &[], proc::sched_yield),
];

/// Defines the WASI functions over `ctx` in `linker`.
pub fn add_to_linker(linker: &mut Linker, store: &Store, ctx: Rc<RefCell<WasiCtx>>) {
    for (name, params, imp) in FUNCTIONS {
        let ctx = ctx.clone();
        let imp = *imp;
        let ty = FuncType {
            params: params.to_vec(),
            results: vec![I32],
        };
        let f = Func::new(store, ty, move |caller, args, results| {
            let mut ctx = ctx.borrow_mut();
            let mem = caller
                .memory()
                .ok_or_else(|| Trap::host("WASI call from a module without a memory"))?;
            let e = imp(&mut ctx, &mut GuestMemory(mem), args)?;
            results[0] = Val::I32(e as i32);
            Ok(())
        });
        linker.define(MODULE, name, Extern::Func(f));
    }
    let exit = Func::new(
        store,
        FuncType {
            params: vec![I32],
            results: vec![],
        },
        |_, args, _| Err(proc::exit(args)),
    );
    linker.define(MODULE, "proc_exit", Extern::Func(exit));
}

/// The i32 argument `i` as u32 (validated types guarantee it is an i32).
fn u32_arg(args: &[Val], i: usize) -> u32 {
    args[i].i32().unwrap_or(0) as u32
}

/// The i64 argument `i`.
fn i64_arg(args: &[Val], i: usize) -> i64 {
    args[i].i64().unwrap_or(0)
}

/// Turns a guest-memory result into an errno return.
fn errno_of(r: Result<(), Errno>) -> Result<Errno, Trap> {
    Ok(match r {
        Ok(()) => crate::errno::SUCCESS,
        Err(e) => e,
    })
}
