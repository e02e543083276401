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

/// A WebAssembly reference type (nullable references of the reference-types proposal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RefType {
    /// `funcref`
    Func,
    /// `externref`
    Extern,
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

impl std::fmt::Display for RefType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RefType::Func => "funcref",
            RefType::Extern => "externref",
        })
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

/// As the text format writes it: `1 10 funcref`.
impl std::fmt::Display for TableType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
            params: vec![ValType::I32, ValType::Ref(RefType::Extern)],
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
        let t = TableType {
            elem: RefType::Func,
            min: 3,
            max: None,
        };
        assert_eq!(t.to_string(), "3 funcref");
        let g = GlobalType {
            ty: ValType::I64,
            mutable: true,
        };
        assert_eq!(g.to_string(), "(mut i64)");
    }
}
