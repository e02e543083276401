//! Values passed between the host and wasm, and their 16-byte slot encoding.
//!
//! A function reference is an opaque [`FuncRef`]: the address of a record inside a store, tagged
//! with the store's identity. Safe code can only copy one it was given; every way back into wasm
//! (call arguments, host function results, globals, tables) checks the tag against the store it
//! enters, so a reference cannot outlive its store or its store's [`crate::Store::reset`], nor
//! cross into another store, nor be forged from an integer.

use crate::func::VMFuncRef;
use crate::gc::{kind_of, AnyKind, AnyRef};
use crate::store::StoreInner;
use crate::types_registry::Canonical;
use sowa_targets::gc::{i31, object};
use sowa_targets::{HeapType, RefType, ValType};

/// A non-null external reference: a value the host chose, or an internal reference converted
/// with `extern.convert_any`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternRef {
    /// A host value (wasm sees a box holding it, made when it enters a store).
    Host(u64),
    /// An internal reference wasm converted to an external one.
    Any(AnyRef),
}

/// A non-null reference to a function of one store (and one period between resets of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncRef {
    pub(crate) record: usize,
    pub(crate) owner: u64,
}

/// A non-null reference to an exception of one store (and one period between resets of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExnRef {
    pub(crate) record: usize,
    pub(crate) owner: u64,
}

/// A value that cannot go where it was meant to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The value's type is not the one expected.
    #[error("a value of type {found} where {expected} is expected")]
    Type {
        /// The type required.
        expected: ValType,
        /// The value's type.
        found: ValType,
    },
    /// The store's GC heap has no room for the box a host reference needs.
    #[error("the store's GC heap is full")]
    HeapFull,
    /// A null reference where the type does not admit null.
    #[error("a null reference where a non-null {expected} is expected")]
    Null {
        /// The type required.
        expected: ValType,
    },
    /// A function reference of another store, or from before the store was reset.
    #[error(
        "a function reference from another store (or from before Store::reset) cannot be used \
         in this one"
    )]
    ForeignReference,
    /// An immutable global cannot be set.
    #[error("the global is immutable")]
    Immutable,
    /// A table could not be created with the size asked for.
    #[error("table too large")]
    TableTooLarge,
}

/// A WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    /// i32
    I32(i32),
    /// i64
    I64(i64),
    /// f32, by its bits (so NaN payloads survive).
    F32(u32),
    /// f64, by its bits.
    F64(u64),
    /// v128
    V128(u128),
    /// A function reference; `None` is null.
    FuncRef(Option<FuncRef>),
    /// An external reference; `None` is null.
    ExternRef(Option<ExternRef>),
    /// An internal reference (GC: structures, arrays, i31s); `None` is null.
    AnyRef(Option<AnyRef>),
    /// An exception reference; `None` is null.
    ExnRef(Option<ExnRef>),
}

impl Val {
    /// The type of the value.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::Ref(RefType::FUNCREF),
            Val::ExternRef(_) => ValType::Ref(RefType::EXTERNREF),
            Val::AnyRef(_) => ValType::Ref(RefType {
                nullable: true,
                heap: HeapType::Any,
            }),
            Val::ExnRef(_) => ValType::Ref(RefType {
                nullable: true,
                heap: HeapType::Exn,
            }),
        }
    }

    /// The zero (or null) value of `ty` (null also for a non-nullable reference type, which
    /// has no default: a place of that type must be written before it is read).
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::Ref(r) => match r.heap.top(&Canonical) {
                HeapType::Extern => Val::ExternRef(None),
                HeapType::Exn => Val::ExnRef(None),
                HeapType::Any => Val::AnyRef(None),
                _ => Val::FuncRef(None),
            },
        }
    }

    /// Whether a reference in this value belongs to a store other than the one tagged
    /// `owner` (i31s belong to every store).
    fn foreign(self, owner: u64) -> bool {
        let any = |a: AnyRef| !i31::is_i31(a.raw) && a.owner != owner;
        match self {
            Val::FuncRef(Some(r)) => r.owner != owner,
            Val::ExnRef(Some(r)) => r.owner != owner,
            Val::AnyRef(Some(a)) | Val::ExternRef(Some(ExternRef::Any(a))) => any(a),
            _ => false,
        }
    }

    /// Encodes a value known to be of the store it goes to, boxing a host value in `store`'s
    /// GC heap.
    fn to_raw(self, store: &StoreInner) -> Result<u128, ValueError> {
        Ok(match self {
            Val::I32(v) => v as u32 as u128,
            Val::I64(v) => v as u64 as u128,
            Val::F32(v) => v as u128,
            Val::F64(v) => v as u128,
            Val::V128(v) => v,
            Val::FuncRef(r) => r.map_or(0, |r| r.record) as u128,
            Val::ExnRef(r) => r.map_or(0, |r| r.record) as u128,
            Val::AnyRef(r) => r.map_or(0, |a| a.raw) as u128,
            Val::ExternRef(None) => 0,
            Val::ExternRef(Some(ExternRef::Any(a))) => a.raw as u128,
            Val::ExternRef(Some(ExternRef::Host(v))) => store
                .gc
                .borrow_mut()
                .host_box(v)
                .ok_or(ValueError::HeapFull)?
                as u128,
        })
    }

    /// The top of the hierarchy of a null reference value.
    fn null_of(self) -> Option<HeapType> {
        match self {
            Val::FuncRef(None) => Some(HeapType::Func),
            Val::ExternRef(None) => Some(HeapType::Extern),
            Val::AnyRef(None) => Some(HeapType::Any),
            Val::ExnRef(None) => Some(HeapType::Exn),
            _ => None,
        }
    }

    /// The heap type of a non-null reference value (its most precise type).
    fn heap_type(self) -> Option<HeapType> {
        Some(match self {
            // SAFETY (both reads): a reference of the store being entered (callers check the
            // owner first) is the address of a record or object the store keeps alive.
            Val::FuncRef(Some(f)) => {
                HeapType::Concrete(unsafe { (*(f.record as *const VMFuncRef)).type_id })
            }
            Val::AnyRef(Some(a)) if i31::is_i31(a.raw) => HeapType::I31,
            Val::AnyRef(Some(a)) => match kind_of(a.raw) {
                AnyKind::Host(_) => HeapType::Any,
                _ => HeapType::Concrete(unsafe { *(a.raw as *const u32) }),
            },
            Val::ExternRef(Some(_)) => HeapType::Extern,
            Val::ExnRef(Some(_)) => HeapType::Exn,
            _ => return None,
        })
    }

    /// Encodes the value for a place of type `ty` (canonical: see `HeapType::Concrete`) in
    /// `store`: the value must be of that type or a subtype, so a null cannot go where none is
    /// allowed, nor a function of another type into a typed reference.
    pub(crate) fn to_raw_checked(
        self,
        ty: ValType,
        store: &StoreInner,
    ) -> Result<u128, ValueError> {
        // The store first: only then may a record or object be read below.
        if self.foreign(store.tag.get()) {
            return Err(ValueError::ForeignReference);
        }
        let fits = match (self.heap_type(), ty) {
            (Some(h), ValType::Ref(t)) => h.is_subtype_of(t.heap, &Canonical),
            (None, ValType::Ref(t)) if self.null_of().is_some() => {
                if self.null_of() != Some(t.heap.top(&Canonical)) {
                    false
                } else if !t.nullable {
                    return Err(ValueError::Null { expected: ty });
                } else {
                    true
                }
            }
            (_, t) => self.ty() == t,
        };
        if !fits {
            return Err(ValueError::Type {
                expected: ty,
                found: self.ty(),
            });
        }
        self.to_raw(store)
    }

    /// Decodes a slot of `store` holding a value of type `ty`, for the host: a GC object the
    /// value refers to is kept alive from then on (see [`AnyRef`]).
    pub(crate) fn from_raw(raw: u128, ty: ValType, store: &StoreInner) -> Val {
        // Only the low 8 bytes of a reference: a slot that held a wider value before keeps
        // its upper bytes.
        let r = raw as u64;
        let owner = store.tag.get();
        // An object the host gets a handle to stays alive (an i31 is no object; a host box
        // is read into a plain value).
        let exposed = |r: u64| {
            if !i31::is_i31(r) {
                store.gc.borrow_mut().exposed.push(r);
            }
            AnyRef { raw: r, owner }
        };
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as u64 as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw as u64),
            ValType::V128 => Val::V128(raw),
            ValType::Ref(t) => match t.heap.top(&Canonical) {
                HeapType::Extern => Val::ExternRef((r != 0).then(|| {
                    if !i31::is_i31(r) && kind_of_is_host(r) {
                        // SAFETY: a host box of this store (its slot says so).
                        ExternRef::Host(unsafe { *((r + object::HOST_VALUE as u64) as *const u64) })
                    } else {
                        ExternRef::Any(exposed(r))
                    }
                })),
                HeapType::Any => Val::AnyRef((r != 0).then(|| exposed(r))),
                HeapType::Exn => Val::ExnRef((r != 0).then_some(ExnRef {
                    record: r as usize,
                    owner,
                })),
                _ => Val::FuncRef((r != 0).then_some(FuncRef {
                    record: r as usize,
                    owner,
                })),
            },
        }
    }

    /// The i32, if this is one.
    pub fn i32(&self) -> Option<i32> {
        match self {
            Val::I32(v) => Some(*v),
            _ => None,
        }
    }

    /// The i64, if this is one.
    pub fn i64(&self) -> Option<i64> {
        match self {
            Val::I64(v) => Some(*v),
            _ => None,
        }
    }
}

/// Whether the object at `raw` (non-null, not an i31) is a host box.
fn kind_of_is_host(raw: u64) -> bool {
    matches!(kind_of(raw), AnyKind::Host(_))
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::I32(v) => write!(f, "{v}"),
            Val::I64(v) => write!(f, "{v}"),
            Val::F32(b) => write!(f, "{}", f32::from_bits(*b)),
            Val::F64(b) => write!(f, "{}", f64::from_bits(*b)),
            Val::V128(v) => write!(f, "{v:#034x}"),
            Val::FuncRef(None) => write!(f, "null funcref"),
            Val::FuncRef(Some(_)) => write!(f, "funcref"),
            Val::ExternRef(None) => write!(f, "null externref"),
            Val::ExternRef(Some(ExternRef::Host(v))) => write!(f, "externref {v}"),
            Val::ExternRef(Some(ExternRef::Any(_))) => write!(f, "externref (internal)"),
            Val::AnyRef(None) => write!(f, "null anyref"),
            Val::AnyRef(Some(_)) => write!(f, "anyref"),
            Val::ExnRef(None) => write!(f, "null exnref"),
            Val::ExnRef(Some(_)) => write!(f, "exnref"),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}
