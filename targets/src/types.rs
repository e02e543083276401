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
