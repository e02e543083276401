//! The store: owner of every instance, memory, table, global and host function created in it.
//!
//! Objects are boxed and never freed before the store, so the raw pointers that contexts and
//! tables hold into each other stay valid; handles ([`crate::Instance`], [`crate::Memory`], ...)
//! keep the store alive. A store is single-threaded; create one per request or per thread.

use crate::func::HostFunc;
use crate::global::GlobalCell;
use crate::instance::InstanceData;
use crate::memory::MemoryData;
use crate::table::TableData;
use std::cell::{RefCell, UnsafeCell};
use std::rc::Rc;

/// The record that compiled code finds through `vmctx->limits`.
#[repr(C)]
pub(crate) struct VMLimits {
    pub stack_limit: usize,
}

/// Resource limits of a store.
#[derive(Clone, Copy, Debug)]
pub struct StoreLimits {
    /// Bytes of native stack wasm code may use per call from the host.
    pub max_wasm_stack: usize,
    /// Largest size of any linear memory, in 64 KiB pages.
    pub max_memory_pages: u64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_wasm_stack: 1 << 20,
            max_memory_pages: 65536,
        }
    }
}

/// Each object is boxed so its address stays fixed while the vectors grow: contexts and tables
/// point at them.
#[derive(Default)]
#[allow(clippy::vec_box)]
pub(crate) struct Objects {
    pub instances: Vec<Box<InstanceData>>,
    pub memories: Vec<Box<MemoryData>>,
    pub tables: Vec<Box<TableData>>,
    pub globals: Vec<Box<GlobalCell>>,
    pub host_funcs: Vec<Box<HostFunc>>,
}

pub(crate) struct StoreInner {
    /// Inline: the store lives in its `Rc`'s allocation, which never moves, so contexts can
    /// point here without a box of its own.
    pub vm_limits: UnsafeCell<VMLimits>,
    pub limits: StoreLimits,
    pub objects: RefCell<Objects>,
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
    /// A new, empty store with `limits`.
    pub fn new(limits: StoreLimits) -> Store {
        Store {
            inner: Rc::new(StoreInner {
                vm_limits: UnsafeCell::new(VMLimits { stack_limit: 0 }),
                limits,
                objects: RefCell::new(Objects::default()),
            }),
        }
    }

    /// The store's limits.
    pub fn limits(&self) -> StoreLimits {
        self.inner.limits
    }
}

impl StoreInner {
    /// Moves `x` into the store, returning its stable address.
    pub fn keep<T>(&self, x: T, list: impl FnOnce(&mut Objects) -> &mut Vec<Box<T>>) -> *mut T {
        let mut objects = self.objects.borrow_mut();
        let v = list(&mut objects);
        v.push(Box::new(x));
        &mut **v.last_mut().unwrap() as *mut T
    }
}
