//! Garbage-collected objects of the GC proposal: the store's heap ([`heap`]), the runtime
//! functions compiled code calls to allocate, fill, copy and test them ([`ops`]), and the
//! handles the embedding API gives out ([`AnyRef`]).
//!
//! The layout of an object and the encoding of references are `sowa_targets::gc`'s, shared
//! with compiled code, which reads and writes fields in place.

pub(crate) mod collect;
pub(crate) mod heap;
pub(crate) mod ops;

pub(crate) use heap::GcHeap;
pub use heap::GcStats;

/// A non-null internal reference (`anyref` and below) of one store (and one period between
/// resets of it): an i31, a structure, an array, or a host value converted with
/// `any.convert_extern`.
///
/// A reference handed to the host keeps its object alive until the store is reset or dropped
/// (the host may pass it back at any time, and sowa does not count the handle's copies):
/// hosts that take many objects out of a long-lived store should reset it now and then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnyRef {
    pub(crate) raw: u64,
    pub(crate) owner: u64,
}

/// What an [`AnyRef`] points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyKind {
    /// An unboxed 31-bit integer, sign-extended.
    I31(i32),
    /// A structure.
    Struct,
    /// An array.
    Array,
    /// A host value (an `externref` converted with `any.convert_extern`).
    Host(u64),
}

impl AnyRef {
    /// The i31 reference for the low 31 bits of `value`: needs no store.
    pub fn i31(value: i32) -> AnyRef {
        AnyRef {
            raw: sowa_targets::gc::i31::encode(value),
            owner: 0,
        }
    }

    /// A reference to a box in `store`'s GC heap holding host value `value`, as
    /// `any.convert_extern` makes of an `externref` from the host.
    pub fn host(store: &crate::Store, value: u64) -> Result<AnyRef, crate::ValueError> {
        let raw = store
            .inner
            .gc
            .borrow_mut()
            .host_box(value)
            .ok_or(crate::ValueError::HeapFull)?;
        Ok(AnyRef {
            raw,
            owner: store.inner.tag.get(),
        })
    }

    /// What it is, if it is a reference of `store` (or an i31, which belongs to every store).
    pub fn kind(&self, store: &crate::Store) -> Option<AnyKind> {
        use sowa_targets::gc::i31;
        if i31::is_i31(self.raw) {
            return Some(AnyKind::I31(i31::get_s(self.raw)));
        }
        if self.owner != store.inner.tag.get() {
            return None;
        }
        Some(kind_of(self.raw))
    }
}

/// What the non-null, non-i31 reference `raw` points to.
pub(crate) fn kind_of(raw: u64) -> AnyKind {
    use sowa_targets::gc::object;
    // SAFETY: callers pass the address of a live object of a store they hold (checked by the
    // owner tag): objects are freed only when their store is dropped or reset.
    let type_id = unsafe { *((raw + object::TYPE_ID as u64) as *const u32) };
    if type_id == object::HOST_TYPE_ID {
        // SAFETY: as above; a host box holds its value here.
        return AnyKind::Host(unsafe { *((raw + object::HOST_VALUE as u64) as *const u64) });
    }
    match crate::types_registry::info(type_id).map(|t| t.sub.kind()) {
        Some(sowa_targets::CompositeKind::Array) => AnyKind::Array,
        _ => AnyKind::Struct,
    }
}
