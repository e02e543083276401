//! WASI threads: `wasi`.`thread-spawn`, as wasi-libc's `pthread_create` calls it and Wasmtime's
//! `-S threads` provides it.
//!
//! A program built for `wasm32-wasip1-threads` imports one shared memory and exports
//! `wasi_thread_start(tid, arg)`. Spawning a thread instantiates the same module again, in a
//! store of its own on a new OS thread (a store is single-threaded), importing the same
//! memory, with the same WASI context, and calls `wasi_thread_start` there. The memory is a
//! [`SharedMemory`], which belongs to no store; the context is shared behind a lock
//! ([`SharedCtx`]), so a descriptor one thread opens is there for all.
//!
//! As the proposal asks, and as Wasmtime does, a trap or a `proc_exit` in any thread ends the
//! whole program: the process exits, with the exit code or with 134 after reporting the trap
//! (Wasmtime reports a spawned thread's trap with status 1). A main thread that returns from
//! `_start` ends the process, and with it the other threads, likewise.
//!
//! Each thread's store has the main store's limits, the same epoch and the same absolute
//! deadline, so `sowa run --timeout` stops every thread.

use crate::preview1::SharedCtx;
use sowa_runtime::{
    Caller, Epoch, Extern, FuncType, Linker, Memory, Module, SharedMemory, Store, StoreLimits,
    Trap, Val, ValType,
};
use sowa_targets::artifact::ImportKind;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

/// The import module and name of the spawn function.
pub const SPAWN: (&str, &str) = ("wasi", "thread-spawn");

/// The export each new thread starts in.
pub const ENTRY: &str = "wasi_thread_start";

/// The largest thread id the proposal allows (ids are positive, below 2^29).
const MAX_TID: i32 = 0x1FFF_FFFF;

/// Native stack of a spawned thread beyond what its wasm may use: room for the host calls and
/// the trap handler below the guest's deepest frame.
const HOST_STACK: usize = 1 << 20;

/// Everything a spawned thread needs to run the program again.
pub struct WasiThreads {
    module: Module,
    ctx: SharedCtx,
    /// The shared memory and where the module imports it.
    memory: Option<(String, String, SharedMemory)>,
    limits: StoreLimits,
    epoch: Epoch,
    /// The main store's deadline as an absolute tick of `epoch`.
    deadline: Option<u64>,
    last_tid: AtomicI32,
}

impl WasiThreads {
    /// Threads for `module`, whose stores get `limits`, read `epoch` and stop at its tick
    /// `deadline`. The shared memory the module imports, if any, is created here (with the
    /// type it imports): a program's threads all see this one. A module importing an unshared
    /// memory gets none (its link fails as before: nothing here can provide it).
    pub fn new(
        module: &Module,
        ctx: SharedCtx,
        limits: StoreLimits,
        epoch: Epoch,
        deadline: Option<u64>,
    ) -> Result<Arc<WasiThreads>, String> {
        let mut memory = None;
        for i in &module.info().imports {
            if let ImportKind::Memory(ty) = i.kind {
                if ty.shared {
                    let m = SharedMemory::new(ty, &limits).map_err(|e| {
                        format!(
                            "cannot create the shared memory {}.{}: {e}",
                            i.module, i.name
                        )
                    })?;
                    memory = Some((i.module.clone(), i.name.clone(), m));
                }
            }
        }
        Ok(Arc::new(WasiThreads {
            module: module.clone(),
            ctx,
            memory,
            limits,
            epoch,
            deadline,
            last_tid: AtomicI32::new(0),
        }))
    }

    /// Whether `module` uses WASI threads or shared memory, so needs [`WasiThreads`] to link.
    pub fn wanted_by(module: &Module) -> bool {
        module.info().imports.iter().any(|i| {
            (i.module == SPAWN.0 && i.name == SPAWN.1)
                || matches!(i.kind, ImportKind::Memory(t) if t.shared)
        })
    }

    /// Defines, for instances in `store`: the WASI functions over the shared context, the
    /// shared memory under the name the module imports it by, and `wasi`.`thread-spawn`.
    pub fn add_to_linker(self: &Arc<Self>, linker: &mut Linker, store: &Store) {
        crate::add_to_linker(linker, self.ctx.clone());
        if let Some((module, name, m)) = &self.memory {
            linker.define(module, name, Extern::Memory(Memory::from_shared(store, m)));
        }
        let threads = self.clone();
        let ty = FuncType {
            params: vec![ValType::I32],
            results: vec![ValType::I32],
        };
        linker.func_new(
            SPAWN.0,
            SPAWN.1,
            ty,
            move |_: &mut Caller, args: &[Val], results: &mut [Val]| {
                results[0] = Val::I32(threads.spawn(args[0].i32().unwrap_or(0)));
                Ok(())
            },
        );
    }

    /// The next thread id, or `None` when all have been handed out.
    fn next_tid(&self) -> Option<i32> {
        self.last_tid
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                (t < MAX_TID).then_some(t + 1)
            })
            .ok()
            .map(|t| t + 1)
    }

    /// Starts a thread running `wasi_thread_start(tid, arg)`; returns its id, or -1 (as
    /// Wasmtime does) when the module has no such export, ids have run out or the system
    /// refuses a thread.
    fn spawn(self: &Arc<Self>, arg: i32) -> i32 {
        if self.module.export_func_type(ENTRY) != Some(&entry_type()) {
            return -1;
        }
        let Some(tid) = self.next_tid() else {
            return -1;
        };
        let threads = self.clone();
        std::thread::Builder::new()
            .name(format!("wasi-thread-{tid}"))
            .stack_size(self.limits.max_wasm_stack.saturating_add(HOST_STACK))
            .spawn(move || threads.run(tid, arg))
            .map_or(-1, |_| tid)
    }

    /// A spawned thread's life: instantiate, run, and end the process if the thread traps or
    /// exits. A thread that returns just ends.
    fn run(self: &Arc<Self>, tid: i32, arg: i32) {
        let store = Store::with_epoch(self.limits, self.epoch.clone());
        if let Some(d) = self.deadline {
            store.set_epoch_deadline(d.saturating_sub(self.epoch.current()));
        }
        let mut linker = Linker::new();
        self.add_to_linker(&mut linker, &store);
        let instance = match linker.instantiate(&store, &self.module) {
            Ok(i) => i,
            Err(sowa_runtime::InstantiateError::Trap(t)) => end_process(tid, &t),
            // The main thread instantiated the same module against the same definitions,
            // so only resources can fail here.
            Err(e) => end_process(tid, &Trap::host(format!("cannot instantiate: {e}"))),
        };
        let Some(entry) = instance.get_func(ENTRY) else {
            end_process(tid, &Trap::host(format!("no `{ENTRY}` export")))
        };
        if let Err(t) = entry.call(&[Val::I32(tid), Val::I32(arg)]) {
            end_process(tid, &t)
        }
    }
}

/// `wasi_thread_start`'s type.
fn entry_type() -> FuncType {
    FuncType {
        params: vec![ValType::I32, ValType::I32],
        results: vec![],
    }
}

/// Ends the process as a thread's trap or exit ends the program: with the exit code, or with
/// the trap reported and status 134.
fn end_process(tid: i32, trap: &Trap) -> ! {
    let status = match trap.exit_code() {
        Some(code) => code,
        None => {
            eprintln!("error: in wasi thread {tid}: {trap}");
            crate::TRAP_STATUS.into()
        }
    };
    std::process::exit(status)
}
