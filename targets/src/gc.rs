//! Garbage collection's vocabulary: the types a module defines (functions, structures, arrays,
//! in recursion groups, with declared supertypes), how an internal reference is encoded in a
//! 64-bit value, and the layout of a heap object, which compiled code reads and writes in place
//! and the runtime allocates and traces.
//!
//! ```text
//! reference (64 bits)   0            null
//!                       ...xxxx1     i31: the value in bits 1..32, bit 0 set
//!                       ...xxx0000   the address of an object, 16-byte aligned
//!
//! object   +0   u32  canonical type id ([`object::HOST_TYPE_ID`] for a host reference's box)
//!          +4   u32  the collector's bits
//!          +8        struct: the fields, in order, each aligned to its size
//!          +8   u32  array: the length
//!          +16       array: the elements, each aligned to its size
//!          +8   u64  host box: the host's value
//! ```
//!
//! Host references (`externref`) are boxes in the same heap, so `any.convert_extern` and
//! `extern.convert_any` change nothing at run time: one encoding serves both hierarchies.

use crate::types::{CompositeKind, FuncType, HeapType, TypeSpace, ValType};
use serde::{Deserialize, Serialize};

/// How a field or an array element is stored: a value type, or a packed integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum StorageType {
    /// A packed 8-bit integer, read as an i32 with `_s` or `_u`.
    I8,
    /// A packed 16-bit integer.
    I16,
    /// A value of this type.
    Val(ValType),
}

impl StorageType {
    /// Bytes the field takes in an object (and its alignment there).
    pub fn byte_size(self) -> u32 {
        match self {
            StorageType::I8 => 1,
            StorageType::I16 => 2,
            StorageType::Val(t) => t.byte_size(),
        }
    }

    /// The type its values have on the operand stack.
    pub fn unpacked(self) -> ValType {
        match self {
            StorageType::I8 | StorageType::I16 => ValType::I32,
            StorageType::Val(t) => t,
        }
    }
}

/// A structure's field or an array's element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FieldType {
    /// How it is stored.
    pub storage: StorageType,
    /// Whether `struct.set` / `array.set` may change it.
    pub mutable: bool,
}

/// What a defined type describes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CompositeType {
    /// A function signature.
    Func(FuncType),
    /// A structure with these fields.
    Struct(Vec<FieldType>),
    /// An array of this element type.
    Array(FieldType),
}

/// One entry of the type section: a composite type, whether it may have subtypes, and the
/// supertype it declares (a type index: in a module, the module's; in the runtime, canonical).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SubType {
    /// False when declared with `sub` without `final`: other types may name it as supertype.
    pub is_final: bool,
    /// The declared supertype.
    pub supertype: Option<u32>,
    /// The type itself.
    pub composite: CompositeType,
}

impl SubType {
    /// A final function type with no supertype: every type before GC.
    pub fn func(ty: FuncType) -> SubType {
        SubType {
            is_final: true,
            supertype: None,
            composite: CompositeType::Func(ty),
        }
    }

    /// Its signature, if it is a function type.
    pub fn as_func(&self) -> Option<&FuncType> {
        match &self.composite {
            CompositeType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> CompositeKind {
        match self.composite {
            CompositeType::Func(_) => CompositeKind::Func,
            CompositeType::Struct(_) => CompositeKind::Struct,
            CompositeType::Array(_) => CompositeKind::Array,
        }
    }

    /// This type with every type index it holds (supertype, concrete references) renumbered.
    pub fn map_concrete(&self, map: impl Fn(u32) -> u32) -> SubType {
        let field = |f: &FieldType| FieldType {
            storage: match f.storage {
                StorageType::Val(t) => StorageType::Val(t.map_concrete(&map)),
                s => s,
            },
            mutable: f.mutable,
        };
        SubType {
            is_final: self.is_final,
            supertype: self.supertype.map(&map),
            composite: match &self.composite {
                CompositeType::Func(f) => CompositeType::Func(f.map_concrete(&map)),
                CompositeType::Struct(fs) => CompositeType::Struct(fs.iter().map(field).collect()),
                CompositeType::Array(f) => CompositeType::Array(field(f)),
            },
        }
    }

    /// Every type index it holds: its supertype and the concrete types it refers to.
    pub fn type_refs(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self.supertype.into_iter().collect();
        let mut val = |t: &ValType| {
            if let ValType::Ref(crate::RefType {
                heap: crate::HeapType::Concrete(i),
                ..
            }) = t
            {
                out.push(*i)
            }
        };
        match &self.composite {
            CompositeType::Func(f) => f.params.iter().chain(&f.results).for_each(val),
            CompositeType::Struct(fs) => fs.iter().for_each(|f| {
                if let StorageType::Val(t) = &f.storage {
                    val(t)
                }
            }),
            CompositeType::Array(f) => {
                if let StorageType::Val(t) = &f.storage {
                    val(t)
                }
            }
        }
        out
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let storage = match self.storage {
            StorageType::I8 => "i8".to_string(),
            StorageType::I16 => "i16".to_string(),
            StorageType::Val(t) => t.to_string(),
        };
        if self.mutable {
            write!(f, "(mut {storage})")
        } else {
            f.write_str(&storage)
        }
    }
}

/// A function type as [`FuncType`] prints (`(param i32) (result i64)`), a structure or an
/// array as the text format writes it (`(struct (field i32 (mut i8)))`), with `(sub N ...)`
/// around it when it declares a supertype.
impl std::fmt::Display for SubType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = match &self.composite {
            CompositeType::Func(t) => t.to_string(),
            CompositeType::Struct(fs) if fs.is_empty() => "(struct)".to_string(),
            CompositeType::Struct(fs) => {
                let list: Vec<String> = fs.iter().map(|x| x.to_string()).collect();
                format!("(struct (field {}))", list.join(" "))
            }
            CompositeType::Array(e) => format!("(array {e})"),
        };
        match self.supertype {
            Some(s) => write!(f, "(sub {s} {inner})"),
            None => f.write_str(&inner),
        }
    }
}

/// A module's types as a [`TypeSpace`]: kinds from the composite types, subtyping along the
/// declared supertypes (the validator has checked that they form chains to earlier types).
impl TypeSpace for [SubType] {
    fn kind(&self, id: u32) -> CompositeKind {
        self.get(id as usize)
            .map_or(CompositeKind::Func, SubType::kind)
    }
    fn is_sub(&self, a: u32, b: u32) -> bool {
        let mut t = Some(a);
        // Each step goes to an earlier type, so this ends.
        while let Some(i) = t {
            if i == b {
                return true;
            }
            t = self
                .get(i as usize)
                .and_then(|s| s.supertype)
                .filter(|s| *s < i);
        }
        false
    }
}

/// The offsets and size of a structure's fields in its objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// Offset of each field from the object's start.
    pub offsets: Vec<u32>,
    /// Bytes of an object, header included.
    pub size: u32,
}

/// Where each field of a structure with `fields` sits: in order after the header, each aligned
/// to its size (so no field straddles a cache line it need not).
pub fn struct_layout(fields: &[FieldType]) -> StructLayout {
    let mut at = object::STRUCT_FIELDS;
    let offsets = fields
        .iter()
        .map(|f| {
            let size = f.storage.byte_size();
            at = at.next_multiple_of(size);
            let o = at;
            at += size;
            o
        })
        .collect();
    StructLayout {
        offsets,
        size: at.next_multiple_of(object::ALIGN),
    }
}

/// Bytes of an array object of `len` elements of `elem` (header included), if it fits a `u64`
/// rounded to the object alignment.
pub fn array_size(elem: FieldType, len: u32) -> u64 {
    (object::ARRAY_ELEMS as u64 + len as u64 * elem.storage.byte_size() as u64)
        .next_multiple_of(object::ALIGN as u64)
}

/// Set in a heap type code that names a concrete type (by module type index).
pub const CONCRETE_CODE: u32 = 1 << 31;

const ABSTRACT: [HeapType; 12] = [
    HeapType::Func,
    HeapType::Extern,
    HeapType::NoFunc,
    HeapType::NoExtern,
    HeapType::Exn,
    HeapType::NoExn,
    HeapType::Any,
    HeapType::Eq,
    HeapType::I31,
    HeapType::Struct,
    HeapType::Array,
    HeapType::None,
];

/// A heap type as one `u32` for a runtime call: an abstract one's place in a fixed list, a
/// concrete one's index with [`CONCRETE_CODE`] set.
pub fn heap_code(h: HeapType) -> u32 {
    match h {
        HeapType::Concrete(i) => CONCRETE_CODE | i,
        h => ABSTRACT.iter().position(|a| *a == h).unwrap_or(0) as u32,
    }
}

/// The heap type of a [`heap_code`], if it is one.
pub fn heap_from_code(code: u32) -> Option<HeapType> {
    if code & CONCRETE_CODE != 0 {
        Some(HeapType::Concrete(code & !CONCRETE_CODE))
    } else {
        ABSTRACT.get(code as usize).copied()
    }
}

/// Offsets inside a heap object (see the module's diagram).
pub mod object {
    /// The canonical type id (`u32`).
    pub const TYPE_ID: u32 = 0;
    /// The collector's bits (`u32`).
    pub const GC_BITS: u32 = 4;
    /// A structure's first field.
    pub const STRUCT_FIELDS: u32 = 8;
    /// An array's length (`u32`).
    pub const ARRAY_LEN: u32 = 8;
    /// An array's first element.
    pub const ARRAY_ELEMS: u32 = 16;
    /// A host box's value (`u64`).
    pub const HOST_VALUE: u32 = 8;
    /// The type id of a host box: no canonical id is this large.
    pub const HOST_TYPE_ID: u32 = u32::MAX;
    /// Every object's address and size are multiples of this.
    pub const ALIGN: u32 = 16;
}

/// The i31 encoding: `value << 1 | 1`, so bit 0 tells an i31 from an object's address.
pub mod i31 {
    /// The reference for `value` (its low 31 bits).
    pub fn encode(value: i32) -> u64 {
        ((value as u32 as u64 & 0x7fff_ffff) << 1) | 1
    }
    /// Whether a non-null reference is an i31.
    pub fn is_i31(raw: u64) -> bool {
        raw & 1 == 1
    }
    /// Its value sign-extended (`i31.get_s`).
    pub fn get_s(raw: u64) -> i32 {
        (raw as u32 as i32) >> 1
    }
    /// Its value zero-extended (`i31.get_u`).
    pub fn get_u(raw: u64) -> i32 {
        ((raw as u32) >> 1) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RefType;

    fn field(storage: StorageType) -> FieldType {
        FieldType {
            storage,
            mutable: true,
        }
    }

    #[test]
    fn fields_are_aligned_to_their_size_after_the_header() {
        let l = struct_layout(&[
            field(StorageType::I8),
            field(StorageType::Val(ValType::I64)),
            field(StorageType::I16),
            field(StorageType::Val(ValType::V128)),
        ]);
        assert_eq!(l.offsets, [8, 16, 24, 32]);
        assert_eq!(l.size, 48);
        assert_eq!(struct_layout(&[]).size, 16);
        assert_eq!(array_size(field(StorageType::I8), 3), 32);
        assert_eq!(array_size(field(StorageType::I8), 0), 16);
        assert_eq!(
            array_size(field(StorageType::Val(ValType::F64)), u32::MAX),
            8 * (1u64 << 32) + 16
        );
    }

    #[test]
    fn heap_codes_round_trip() {
        for h in ABSTRACT
            .iter()
            .copied()
            .chain([HeapType::Concrete(0), HeapType::Concrete(77)])
        {
            assert_eq!(heap_from_code(heap_code(h)), Some(h));
        }
        assert_eq!(heap_from_code(12), None);
    }

    #[test]
    fn i31_round_trips_and_is_never_an_address() {
        for v in [0, 1, -1, 0x3fff_ffff, -0x4000_0000, i32::MAX, i32::MIN] {
            let r = i31::encode(v);
            assert!(i31::is_i31(r) && r != 0);
            assert_eq!(i31::get_s(r), (v << 1) >> 1);
            assert_eq!(i31::get_u(r), ((v as u32) << 1 >> 1) as i32);
        }
    }

    #[test]
    fn subtyping_follows_declared_supertypes_and_the_abstract_hierarchy() {
        let s = |sup: Option<u32>, composite| SubType {
            is_final: false,
            supertype: sup,
            composite,
        };
        let types = [
            s(Option::None, CompositeType::Struct(vec![])),
            s(Some(0), CompositeType::Struct(vec![field(StorageType::I8)])),
            s(Option::None, CompositeType::Array(field(StorageType::I8))),
            s(Option::None, CompositeType::Func(FuncType::default())),
        ];
        let t: &[SubType] = &types;
        use HeapType::*;
        assert!(Concrete(1).is_subtype_of(Concrete(0), t));
        assert!(!Concrete(0).is_subtype_of(Concrete(1), t));
        assert!(Concrete(1).is_subtype_of(Struct, t) && Concrete(1).is_subtype_of(Any, t));
        assert!(Concrete(2).is_subtype_of(Eq, t) && !Concrete(2).is_subtype_of(Struct, t));
        assert!(Concrete(3).is_subtype_of(Func, t) && !Concrete(3).is_subtype_of(Any, t));
        assert!(None.is_subtype_of(Concrete(2), t) && !None.is_subtype_of(Concrete(3), t));
        assert!(NoFunc.is_subtype_of(Concrete(3), t) && !NoFunc.is_subtype_of(Concrete(0), t));
        assert!(I31.is_subtype_of(Eq, t) && !I31.is_subtype_of(Struct, t));
        assert!(!Extern.is_subtype_of(Any, t) && !Any.is_subtype_of(Eq, t));
        assert_eq!(Concrete(2).bottom(t), None);
        assert_eq!(Concrete(3).top(t), Func);
        let r = RefType {
            nullable: false,
            heap: Concrete(1),
        };
        assert!(r.is_any(t) && !r.is_func(t));
    }
}
