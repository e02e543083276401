//! Globals: 16-byte cells that compiled code reads and writes in place.

use crate::store::{Store, StoreInner};
use crate::values::{Val, ValueError};
pub(crate) use crate::vmcontext::GlobalCell;
use sowa_targets::GlobalType;
use std::rc::Rc;

/// A global variable: defined by an instance or created by the host.
#[derive(Clone)]
pub struct Global {
    pub(crate) store: Rc<StoreInner>,
    pub(crate) cell: *mut u8,
    pub(crate) ty: GlobalType,
}

/// Reads a value of type `ty` from a cell.
///
/// # Safety
/// `cell` must point to a live 16-byte global cell.
pub(crate) unsafe fn read_cell(
    cell: *const u8,
    ty: sowa_targets::ValType,
    store: &crate::store::StoreInner,
) -> Val {
    // SAFETY: per contract.
    Val::from_raw(unsafe { read_cell_raw(cell, ty) }, ty, store)
}

/// Reads the bits of a value of type `ty` from a cell (those above its size are zero).
///
/// # Safety
/// `cell` must point to a live 16-byte global cell.
pub(crate) unsafe fn read_cell_raw(cell: *const u8, ty: sowa_targets::ValType) -> u128 {
    // SAFETY: per contract, 16 readable bytes.
    let raw = unsafe { std::ptr::read_unaligned(cell as *const u128) };
    mask(raw, ty)
}

/// `raw` without the bits above the size of a value of type `ty`.
pub(crate) fn mask(raw: u128, ty: sowa_targets::ValType) -> u128 {
    let size = ty.byte_size();
    if size >= 16 {
        raw
    } else {
        raw & ((1u128 << (size * 8)) - 1)
    }
}

/// Writes `v` into a cell.
///
/// # Safety
/// `cell` must point to a live 16-byte global cell.
pub(crate) unsafe fn write_cell(cell: *mut u8, raw: u128) {
    // SAFETY: per contract, 16 writable bytes.
    unsafe { std::ptr::write_unaligned(cell as *mut u128, raw) }
}

impl Global {
    /// Creates a host global of type `ty` holding `value` (of that type, and of this store).
    pub fn new(store: &Store, ty: GlobalType, value: Val) -> Result<Global, ValueError> {
        let raw = value.to_raw_checked(ty.ty, &store.inner)?;
        let cell = store.inner.keep(GlobalCell([0; 16]), |o| &mut o.globals) as *mut u8;
        // SAFETY: the cell was just allocated in the store.
        unsafe { write_cell(cell, raw) };
        if crate::gc::collect::is_gc(ty.ty) {
            // The collector finds what the cell holds from here on.
            store
                .inner
                .gc
                .borrow_mut()
                .root_cells
                .push(cell as *const u64);
        }
        Ok(Global {
            store: store.inner.clone(),
            cell,
            ty,
        })
    }

    /// The global's type.
    pub fn ty(&self) -> GlobalType {
        self.ty
    }

    /// Its current value.
    pub fn get(&self) -> Val {
        // SAFETY: the cell lives in a store that `self.store` keeps alive.
        unsafe { read_cell(self.cell, self.ty.ty, &self.store) }
    }

    /// Sets a mutable global to `v`, a value of its type and of its store.
    pub fn set(&self, v: Val) -> Result<(), ValueError> {
        if !self.ty.mutable {
            return Err(ValueError::Immutable);
        }
        let raw = v.to_raw_checked(self.ty.ty, &self.store)?;
        // SAFETY: as in `get`.
        unsafe { write_cell(self.cell, raw) };
        Ok(())
    }
}
