//! Instances: a module's context (`vmctx`) with its memories, tables, globals and functions.
//!
//! [`InstanceData`] owns the context block whose layout `sowa_targets::vmctx` defines; creating
//! one (resolving imports, evaluating initializers, applying segments, running the start
//! function) is in [`init`].

mod init;

pub use init::InstantiateError;
pub(crate) use init::{elem_item, global_type};

use crate::exception::{Tag, TagData};
use crate::func::{Func, FuncKind, VMFuncRef};
use crate::global::Global;
use crate::memory::{Memory, MemoryData};
use crate::module::Module;
use crate::store::StoreInner;
use crate::table::{Table, TableData};
use sowa_targets::artifact::ExternKind;
use sowa_targets::{vmctx, GlobalType};
use std::alloc::Layout;
use std::rc::Rc;

/// Anything that can be imported or exported.
#[derive(Clone)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A memory.
    Memory(Memory),
    /// A table.
    Table(Table),
    /// A global.
    Global(Global),
    /// A tag (exceptions).
    Tag(Tag),
}

impl Extern {
    /// The store this object belongs to.
    pub(crate) fn store(&self) -> &Rc<StoreInner> {
        match self {
            Extern::Func(f) => &f.store,
            Extern::Memory(m) => &m.store,
            Extern::Table(t) => &t.store,
            Extern::Global(g) => &g.store,
            Extern::Tag(t) => &t.store,
        }
    }
}

/// The runtime side of an instance.
pub(crate) struct InstanceData {
    pub module: Module,
    vmctx: *mut u8,
    layout: Layout,
    pub memories: Vec<*mut MemoryData>,
    pub tables: Vec<*mut TableData>,
    /// Cell of every global, imported first.
    pub globals: Vec<*mut u8>,
    /// Identity record of every tag, imported first.
    pub tags: Vec<*mut TagData>,
    /// Passive data segments dropped by `data.drop`, a bit each, grown on the first drop: a
    /// module may have tens of thousands of segments, and instantiation must not pay for them.
    /// Active segments count as dropped without a bit (they are, once instantiation is done).
    pub dropped_passive_data: Vec<u64>,
    pub dropped_elems: Vec<bool>,
    /// The items of the passive element segments whose expressions allocate, evaluated at
    /// instantiation, by segment index (ascending).
    pub elem_objects: Vec<(u32, Vec<usize>)>,
}

impl Drop for InstanceData {
    fn drop(&mut self) {
        if !self.vmctx.is_null() {
            // SAFETY: allocated in `Instance::new` with this layout, and not recycled.
            unsafe { std::alloc::dealloc(self.vmctx, self.layout) }
        }
    }
}

impl InstanceData {
    /// The instance owning `vmctx`.
    ///
    /// # Safety
    /// `vmctx` must be the context of a live instance.
    pub unsafe fn from_vmctx<'a>(vmctx: *mut u8) -> &'a InstanceData {
        // SAFETY: the INSTANCE field was set at creation to the owning InstanceData.
        unsafe { &*(*(vmctx.add(vmctx::INSTANCE as usize) as *const *const InstanceData)) }
    }

    /// Mutable form of [`Self::from_vmctx`].
    ///
    /// # Safety
    /// As for `from_vmctx`, and no other reference to the instance may be in use.
    pub unsafe fn from_vmctx_mut<'a>(vmctx: *mut u8) -> &'a mut InstanceData {
        // SAFETY: per contract.
        unsafe { &mut *(*(vmctx.add(vmctx::INSTANCE as usize) as *const *mut InstanceData)) }
    }

    /// The store the instance lives in.
    pub fn store(&self) -> &crate::store::StoreInner {
        // SAFETY: a live context's first field points at its store's limits record, which
        // points at the store; the store outlives its instances.
        unsafe { &*(**self.vmctx_field::<*const crate::store::VMLimits>(vmctx::LIMITS)).store }
    }

    /// Address of the field at `offset` of the context.
    pub fn vmctx_field<T>(&self, offset: u32) -> *mut T {
        // SAFETY: offsets come from the module's VMOffsets, within the allocation.
        unsafe { self.vmctx.add(offset as usize) as *mut T }
    }

    /// The funcref record in slot `slot` (< the module's slot count).
    pub fn funcref(&self, slot: u32) -> *mut VMFuncRef {
        self.vmctx_field(self.module.inner.offsets.funcref(slot))
    }

    /// The funcref record in slot `slot`, if the context has that slot (a slot number read
    /// from the manifest's tables is checked here).
    pub fn funcref_in(&self, slot: u32) -> Option<*mut VMFuncRef> {
        (slot < self.module.inner.offsets.counts.funcrefs).then(|| self.funcref(slot))
    }

    /// The funcref record of function `index`, if it has one (imported functions and those a
    /// reference can be taken to; see `sowa_targets::vmctx::funcref_slot`).
    pub fn funcref_of(&self, index: u32) -> Option<*mut VMFuncRef> {
        let mi = &self.module.inner;
        self.funcref_in(
            mi.tables()
                .funcref_slot(index, mi.info().num_imported_funcs())?,
        )
    }

    /// Function `index` as a handle of `store`, if it has a record and a valid type.
    pub fn func(&self, store: &Rc<StoreInner>, index: u32) -> Option<Func> {
        let mi = &self.module.inner;
        let t = mi.tables().func_type(index)?;
        Some(Func {
            store: store.clone(),
            kind: FuncKind::Ref(self.funcref_of(index)?),
            ty: mi.canonical_types.get(t as usize)?.as_func()?.clone(),
        })
    }

    /// Hands this instance's context and lists to `r` for the next instance of the store (the
    /// instance is about to be dropped by `Store::reset`).
    pub fn recycle(&mut self, r: &mut crate::store::Recycled) {
        if !self.vmctx.is_null() {
            r.contexts.push((self.layout, self.vmctx));
            self.vmctx = std::ptr::null_mut();
        }
        r.memory_lists.push(std::mem::take(&mut self.memories));
        r.table_lists.push(std::mem::take(&mut self.tables));
        r.global_lists.push(std::mem::take(&mut self.globals));
    }

    /// Whether data segment `index` is dropped (or, for a damaged table, unknown).
    pub fn data_dropped(&self, index: u32, active: bool) -> bool {
        let (word, bit) = (index as usize / 64, index % 64);
        active
            || self
                .dropped_passive_data
                .get(word)
                .is_some_and(|w| w & (1 << bit) != 0)
    }

    /// Drops data segment `index` (`data.drop`).
    pub fn drop_data(&mut self, index: u32) {
        let (word, bit) = (index as usize / 64, index % 64);
        if self.dropped_passive_data.len() <= word {
            self.dropped_passive_data.resize(word + 1, 0);
        }
        self.dropped_passive_data[word] |= 1 << bit;
    }

    /// The memory exported as `name`.
    pub fn exported_memory(&self, name: &str) -> Option<*mut MemoryData> {
        let e = self
            .module
            .info()
            .exports
            .iter()
            .find(|e| e.name == name && e.kind == ExternKind::Memory)?;
        self.memories.get(e.index as usize).copied()
    }
}

/// An instance of a module.
#[derive(Clone)]
pub struct Instance {
    pub(crate) store: Rc<StoreInner>,
    pub(crate) ptr: *mut InstanceData,
}

impl Instance {
    fn data(&self) -> &InstanceData {
        // SAFETY: instances live in the store we keep alive.
        unsafe { &*self.ptr }
    }

    /// The module this is an instance of.
    pub fn module(&self) -> &Module {
        &self.data().module
    }

    /// The export called `name`.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let d = self.data();
        let m = d.module.info();
        let e = m.exports.iter().find(|e| e.name == name)?;
        Some(match e.kind {
            ExternKind::Func => Extern::Func(d.func(&self.store, e.index)?),
            ExternKind::Memory => Extern::Memory(Memory {
                store: self.store.clone(),
                ptr: d.memories[e.index as usize],
            }),
            ExternKind::Table => Extern::Table(Table {
                store: self.store.clone(),
                ptr: d.tables[e.index as usize],
            }),
            ExternKind::Tag => Extern::Tag(Tag {
                store: self.store.clone(),
                ptr: *d.tags.get(e.index as usize)?,
            }),
            ExternKind::Global => Extern::Global(Global {
                store: self.store.clone(),
                cell: d.globals[e.index as usize],
                ty: {
                    let g = init::global_type(m, e.index);
                    GlobalType {
                        ty: d.module.inner.canonical(g.ty),
                        ..g
                    }
                },
            }),
        })
    }

    /// The exported function `name`.
    pub fn get_func(&self, name: &str) -> Option<Func> {
        match self.get_export(name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, name: &str) -> Option<Memory> {
        match self.get_export(name)? {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The exported global `name`.
    pub fn get_global(&self, name: &str) -> Option<Global> {
        match self.get_export(name)? {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// Every export, by name.
    pub fn exports(&self) -> Vec<(String, Extern)> {
        let names: Vec<String> = self
            .data()
            .module
            .info()
            .exports
            .iter()
            .map(|e| e.name.clone())
            .collect();
        names
            .into_iter()
            .filter_map(|n| self.get_export(&n).map(|e| (n, e)))
            .collect()
    }
}
