//! WebAssembly types as the artifact records them, independent of any parser crate.

use serde::{Deserialize, Serialize};

/// A WebAssembly value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit vector.
    V128,
    /// A reference.
    Ref(RefType),
}

/// The kind of object a reference points to.
///
/// In a module's artifact, `Concrete` holds an index into the module's type section; in the
/// types the runtime gives out (a [`FuncType`] of a function, a table's element type) it holds
/// the process-wide canonical id of that type, so that types of different modules compare as
/// the specification says: structurally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// Any host reference (`extern`).
    Extern,
    /// No function: only null has this type (`nofunc`).
    NoFunc,
    /// No host reference: only null has this type (`noextern`).
    NoExtern,
    /// A function of one defined type (typed function references).
    Concrete(u32),
    /// Any exception (`exn`).
    Exn,
    /// No exception: only null has this type (`noexn`).
    NoExn,
    /// Any internal reference (`any`, GC): objects, i31s and internalized host references.
    Any,
    /// References that `ref.eq` compares (`eq`): objects and i31s.
    Eq,
    /// Unboxed 31-bit integers (`i31`).
    I31,
    /// Any structure (`struct`).
    Struct,
    /// Any array (`array`).
    Array,
    /// No internal reference: only null has this type (`none`).
    None,
}

/// What kind of type a concrete (defined) type is: what subtyping needs to place it under an
/// abstract heap type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompositeKind {
    /// A function type.
    Func,
    /// A structure type.
    Struct,
    /// An array type.
    Array,
}

/// What reference subtyping needs to know of concrete types: a type index space (a module's,
/// or the runtime's canonical ids) with each type's kind and its declared supertypes.
pub trait TypeSpace {
    /// The kind of concrete type `id` (`Func` for an id the space does not know).
    fn kind(&self, id: u32) -> CompositeKind;
    /// Whether concrete type `a` is `b` or declares it among its supertypes.
    fn is_sub(&self, a: u32, b: u32) -> bool;
}

/// A space where every concrete type is a final function type: subtyping is equality.
pub struct FuncTypesOnly;

impl TypeSpace for FuncTypesOnly {
    fn kind(&self, _: u32) -> CompositeKind {
        CompositeKind::Func
    }
    fn is_sub(&self, a: u32, b: u32) -> bool {
        a == b
    }
}

impl HeapType {
    /// The top of this type's hierarchy: `func`, `extern`, `exn` or `any`.
    pub fn top(self, space: &(impl TypeSpace + ?Sized)) -> HeapType {
        use HeapType::*;
        match self {
            Func | NoFunc => Func,
            Extern | NoExtern => Extern,
            Exn | NoExn => Exn,
            Any | Eq | I31 | Struct | Array | None => Any,
            Concrete(i) => match space.kind(i) {
                CompositeKind::Func => Func,
                _ => Any,
            },
        }
    }

    /// The bottom of this type's hierarchy: the type only null has.
    pub fn bottom(self, space: &(impl TypeSpace + ?Sized)) -> HeapType {
        match self.top(space) {
            HeapType::Func => HeapType::NoFunc,
            HeapType::Extern => HeapType::NoExtern,
            HeapType::Exn => HeapType::NoExn,
            _ => HeapType::None,
        }
    }

    /// Whether every value of `self` is a value of `other`.
    pub fn is_subtype_of(self, other: HeapType, space: &(impl TypeSpace + ?Sized)) -> bool {
        use HeapType::*;
        match (self, other) {
            (Concrete(a), Concrete(b)) => space.is_sub(a, b),
            (a, b) if a == b => true,
            (Concrete(a), abs) => matches!(
                (space.kind(a), abs),
                (CompositeKind::Func, Func)
                    | (CompositeKind::Struct, Struct | Eq | Any)
                    | (CompositeKind::Array, Array | Eq | Any)
            ),
            (NoFunc, Concrete(b)) => space.kind(b) == CompositeKind::Func,
            (None, Concrete(b)) => space.kind(b) != CompositeKind::Func,
            (NoFunc, Func) | (NoExtern, Extern) | (NoExn, Exn) => true,
            (I31 | Struct | Array, Eq | Any) | (Eq, Any) => true,
            (None, Any | Eq | I31 | Struct | Array) => true,
            _ => false,
        }
    }
}

/// A WebAssembly reference type: a heap type and whether null is among its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RefType {
    /// Whether the reference may be null.
    pub nullable: bool,
    /// What it points to.
    pub heap: HeapType,
}

impl RefType {
    /// `funcref`, that is `(ref null func)`.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    /// `externref`, that is `(ref null extern)`.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Extern,
    };

    /// Whether values of this type are host references (`extern` and `noextern`).
    pub fn is_extern(self) -> bool {
        matches!(self.heap, HeapType::Extern | HeapType::NoExtern)
    }

    /// Whether values of this type are function references, given the space that says what
    /// concrete types are.
    pub fn is_func(self, space: &(impl TypeSpace + ?Sized)) -> bool {
        self.heap.top(space) == HeapType::Func
    }

    /// Whether values of this type are internal references (`any` and below: GC objects,
    /// i31s), represented as host references are (the two convert into each other freely).
    pub fn is_any(self, space: &(impl TypeSpace + ?Sized)) -> bool {
        self.heap.top(space) == HeapType::Any
    }

    /// Whether values of this type are references to objects of the GC heap, which the
    /// collector must find: the `any` and `extern` hierarchies (functions and exceptions live
    /// elsewhere).
    pub fn is_gc_ref(self, space: &(impl TypeSpace + ?Sized)) -> bool {
        matches!(self.heap.top(space), HeapType::Any | HeapType::Extern)
    }

    /// Whether values of this type are exceptions (`exn` and `noexn`).
    pub fn is_exn(self) -> bool {
        matches!(self.heap, HeapType::Exn | HeapType::NoExn)
    }

    /// Whether every value of `self` is a value of `other`, concrete types being those of
    /// `space`.
    pub fn is_subtype_of(self, other: RefType, space: &(impl TypeSpace + ?Sized)) -> bool {
        (!self.nullable || other.nullable) && self.heap.is_subtype_of(other.heap, space)
    }

    /// This type with its concrete heap type (if any) renumbered by `map`.
    pub fn map_concrete(self, map: impl Fn(u32) -> u32) -> RefType {
        match self.heap {
            HeapType::Concrete(i) => RefType {
                heap: HeapType::Concrete(map(i)),
                ..self
            },
            _ => self,
        }
    }
}

impl ValType {
    /// Size in bytes of the value when stored in a global cell or a value slot.
    pub fn byte_size(self) -> u32 {
        match self {
            ValType::I32 | ValType::F32 => 4,
            ValType::I64 | ValType::F64 | ValType::Ref(_) => 8,
            ValType::V128 => 16,
        }
    }

    /// Whether every value of `self` is a value of `other` (see [`RefType::is_subtype_of`]).
    pub fn is_subtype_of(self, other: ValType, space: &(impl TypeSpace + ?Sized)) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => a.is_subtype_of(b, space),
            (a, b) => a == b,
        }
    }

    /// Whether values of this type are GC references (see [`RefType::is_gc_ref`]).
    pub fn is_gc_ref(self, space: &(impl TypeSpace + ?Sized)) -> bool {
        matches!(self, ValType::Ref(r) if r.is_gc_ref(space))
    }

    /// This type with its concrete heap type (if any) renumbered by `map`.
    pub fn map_concrete(self, map: impl Fn(u32) -> u32) -> ValType {
        match self {
            ValType::Ref(r) => ValType::Ref(r.map_concrete(map)),
            t => t,
        }
    }
}

impl FuncType {
    /// This type with the concrete heap types of its params and results renumbered by `map`.
    pub fn map_concrete(&self, map: impl Fn(u32) -> u32) -> FuncType {
        FuncType {
            params: self.params.iter().map(|t| t.map_concrete(&map)).collect(),
            results: self.results.iter().map(|t| t.map_concrete(&map)).collect(),
        }
    }

    /// Every concrete type its params and results name.
    pub fn concrete_refs(&self) -> impl Iterator<Item = u32> + '_ {
        self.params
            .iter()
            .chain(&self.results)
            .filter_map(|t| match t {
                ValType::Ref(RefType {
                    heap: HeapType::Concrete(i),
                    ..
                }) => Some(*i),
                _ => None,
            })
    }
}

/// A function signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

/// Limits and flags of a linear memory, in 64 KiB pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryType {
    /// Initial size in pages.
    pub min: u64,
    /// Maximum size in pages, if declared.
    pub max: Option<u64>,
    /// Whether the memory is shared between threads.
    pub shared: bool,
    /// Whether the memory uses 64-bit addresses.
    pub memory64: bool,
    /// Log2 of its page size in bytes: 16 (64 KiB, WebAssembly's) or, with the
    /// custom-page-sizes proposal, 0 (one byte).
    pub page_size_log2: u8,
}

impl MemoryType {
    /// A 32-bit, unshared memory of 64 KiB pages.
    pub fn new(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            min,
            max,
            shared: false,
            memory64: false,
            page_size_log2: DEFAULT_PAGE_SIZE_LOG2,
        }
    }

    /// Bytes per page.
    pub fn page_size(&self) -> u64 {
        1 << self.page_size_log2
    }

    /// The most pages its index space holds: 4 GiB of bytes for a 32-bit memory (one page
    /// fewer when pages are single bytes, so that a size in pages fits in an `i32`), 2^64
    /// bytes for a 64-bit one (likewise one page fewer for single bytes).
    pub fn max_pages_by_index(&self) -> u64 {
        if self.memory64 {
            (u64::MAX >> self.page_size_log2) + (self.page_size_log2 > 0) as u64
        } else {
            ((1u64 << 32) >> self.page_size_log2).min(u32::MAX as u64)
        }
    }
}

/// Limits and element type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableType {
    /// Element type.
    pub elem: RefType,
    /// Initial size in elements.
    pub min: u64,
    /// Maximum size in elements, if declared.
    pub max: Option<u64>,
    /// Whether the table is indexed with `i64` (memory64's 64-bit tables).
    pub table64: bool,
}

impl TableType {
    /// A 32-bit table of `elem` with these limits.
    pub fn new(elem: RefType, min: u64, max: Option<u64>) -> TableType {
        TableType {
            elem,
            min,
            max,
            table64: false,
        }
    }
}

/// Type and mutability of a global.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalType {
    /// Value type.
    pub ty: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// Size of a linear memory page.
pub const WASM_PAGE_SIZE: u64 = 65536;
/// Log2 of [`WASM_PAGE_SIZE`].
pub const DEFAULT_PAGE_SIZE_LOG2: u8 = 16;

/// The text format's spelling (`i32`, `funcref`), as `sowa inspect` and error messages print it.
impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) => r.fmt(f),
        }
    }
}

/// The short names where the text format has them (`funcref`, `nullexternref`), else
/// `(ref null func)` or `(ref 3)` (a concrete type by its number).
impl std::fmt::Display for RefType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let heap = match self.heap {
            HeapType::Func => "func".to_string(),
            HeapType::Extern => "extern".to_string(),
            HeapType::NoFunc => "nofunc".to_string(),
            HeapType::NoExtern => "noextern".to_string(),
            HeapType::Concrete(i) => i.to_string(),
            HeapType::Exn => "exn".to_string(),
            HeapType::NoExn => "noexn".to_string(),
            HeapType::Any => "any".to_string(),
            HeapType::Eq => "eq".to_string(),
            HeapType::I31 => "i31".to_string(),
            HeapType::Struct => "struct".to_string(),
            HeapType::Array => "array".to_string(),
            HeapType::None => "none".to_string(),
        };
        match (self.nullable, self.heap) {
            (true, HeapType::Concrete(_)) => write!(f, "(ref null {heap})"),
            (true, HeapType::NoFunc) => f.write_str("nullfuncref"),
            (true, HeapType::NoExtern) => f.write_str("nullexternref"),
            (true, HeapType::NoExn) => f.write_str("nullexnref"),
            (true, HeapType::None) => f.write_str("nullref"),
            (true, _) => write!(f, "{heap}ref"),
            (false, _) => write!(f, "(ref {heap})"),
        }
    }
}

/// As the text format writes a function type: `(param i32 i32) (result i64)`, or `()` for
/// one that takes and gives nothing.
impl std::fmt::Display for FuncType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[ValType]| {
            v.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut parts = Vec::new();
        if !self.params.is_empty() {
            parts.push(format!("(param {})", list(&self.params)));
        }
        if !self.results.is_empty() {
            parts.push(format!("(result {})", list(&self.results)));
        }
        if parts.is_empty() {
            f.write_str("()")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

fn limits(min: u64, max: Option<u64>) -> String {
    match max {
        Some(m) => format!("{min} {m}"),
        None => min.to_string(),
    }
}

/// As the text format writes it: `i64 1 16 shared` (index type when 64-bit, limits in pages).
impl std::fmt::Display for MemoryType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.memory64 {
            f.write_str("i64 ")?;
        }
        f.write_str(&limits(self.min, self.max))?;
        if self.shared {
            f.write_str(" shared")?;
        }
        if self.page_size_log2 != DEFAULT_PAGE_SIZE_LOG2 {
            write!(f, " (pagesize {})", self.page_size())?;
        }
        Ok(())
    }
}

/// As the text format writes it: `1 10 funcref` (`i64 1 10 funcref` when 64-bit).
impl std::fmt::Display for TableType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.table64 {
            f.write_str("i64 ")?;
        }
        write!(f, "{} {}", limits(self.min, self.max), self.elem)
    }
}

/// As the text format writes it: `i32` or `(mut i32)`.
impl std::fmt::Display for GlobalType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mutable {
            write!(f, "(mut {})", self.ty)
        } else {
            self.ty.fmt(f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_print_as_the_text_format_writes_them() {
        let f = FuncType {
            params: vec![ValType::I32, ValType::Ref(RefType::EXTERNREF)],
            results: vec![ValType::F64],
        };
        assert_eq!(f.to_string(), "(param i32 externref) (result f64)");
        assert_eq!(FuncType::default().to_string(), "()");
        let m = MemoryType {
            min: 1,
            max: Some(16),
            shared: true,
            memory64: true,
            page_size_log2: 16,
        };
        assert_eq!(m.to_string(), "i64 1 16 shared");
        let tiny = MemoryType {
            page_size_log2: 0,
            ..MemoryType::new(100, None)
        };
        assert_eq!(tiny.to_string(), "100 (pagesize 1)");
        assert_eq!(tiny.max_pages_by_index(), u32::MAX as u64);
        assert_eq!(MemoryType::new(1, None).max_pages_by_index(), 65536);
        let t = TableType::new(RefType::FUNCREF, 3, None);
        assert_eq!(t.to_string(), "3 funcref");
        let t64 = TableType {
            table64: true,
            ..TableType::new(RefType::EXTERNREF, 1, Some(2))
        };
        assert_eq!(t64.to_string(), "i64 1 2 externref");
        let g = GlobalType {
            ty: ValType::I64,
            mutable: true,
        };
        assert_eq!(g.to_string(), "(mut i64)");
        let typed = RefType {
            nullable: false,
            heap: HeapType::Concrete(3),
        };
        assert_eq!(typed.to_string(), "(ref 3)");
        assert_eq!(
            RefType {
                nullable: true,
                heap: HeapType::NoExtern
            }
            .to_string(),
            "nullexternref"
        );
    }

    #[test]
    fn reference_subtyping_follows_the_function_references_rules() {
        let r = |nullable, heap| RefType { nullable, heap };
        let eq = &FuncTypesOnly;
        use HeapType::*;
        // Non-null below nullable, never the other way.
        assert!(r(false, Func).is_subtype_of(RefType::FUNCREF, eq));
        assert!(!RefType::FUNCREF.is_subtype_of(r(false, Func), eq));
        // A typed function reference is a funcref; not the other way.
        assert!(r(false, Concrete(1)).is_subtype_of(RefType::FUNCREF, eq));
        assert!(!RefType::FUNCREF.is_subtype_of(r(true, Concrete(1)), eq));
        assert!(!r(true, Concrete(1)).is_subtype_of(r(true, Concrete(2)), eq));
        // The bottom types sit under their hierarchy only.
        assert!(r(true, NoFunc).is_subtype_of(r(true, Concrete(2)), eq));
        assert!(r(true, NoExtern).is_subtype_of(RefType::EXTERNREF, eq));
        assert!(!r(true, NoExtern).is_subtype_of(RefType::FUNCREF, eq));
        assert!(!RefType::EXTERNREF.is_subtype_of(RefType::FUNCREF, eq));
        assert!(r(true, Extern).is_extern() && !r(true, NoFunc).is_extern());
    }
}
