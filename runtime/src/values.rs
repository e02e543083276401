//! Values passed between the host and wasm, and their 16-byte slot encoding.
//!
//! A function reference is an opaque [`FuncRef`]: the address of a record inside a store, tagged
//! with the store's identity. Safe code can only copy one it was given; every way back into wasm
//! (call arguments, host function results, globals, tables) checks the tag against the store it
//! enters, so a reference cannot outlive its store or its store's [`crate::Store::reset`], nor
//! cross into another store, nor be forged from an integer.

use crate::func::VMFuncRef;
use sowa_targets::{HeapType, RefType, ValType};

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
    /// An external reference chosen by the host; `None` is null.
    ExternRef(Option<u64>),
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
            ValType::Ref(r) if r.is_extern() => Val::ExternRef(None),
            ValType::Ref(r) if r.is_exn() => Val::ExnRef(None),
            ValType::Ref(_) => Val::FuncRef(None),
        }
    }

    /// Encodes the value into a slot for the store tagged `owner`, refusing a function
    /// reference of another.
    pub(crate) fn to_raw_in(self, owner: u64) -> Result<u128, ValueError> {
        match self {
            Val::FuncRef(Some(r)) if r.owner != owner => Err(ValueError::ForeignReference),
            Val::ExnRef(Some(r)) if r.owner != owner => Err(ValueError::ForeignReference),
            _ => Ok(self.to_raw_unchecked()),
        }
    }

    /// Encodes a value known to come from the store it goes to (instantiation's constant
    /// expressions).
    pub(crate) fn to_raw_unchecked(self) -> u128 {
        match self {
            Val::I32(v) => v as u32 as u128,
            Val::I64(v) => v as u64 as u128,
            Val::F32(v) => v as u128,
            Val::F64(v) => v as u128,
            Val::V128(v) => v,
            Val::FuncRef(r) => r.map_or(0, |r| r.record) as u128,
            Val::ExternRef(r) => raw_externref(r) as u128,
            Val::ExnRef(r) => r.map_or(0, |r| r.record) as u128,
        }
    }

    /// Encodes the value for a place of type `ty` (canonical: see `HeapType::Concrete`) in the
    /// store tagged `owner`: the value must be of that type or a subtype, so a null cannot go
    /// where none is allowed, nor a function of another type into a typed reference.
    pub(crate) fn to_raw_checked(self, ty: ValType, owner: u64) -> Result<u128, ValueError> {
        // The store first: only then may a function record be read below.
        let raw = self.to_raw_in(owner)?;
        let fits = match (self, ty) {
            (Val::ExnRef(r), ValType::Ref(t)) if t.is_exn() => {
                (r.is_some() && t.heap == HeapType::Exn) || (r.is_none() && t.nullable)
            }
            (Val::FuncRef(r), ValType::Ref(t)) if !t.is_extern() && !t.is_exn() => {
                match (r, t.heap) {
                    (None, _) => t.nullable,
                    (Some(_), HeapType::Func) => true,
                    (Some(f), HeapType::Concrete(id)) => {
                        // SAFETY: a reference of this store (checked above) is the address of a
                        // funcref record the store keeps alive.
                        unsafe { (*(f.record as *const VMFuncRef)).type_id == id }
                    }
                    (Some(_), _) => false,
                }
            }
            (Val::ExternRef(r), ValType::Ref(t)) if t.is_extern() => {
                if r.is_none() {
                    t.nullable
                } else {
                    t.heap == HeapType::Extern
                }
            }
            (v, t) => v.ty() == t,
        };
        let null = matches!(
            self,
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None)
        );
        // A null of the right family where the type is not nullable.
        if !fits
            && null
            && matches!(ty, ValType::Ref(t) if !t.nullable && Val::default_for(ty) == self)
        {
            return Err(ValueError::Null { expected: ty });
        }
        if !fits {
            return Err(ValueError::Type {
                expected: ty,
                found: self.ty(),
            });
        }
        Ok(raw)
    }

    /// Decodes a slot of the store tagged `owner` holding a value of type `ty`.
    pub(crate) fn from_raw_in(raw: u128, ty: ValType, owner: u64) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as u64 as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw as u64),
            ValType::V128 => Val::V128(raw),
            // Only the low 8 bytes: a slot that held a wider value before keeps its upper bytes.
            ValType::Ref(r) if r.is_extern() => Val::ExternRef(externref_from_raw(raw as u64)),
            ValType::Ref(r) if r.is_exn() => Val::ExnRef((raw as u64 != 0).then_some(ExnRef {
                record: raw as u64 as usize,
                owner,
            })),
            ValType::Ref(_) => Val::FuncRef((raw as u64 != 0).then_some(FuncRef {
                record: raw as u64 as usize,
                owner,
            })),
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

/// Externrefs are stored as `value + 1` so that 0 can mean null.
pub(crate) fn raw_externref(r: Option<u64>) -> u64 {
    r.map_or(0, |v| v.wrapping_add(1))
}

pub(crate) fn externref_from_raw(raw: u64) -> Option<u64> {
    (raw != 0).then(|| raw.wrapping_sub(1))
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
            Val::ExternRef(Some(v)) => write!(f, "externref {v}"),
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
