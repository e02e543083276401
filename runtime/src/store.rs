//! The store: owner of every instance, memory, table, global and host function created in it.
//!
//! Objects are boxed and never freed before the store, so the raw pointers that contexts and
//! tables hold into each other stay valid; handles ([`crate::Instance`], [`crate::Memory`], ...)
//! keep the store alive. A store is single-threaded; create one per request or per thread.

use crate::epoch::Epoch;
use crate::func::HostFunc;
use crate::global::GlobalCell;
use crate::instance::InstanceData;
use crate::memory::MemoryData;
use crate::table::TableData;
pub(crate) use crate::vmcontext::VMLimits;
use std::cell::{RefCell, UnsafeCell};
use std::mem::MaybeUninit;
use std::rc::Rc;

/// Resource limits of a store.
///
/// Past the memory limit, `memory.grow` returns -1 (and instantiating a module whose memory
/// starts larger fails); past the stack limit, a call traps with
/// [`TrapKind::StackOverflow`](crate::TrapKind::StackOverflow). Neither harms the host.
///
/// ```
/// use sowa_runtime::{Linker, Module, Store, StoreLimits, TrapKind, Val};
/// # fn compile(wat: &str) -> Vec<u8> {
/// #     sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap()
/// # }
/// let module = Module::from_bytes(&compile(r#"
///     (module
///       (memory 1)
///       (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
///       (func $deep (export "deep") (param i32) (result i32)
///         (i32.add (i32.const 1) (call $deep (local.get 0)))))
/// "#))?;
/// let limits = StoreLimits { max_memory_pages: 16, max_wasm_stack: 64 * 1024, ..Default::default() };
/// let store = Store::new(limits);
/// let instance = Linker::new().instantiate(&store, &module)?;
/// let grow = instance.get_func("grow").unwrap();
/// assert_eq!(grow.call(&[Val::I32(15)])?, [Val::I32(1)]); // 1 page became 16
/// assert_eq!(grow.call(&[Val::I32(1)])?, [Val::I32(-1)]); // the 17th is refused
/// let trap = instance.get_func("deep").unwrap().call(&[Val::I32(0)]).unwrap_err();
/// assert_eq!(trap.kind(), Some(TrapKind::StackOverflow));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StoreLimits {
    /// Bytes of native stack wasm code may use per call from the host.
    pub max_wasm_stack: usize,
    /// Largest size of any linear memory, in 64 KiB pages.
    pub max_memory_pages: u64,
    /// Bytes the store's GC objects (structures, arrays, boxes of host references) may
    /// take; an allocation beyond (once the collector has run) traps with
    /// [`TrapKind::GcHeapExhausted`](crate::TrapKind::GcHeapExhausted). The default, 4 GiB,
    /// is what Wasmtime's GC heap (32-bit references) can hold: an object is refused by both
    /// or by neither.
    pub max_gc_heap: u64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_wasm_stack: 1 << 20,
            max_memory_pages: 65536,
            max_gc_heap: 4 << 30,
        }
    }
}

/// Objects of one kind. Each is boxed so that its address stays fixed while the list grows
/// (contexts and tables point at them); after a [`Store::reset`] the emptied boxes are kept to
/// hold the next objects, so a store reused per request allocates none of them again.
#[allow(clippy::vec_box)]
pub(crate) struct Kept<T> {
    live: Vec<Box<T>>,
    spare: Vec<Box<MaybeUninit<T>>>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept {
            live: Vec::new(),
            spare: Vec::new(),
        }
    }
}

impl<T> Kept<T> {
    /// Moves `x` in (into a spare box when there is one); returns its stable address.
    fn push(&mut self, x: T) -> *mut T {
        let b = match self.spare.pop() {
            Some(b) => Box::write(b, x),
            None => Box::new(x),
        };
        self.live.push(b);
        &mut **self.live.last_mut().expect("just pushed") as *mut T
    }

    /// The objects, in the order they came.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.live.iter().map(|b| &**b)
    }

    /// Drops every object, in the order a store's drop would, keeping the boxes.
    fn reset(&mut self) {
        for b in self.live.drain(..) {
            let p = Box::into_raw(b);
            // SAFETY: `p` came from a `Box<T>`: its value is dropped exactly once here, and its
            // allocation, whose layout `MaybeUninit<T>` shares, is kept as an empty box.
            unsafe {
                std::ptr::drop_in_place(p);
                self.spare.push(Box::from_raw(p.cast::<MaybeUninit<T>>()));
            }
        }
    }
}

/// Everything a store owns, by kind, in the order it is dropped.
#[derive(Default)]
pub(crate) struct Objects {
    pub instances: Kept<InstanceData>,
    pub memories: Kept<MemoryData>,
    pub tables: Kept<TableData>,
    pub globals: Kept<GlobalCell>,
    pub host_funcs: Kept<HostFunc>,
    pub tags: Kept<crate::exception::TagData>,
    pub exceptions: Kept<crate::exception::ExnData>,
    /// Shared memories the store's instances import: theirs to keep alive, not to drop.
    pub shared_memories: Vec<crate::memory::SharedMemory>,
}

/// [`Store::reset`] was called while handles to the store's objects were alive.
#[derive(Debug, thiserror::Error)]
#[error(
    "the store still has live handles (instances, functions, memories, tables or globals): \
     drop them before resetting it"
)]
pub struct StoreInUse;

/// What [`Store::reset`] takes out of the objects it drops, for the next instances: contexts
/// (by layout) and the lists instances and tables keep their contents in.
#[derive(Default)]
pub(crate) struct Recycled {
    pub contexts: Vec<(std::alloc::Layout, *mut u8)>,
    pub memory_lists: Vec<Vec<*mut MemoryData>>,
    pub table_lists: Vec<Vec<*mut TableData>>,
    pub global_lists: Vec<Vec<*mut u8>>,
    pub elements: Vec<Vec<usize>>,
}

impl Drop for Recycled {
    fn drop(&mut self) {
        for (layout, p) in self.contexts.drain(..) {
            // SAFETY: each came from `std::alloc` with this layout, and nothing refers to it.
            unsafe { std::alloc::dealloc(p, layout) };
        }
    }
}

impl Recycled {
    /// A zeroed context of `layout`: a recycled one when there is one.
    pub fn context(&mut self, layout: std::alloc::Layout) -> *mut u8 {
        if let Some(i) = self.contexts.iter().rposition(|(l, _)| *l == layout) {
            let (_, p) = self.contexts.swap_remove(i);
            // SAFETY: a block of `layout.size()` bytes that nothing else refers to.
            unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
            return p;
        }
        // SAFETY: non-zero size (a context's header alone is non-empty).
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        p
    }
}

/// An empty list with room for `n`, recycled from `spare` when it holds one.
pub(crate) fn list<T>(spare: &mut Vec<Vec<T>>, n: usize) -> Vec<T> {
    let mut v = spare.pop().unwrap_or_default();
    v.clear();
    v.reserve(n);
    v
}

/// A tag no store has had: function references carry their store's, and a reset store takes a
/// new one, so references from before the reset are refused like another store's.
fn next_tag() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

pub(crate) struct StoreInner {
    /// Identity of the store's objects now (see [`crate::FuncRef`]).
    pub tag: std::cell::Cell<u64>,
    /// Inline: the store lives in its `Rc`'s allocation, which never moves, so contexts can
    /// point here without a box of its own.
    pub vm_limits: UnsafeCell<VMLimits>,
    pub limits: StoreLimits,
    pub epoch: Epoch,
    /// The store's deadline; `vm_limits.watch` points here.
    pub watch: std::sync::Arc<crate::epoch::Watch>,
    pub objects: RefCell<Objects>,
    pub recycled: RefCell<Recycled>,
    /// GC objects; borrowed only for the length of one allocation or reset, never across a
    /// call into wasm or the host.
    pub gc: RefCell<crate::gc::GcHeap>,
}

/// A collection of instances and the objects they share.
pub struct Store {
    pub(crate) inner: Rc<StoreInner>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(StoreLimits::default())
    }
}

impl Store {
    /// A new, empty store with `limits`, reading the process-wide [`Epoch`].
    pub fn new(limits: StoreLimits) -> Store {
        Self::with_epoch(limits, Epoch::default())
    }

    /// A new, empty store with `limits`, reading `epoch`. Its deadline is never until
    /// [`Store::set_epoch_deadline`] sets one.
    pub fn with_epoch(limits: StoreLimits, epoch: Epoch) -> Store {
        let inner = Rc::new(StoreInner {
            vm_limits: UnsafeCell::new(VMLimits {
                stack_limit: 0,
                exit_fp: 0,
                exit_pc: 0,
                watch: std::ptr::null(),
                store: std::ptr::null(),
            }),
            tag: std::cell::Cell::new(next_tag()),
            limits,
            watch: epoch.watch(),
            epoch,
            objects: RefCell::new(Objects::default()),
            recycled: RefCell::new(Recycled::default()),
            gc: RefCell::new(crate::gc::GcHeap::new(limits.max_gc_heap)),
        });
        // SAFETY: nothing else refers to the new record yet; `watch` lives in the same
        // allocation, which never moves.
        unsafe {
            (*inner.vm_limits.get()).watch = &inner.watch;
            (*inner.vm_limits.get()).store = Rc::as_ptr(&inner);
        }
        Store { inner }
    }

    /// The store's limits.
    pub fn limits(&self) -> StoreLimits {
        self.inner.limits
    }

    /// Bytes the store's GC objects take now (structures, arrays, boxes of host
    /// references), counted against [`StoreLimits::max_gc_heap`].
    pub fn gc_heap_bytes(&self) -> u64 {
        self.inner.gc.borrow().bytes()
    }

    /// Frees the GC objects nothing refers to any more (wasm collects by itself as it
    /// allocates; this is for a host that wants the memory back now).
    pub fn gc(&self) {
        crate::gc::collect::collect(&self.inner);
    }

    /// What the store's collector has done: collections, pauses, peak and live bytes.
    pub fn gc_stats(&self) -> crate::GcStats {
        self.inner.gc.borrow().stats
    }

    /// The epoch this store's guests are checked against; advance it from any thread.
    pub fn epoch(&self) -> &Epoch {
        &self.inner.epoch
    }

    /// Stops wasm code running in this store once the epoch has advanced `ticks` beyond its
    /// current value (0: at once, the next call traps). A call running when the deadline
    /// passes is stopped at the next tick of the epoch that finds it in wasm code, or when a
    /// host function it called returns. `u64::MAX` means never.
    ///
    /// Compiled code carries no checks: a tick past the deadline signals the thread running
    /// the store's wasm. A timer thread ticks; the call returns
    /// [`TrapKind::Interrupted`](crate::TrapKind::Interrupted).
    ///
    /// ```
    /// use sowa_runtime::{Epoch, Linker, Module, Store, StoreLimits, TrapKind};
    /// use std::time::{Duration, Instant};
    /// # fn compile(wat: &str) -> Vec<u8> {
    /// #     sowa_compiler::compile(&wat::parse_str(wat).unwrap(), &Default::default()).unwrap()
    /// # }
    /// let module = Module::from_bytes(&compile(
    ///     r#"(module (func $spin (export "spin") (loop $l (br $l))))"#,
    /// ))?;
    /// let epoch = Epoch::new();
    /// let ticker = epoch.clone();
    /// std::thread::spawn(move || loop {
    ///     std::thread::sleep(Duration::from_millis(1));
    ///     ticker.increment();
    /// });
    /// let store = Store::with_epoch(StoreLimits::default(), epoch);
    /// let instance = Linker::new().instantiate(&store, &module)?;
    /// store.set_epoch_deadline(50); // about 50 ms from now
    /// let started = Instant::now();
    /// let trap = instance.get_func("spin").unwrap().call(&[]).unwrap_err();
    /// assert_eq!(trap.kind(), Some(TrapKind::Interrupted));
    /// assert_eq!(trap.func.as_deref(), Some("spin"));
    /// assert!(started.elapsed() >= Duration::from_millis(40));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_epoch_deadline(&self, ticks: u64) {
        self.inner.watch.set_deadline(ticks);
    }

    /// Drops every instance and object in the store, keeping what held them for the next
    /// ones: a worker serving one instance per request resets its store between requests
    /// instead of making a new one, and instantiating into it then allocates no boxes, no
    /// lists and (through the process-wide reservation pool) no memory. Refused, changing
    /// nothing, while any handle to the store's objects is alive.
    pub fn reset(&mut self) -> Result<(), StoreInUse> {
        if Rc::strong_count(&self.inner) != 1 || Rc::weak_count(&self.inner) != 0 {
            return Err(StoreInUse);
        }
        let mut o = self.inner.objects.borrow_mut();
        let mut r = self.inner.recycled.borrow_mut();
        for i in o.instances.live.iter_mut() {
            i.recycle(&mut r);
        }
        for t in o.tables.live.iter_mut() {
            r.elements.push(std::mem::take(&mut t.elements));
        }
        o.instances.reset();
        o.memories.reset();
        o.tables.reset();
        o.globals.reset();
        o.host_funcs.reset();
        o.tags.reset();
        o.exceptions.reset();
        o.shared_memories.clear();
        self.inner.gc.borrow_mut().clear();
        self.inner.tag.set(next_tag());
        Ok(())
    }
}

impl StoreInner {
    /// Moves `x` into the store, returning its stable address.
    pub fn keep<T>(&self, x: T, list: impl FnOnce(&mut Objects) -> &mut Kept<T>) -> *mut T {
        let mut objects = self.objects.borrow_mut();
        list(&mut objects).push(x)
    }
}
