//! Tables: growable arrays of references that compiled code indexes directly.

use sowa_targets::TableType;

pub(crate) use crate::vmcontext::VMTable;

/// A table. Elements are raw references: funcref record addresses or encoded externrefs, 0 null.
pub(crate) struct TableData {
    pub vm: VMTable,
    pub elements: Vec<usize>,
    pub ty: TableType,
    pub max: u64,
}

/// Tables larger than this are refused, whatever their type allows.
const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

impl TableData {
    /// Creates a table with every element `init`.
    pub fn new(ty: TableType, init: usize) -> Option<TableData> {
        Self::new_in(ty, init, Vec::new())
    }

    /// [`TableData::new`] with its elements in `storage` (an empty list, perhaps recycled).
    pub fn new_in(ty: TableType, init: usize, mut storage: Vec<usize>) -> Option<TableData> {
        let max = ty.max.unwrap_or(u32::MAX as u64).min(MAX_TABLE_ELEMENTS);
        if ty.min > max {
            return None;
        }
        storage.clear();
        storage.resize(ty.min as usize, init);
        let mut elements = storage;
        Some(TableData {
            vm: VMTable {
                base: elements.as_mut_ptr(),
                length: ty.min,
            },
            elements,
            ty,
            max,
        })
    }

    /// Grows by `delta` elements set to `init`; returns the old size, or `None`.
    pub fn grow(&mut self, delta: u64, init: usize) -> Option<u64> {
        let old = self.elements.len() as u64;
        let new = old.checked_add(delta)?;
        if new > self.max {
            return None;
        }
        self.elements.resize(new as usize, init);
        self.vm.base = self.elements.as_mut_ptr();
        self.vm.length = new;
        Some(old)
    }

    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.elements.len() as u64
    }
}

/// A table handle.
#[derive(Clone)]
pub struct Table {
    pub(crate) store: std::rc::Rc<crate::store::StoreInner>,
    pub(crate) ptr: *mut TableData,
}

impl Table {
    /// Creates a host table of type `ty` with every element `init` (a reference of the element
    /// type, and of this store).
    pub fn new(
        store: &crate::Store,
        ty: TableType,
        init: crate::Val,
    ) -> Result<Table, crate::ValueError> {
        let raw = init.to_raw_checked(sowa_targets::ValType::Ref(ty.elem), &store.inner)?;
        let t = TableData::new(ty, raw as usize).ok_or(crate::ValueError::TableTooLarge)?;
        Ok(Table {
            store: store.inner.clone(),
            ptr: store.inner.keep(t, |o| &mut o.tables),
        })
    }

    /// The table's type, with its current size as minimum.
    pub fn ty(&self) -> TableType {
        // SAFETY: the table lives in the store we keep alive.
        let t = unsafe { &*self.ptr };
        TableType {
            min: t.len(),
            ..t.ty
        }
    }

    /// Current number of elements.
    pub fn size(&self) -> u64 {
        // SAFETY: as above.
        unsafe { (*self.ptr).len() }
    }

    /// Element `index`, if in bounds.
    pub fn get(&self, index: u64) -> Option<crate::Val> {
        // SAFETY: as above.
        let t = unsafe { &*self.ptr };
        let raw = *t.elements.get(index as usize)?;
        Some(crate::Val::from_raw(
            raw as u128,
            sowa_targets::ValType::Ref(t.ty.elem),
            &self.store,
        ))
    }
}
