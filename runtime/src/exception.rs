//! Tags and exceptions (the exception-handling proposal): what a tag's identity is, what an
//! exception holds, and the handles the embedding API gives out for them.
//!
//! A tag is a record in the store; every context that defines or imports it points at it
//! (`vmctx` tag slots), and an exception carries a pointer to it: two tags are the same tag
//! exactly when the pointers are equal, which is what a `catch` compares in compiled code.
//! An exception is a record in the store too, alive until the store is dropped or reset: it
//! is not a GC object (the collector treats its values as roots), so a guest that throws
//! without end grows its store.

use crate::store::StoreInner;
use sowa_targets::FuncType;
use std::rc::Rc;

/// A tag's identity record.
pub(crate) struct TagData {
    /// Its type in canonical form (the parameters are an exception's values).
    pub ty: FuncType,
    /// The canonical id of `ty`: what import matching compares.
    pub type_id: u32,
}

/// An exception: compiled code reads its first two fields ([`sowa_targets::vmctx::exn`]).
#[repr(C)]
pub(crate) struct ExnData {
    pub tag: *const TagData,
    pub values: *const u128,
    /// The storage `values` points into, one 16-byte slot per value.
    pub slots: Box<[u128]>,
}

/// A tag of a store: defined by an instance, or by the host with [`Tag::new`].
#[derive(Clone)]
pub struct Tag {
    pub(crate) store: Rc<StoreInner>,
    pub(crate) ptr: *mut TagData,
}

impl Tag {
    /// A new tag of type `ty` (its parameters are the values its exceptions carry; results
    /// must be empty), distinct from every other tag.
    pub fn new(store: &crate::Store, ty: FuncType) -> Tag {
        let type_id = crate::types_registry::canonical_id(&ty);
        let ptr = store.inner.keep(TagData { ty, type_id }, |o| &mut o.tags);
        Tag {
            store: store.inner.clone(),
            ptr,
        }
    }

    /// The tag's type.
    pub fn ty(&self) -> &FuncType {
        // SAFETY: the record lives in the store we keep alive.
        unsafe { &(*self.ptr).ty }
    }

    /// Whether `self` and `other` are the same tag (not merely of the same type).
    pub fn same(&self, other: &Tag) -> bool {
        std::ptr::eq(self.ptr, other.ptr)
    }
}

const _: () = {
    use sowa_targets::vmctx::exn;
    assert!(std::mem::offset_of!(ExnData, tag) == exn::TAG as usize);
    assert!(std::mem::offset_of!(ExnData, values) == exn::VALUES as usize);
};
