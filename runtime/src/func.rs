//! Functions: calling wasm from the host, and host functions callable from wasm.

use crate::epoch::Watch;
use crate::instance::InstanceData;
use crate::store::{Store, StoreInner};
use crate::traps::{self, Trap};
use crate::values::Val;
pub(crate) use crate::vmcontext::VMFuncRef;
use crate::vmcontext::VMLimits;
use crate::{arch, memory::MemoryData};
use sowa_targets::FuncType;
use std::rc::Rc;
use std::sync::Arc;

/// The closure type of host functions.
pub type HostFn = dyn Fn(&mut Caller, &[Val], &mut [Val]) -> Result<(), Trap>;

// Bridges load the entry point from offset `host_ctx::FUNC` of the host function's context.
const _: () =
    assert!(std::mem::offset_of!(HostFunc, entry) == sowa_targets::vmctx::host_ctx::FUNC as usize);

/// A host function; its first field is what wasm-to-host bridges call.
#[repr(C)]
pub(crate) struct HostFunc {
    entry: unsafe extern "C" fn(*mut HostFunc, *mut u8, *mut u128),
    pub ty: FuncType,
    pub type_id: u32,
    f: crate::linker::SharedHostFn,
    /// The tag of the store it was created in (a reset drops it with the tag).
    owner: u64,
}

/// What a host function sees of the instance that called it.
pub struct Caller {
    vmctx: *mut u8,
    /// The limits record of the store the call runs in.
    limits: *mut VMLimits,
}

impl Caller {
    /// Moves the deadline of the store the call runs in, as [`crate::Store::set_epoch_deadline`]
    /// does: `set_epoch_deadline(0)` stops the calling guest as soon as this function returns.
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.watch().set_deadline(ticks);
    }

    fn watch(&self) -> &Arc<Watch> {
        // SAFETY: the limits record lives in the store, which outlives this call, and points
        // at the store's watch, which lives as long.
        unsafe { &*(*self.limits).watch }
    }

    fn instance(&self) -> Option<&InstanceData> {
        // SAFETY: a non-null caller vmctx is the live context of the calling instance.
        (!self.vmctx.is_null()).then(|| unsafe { InstanceData::from_vmctx(self.vmctx) })
    }

    fn memory_data(&mut self) -> Option<*mut MemoryData> {
        let inst = self.instance()?;
        inst.exported_memory("memory")
            .or_else(|| inst.memories.first().copied())
    }

    /// The caller's memory (its export named `memory`, else its first memory).
    pub fn memory(&mut self) -> Option<&mut [u8]> {
        let m = self.memory_data()?;
        // SAFETY: the memory lives in the caller's store, which outlives this host call; the
        // caller is suspended in this call, so its wasm does not access the memory meanwhile
        // (other threads' may, in a shared memory: see `MemoryData::bytes_mut`).
        Some(unsafe { (*m).bytes_mut() })
    }
}

/// A function of some instance, or of the host.
#[derive(Clone)]
pub struct Func {
    pub(crate) store: Rc<StoreInner>,
    pub(crate) kind: FuncKind,
    pub(crate) ty: FuncType,
}

#[derive(Clone, Copy)]
pub(crate) enum FuncKind {
    /// A funcref record in some instance's context.
    Ref(*const VMFuncRef),
    /// A host function not (necessarily) imported anywhere.
    Host(*mut HostFunc),
}

unsafe extern "C" fn host_entry(h: *mut HostFunc, caller_vmctx: *mut u8, values: *mut u128) {
    // Everything with a destructor lives inside this block, so that raising a trap afterwards
    // abandons no pending drops.
    let outcome: Result<(), Trap> = {
        // SAFETY: bridges pass the HostFunc they were given as callee context, and a value array
        // with one slot per parameter and result.
        let h = unsafe { &*h };
        let slots = h.ty.params.len().max(h.ty.results.len());
        // SAFETY: as above, `values` has `slots` slots.
        let values = unsafe { std::slice::from_raw_parts_mut(values, slots) };
        // SAFETY: a bridge's caller context is a live context, whose header starts with the
        // pointer to its store's limits record, which points at the live store.
        let store = unsafe {
            &*(**(caller_vmctx.add(sowa_targets::vmctx::LIMITS as usize) as *const *const VMLimits))
                .store
        };
        let args: Vec<Val> =
            h.ty.params
                .iter()
                .zip(values.iter())
                .map(|(t, raw)| Val::from_raw(*raw, *t, store))
                .collect();
        let mut results: Vec<Val> = h.ty.results.iter().map(|t| Val::default_for(*t)).collect();
        let mut caller = Caller {
            vmctx: caller_vmctx,
            // SAFETY: a bridge's caller context is a live context, whose header starts with
            // the pointer to its store's limits record.
            limits: unsafe {
                *caller_vmctx
                    .add(sowa_targets::vmctx::LIMITS as usize)
                    .cast()
            },
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            (h.f)(&mut caller, &args, &mut results)
        }));
        match r {
            // A result of the wrong type, or a reference of another store, would hand wasm
            // bits it must not have (an integer where it expects a function record).
            Ok(Ok(())) => {
                crate::gc::collect::before_boxing(store);
                h.ty.results
                    .iter()
                    .zip(&results)
                    .zip(values.iter_mut())
                    .try_for_each(|((t, v), slot)| {
                        *slot = v.to_raw_checked(*t, store)?;
                        Ok(())
                    })
                    .map_err(|e: crate::ValueError| {
                        Trap::host(format!("host function result: {e}"))
                    })
            }
            Ok(Err(t)) => Err(t),
            Err(p) => Err(Trap::host(panic_message(&p))),
        }
    };
    if let Err(t) = outcome {
        // SAFETY: we are called from wasm through a bridge, inside `catch_traps`, and nothing
        // with a destructor is live on this frame.
        unsafe { traps::raise(t) }
    }
    // The deadline passed during the call (or the call moved it): the guest stops as it gets
    // control back, wherever the signal found the thread meanwhile.
    // SAFETY: as above.
    unsafe { traps::stop_if_due() }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        format!("host function panicked: {s}")
    } else if let Some(s) = p.downcast_ref::<String>() {
        format!("host function panicked: {s}")
    } else {
        "host function panicked".into()
    }
}

thread_local! {
    static STACK_LOW: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Lowest usable address of this thread's stack (0 if unknown), found once per thread.
fn thread_stack_low() -> usize {
    STACK_LOW.with(|c| {
        if c.get() == 0 {
            c.set(main_thread_stack_low().unwrap_or_else(pthread_stack_low));
        }
        c.get()
    })
}

fn pthread_stack_low() -> usize {
    // SAFETY: querying this thread's attributes with properly initialized out-params.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return 0;
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        addr as usize
    }
}

/// The main thread's lowest usable stack address, when this is the main thread.
///
/// `pthread_getattr_np` answers for the main thread too, but glibc finds that answer by reading
/// and parsing `/proc/self/maps`: a fifth of the instructions of a cold start. The main thread's
/// stack grows down from `__libc_stack_end` by at most `RLIMIT_STACK`, and the kernel keeps other
/// mappings (thread stacks among them) out of that range, so this thread is the main one when
/// its stack pointer lies in it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn main_thread_stack_low() -> Option<usize> {
    extern "C" {
        static __libc_stack_end: *const libc::c_void;
    }
    // SAFETY: glibc sets this once before `main` and never changes it.
    let top = unsafe { __libc_stack_end } as usize;
    let mut rl: libc::rlimit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid out-pointer.
    if top == 0 || unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut rl) } != 0 {
        return None;
    }
    let sp = arch::stack_pointer();
    // Unlimited: the stack may grow until it meets another mapping; assume the kernel's
    // smallest gap below it (128 MiB) both to recognise the thread and as its size.
    let size = if rl.rlim_cur == libc::RLIM_INFINITY {
        128 << 20
    } else {
        rl.rlim_cur as usize
    };
    let low = top.saturating_sub(size);
    (sp <= top && sp > low).then_some(low)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main_thread_stack_low() -> Option<usize> {
    None
}

/// Room left below the wasm stack limit for signal handling and host functions.
const HOST_RESERVE: usize = 256 * 1024;

impl Func {
    /// The canonical id of its type.
    pub(crate) fn type_id(&self) -> u32 {
        match self.kind {
            // SAFETY: a handle's record lives in its store, which the handle keeps alive.
            FuncKind::Ref(r) => unsafe { (*r).type_id },
            // SAFETY: as above.
            FuncKind::Host(h) => unsafe { (*h).type_id },
        }
    }

    /// Creates a host function of type `ty`.
    pub fn new(
        store: &Store,
        ty: FuncType,
        f: impl Fn(&mut Caller, &[Val], &mut [Val]) -> Result<(), Trap> + 'static,
    ) -> Func {
        Self::from_shared(
            store,
            ty,
            &(std::rc::Rc::new(f) as crate::linker::SharedHostFn),
        )
    }

    /// A host function of `store` calling `f`, which other stores may share.
    pub(crate) fn from_shared(
        store: &Store,
        ty: FuncType,
        f: &crate::linker::SharedHostFn,
    ) -> Func {
        let type_id = crate::types_registry::canonical_id(&ty);
        let h = store.inner.keep(
            HostFunc {
                entry: host_entry,
                ty: ty.clone(),
                type_id,
                f: f.clone(),
                owner: store.inner.tag.get(),
            },
            |o| &mut o.host_funcs,
        );
        Func {
            store: store.inner.clone(),
            kind: FuncKind::Host(h),
            ty,
        }
    }

    /// The function's type.
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }

    /// The host function behind this, if it is one.
    pub(crate) fn host(&self) -> Option<*mut HostFunc> {
        match self.kind {
            FuncKind::Host(h) => Some(h),
            // SAFETY: funcref records live in contexts owned by the store we keep alive.
            FuncKind::Ref(r) => unsafe {
                ((*r).array_call == 0 && !(*r).vmctx.is_null())
                    .then_some((*r).vmctx as *mut HostFunc)
            },
        }
    }

    /// Calls the function with `args`; returns its results or the trap that stopped it.
    ///
    /// A trap says what happened ([`Trap::kind`] for a wasm trap, [`Trap::exit_code`] for a
    /// WASI exit) and where: the wasm function and the byte offset in the `.wasm`. The
    /// instance stays usable after a trap.
    ///
    /// ```
    /// use sowa_runtime::{Linker, Module, Store, TrapKind, Val};
    /// # fn compile(wat: &str) -> Vec<u8> {
    /// #     sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap()
    /// # }
    /// let module = Module::from_bytes(&compile(r#"
    ///     (module (func $div (export "div") (param i32 i32) (result i32)
    ///       (i32.div_s (local.get 0) (local.get 1))))
    /// "#))?;
    /// let store = Store::default();
    /// let instance = Linker::new().instantiate(&store, &module)?;
    /// let div = instance.get_func("div").unwrap();
    /// let trap = div.call(&[Val::I32(1), Val::I32(0)]).unwrap_err();
    /// assert_eq!(trap.kind(), Some(TrapKind::IntegerDivideByZero));
    /// assert_eq!(trap.func.as_deref(), Some("div"));
    /// assert!(trap.wasm_offset.is_some());
    /// assert_eq!(
    ///     trap.to_string(),
    ///     format!("wasm trap: integer divide by zero in function 'div' at wasm offset {:#x}",
    ///             trap.wasm_offset.unwrap())
    /// );
    /// assert_eq!(div.call(&[Val::I32(7), Val::I32(2)])?, [Val::I32(3)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call(&self, args: &[Val]) -> Result<Vec<Val>, Trap> {
        let wrong = |why: String| {
            Trap::host(format!(
                "wrong arguments: the function takes {}; {why}",
                FuncType {
                    params: self.ty.params.clone(),
                    results: vec![]
                }
            ))
        };
        if args.len() != self.ty.params.len() {
            return Err(wrong(format!("{} given", args.len())));
        }
        // Each argument of its parameter's type or a subtype (a null where the parameter is
        // non-nullable, or a function of another type for a typed reference, is refused).
        crate::gc::collect::before_boxing(&self.store);
        let raw = args
            .iter()
            .zip(&self.ty.params)
            .map(|(a, t)| a.to_raw_checked(*t, &self.store))
            .collect::<Result<Vec<u128>, _>>()
            .map_err(|e| wrong(e.to_string()))?;
        if let Some(h) = self.host() {
            // SAFETY: host functions live in the store we keep alive.
            let h = unsafe { &*h };
            let mut results: Vec<Val> = h.ty.results.iter().map(|t| Val::default_for(*t)).collect();
            let mut caller = Caller {
                vmctx: std::ptr::null_mut(),
                limits: self.store.vm_limits.get(),
            };
            (h.f)(&mut caller, args, &mut results)?;
            return Ok(results);
        }
        let FuncKind::Ref(r) = self.kind else {
            unreachable!()
        };
        // SAFETY: as in `host`.
        let fr = unsafe { *r };
        if fr.array_call == 0 {
            // A record instantiation never filled in: only a damaged module's manifest leaves
            // an exported function without one.
            return Err(Trap::host(
                "call of a function without a record (corrupt module)",
            ));
        }
        let mut slots: Vec<u128> = vec![0; args.len().max(self.ty.results.len()).max(1)];
        slots[..raw.len()].copy_from_slice(&raw);
        let limits = self.store.vm_limits.get();
        // SAFETY: the limits record lives in the store.
        let saved = unsafe { (*limits).stack_limit };
        let sp = arch::stack_pointer();
        let low = thread_stack_low();
        let limit = sp
            .saturating_sub(self.store.limits.max_wasm_stack)
            .max(low + HOST_RESERVE);
        // SAFETY: single-threaded store; compiled code reads this field only during the call.
        unsafe { (*limits).stack_limit = limit };
        let values = slots.as_mut_ptr();
        // SAFETY: `array_call` is the entry trampoline generated for this function's signature,
        // and `values` has a slot for every parameter and result. The closure holds only plain
        // pointers across the wasm call.
        let r = unsafe {
            traps::catch_traps(&self.store.watch, self.store.vm_limits.get(), || {
                let f: unsafe extern "C" fn(*mut u8, *mut u8, usize, *mut u128) =
                    std::mem::transmute(fr.array_call);
                f(fr.vmctx, fr.vmctx, fr.wasm_call, values);
            })
        };
        // SAFETY: as above.
        unsafe { (*limits).stack_limit = saved };
        r?;
        Ok(self
            .ty
            .results
            .iter()
            .zip(&slots)
            .map(|(t, raw)| Val::from_raw(*raw, *t, &self.store))
            .collect())
    }

    /// A reference to this function, to pass to wasm or put in a table (`None` for a host
    /// function not imported by any instance: it has no record wasm could call).
    pub fn to_funcref(&self) -> Option<crate::FuncRef> {
        match self.kind {
            FuncKind::Ref(r) => Some(crate::FuncRef {
                record: r as usize,
                owner: self.store.tag.get(),
            }),
            FuncKind::Host(_) => None,
        }
    }
}
