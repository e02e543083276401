//! The artifact format: what a sowa `.so` contains besides machine code.
//!
//! The ELF file exports two dynamic symbols: [`TEXT_SYMBOL`] (the start of the code) and
//! [`MANIFEST_SYMBOL`] (a [`ManifestHeader`] followed by a postcard-encoded [`Manifest`]). The
//! fixed-size header can be checked (magic, format version, target) before anything variable is
//! decoded, and carries a SHA-256 digest of itself and the manifest, so that a damaged or
//! tampered manifest is refused rather than obeyed. Code offsets in the manifest are relative to the text start. Data segment bytes live in
//! a page-aligned, non-loaded section located by the header's `data_offset` (a file offset).

use crate::trapcode::TrapKind;
use crate::types::{FuncType, GlobalType, MemoryType, RefType, TableType};
use serde::{Deserialize, Serialize};

/// Version of the layout of [`ManifestHeader`] and [`Manifest`]; bumped on any change.
pub const FORMAT_VERSION: u32 = 2;
/// Magic bytes that open the manifest header.
pub const MAGIC: [u8; 8] = *b"SOWAMOD\0";
/// Dynamic symbol naming the manifest.
pub const MANIFEST_SYMBOL: &str = "sowa_manifest";
/// Dynamic symbol naming the start of the text.
pub const TEXT_SYMBOL: &str = "sowa_text";
/// Section holding data segment bytes.
pub const DATA_SECTION: &str = ".sowa.data";
/// Section holding the manifest.
pub const MANIFEST_SECTION: &str = ".sowa.manifest";

/// Fixed-size prefix of the manifest, read before decoding the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManifestHeader {
    /// Must equal [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The [`Arch`] the code is for, as its `u32` value.
    pub arch: u32,
    /// Length in bytes of the encoded [`Manifest`] that follows.
    pub manifest_len: u64,
    /// File offset of the data segment bytes.
    pub data_offset: u64,
    /// Length of the data segment bytes.
    pub data_len: u64,
    /// Length of the text in bytes.
    pub text_len: u64,
    /// SHA-256 of the header's other fields and the encoded manifest ([`ManifestHeader::digest`]).
    pub digest: [u8; 32],
}

/// Why an artifact's header or manifest was refused.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Not a sowa manifest at all.
    #[error("not a sowa module (bad manifest magic)")]
    BadMagic,
    /// Made by another version of sowac.
    #[error("artifact format version {found}, this runtime reads version {expected}: recompile with a matching sowac")]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Shorter than its own header says.
    #[error("manifest truncated: {0}")]
    Truncated(&'static str),
    /// The encoded manifest does not decode.
    #[error("manifest corrupt: {0}")]
    Corrupt(String),
}

impl ManifestHeader {
    /// Encoded size of the header.
    pub const SIZE: usize = 80;

    /// The digest of the header fields before `digest` and of the encoded manifest.
    pub fn compute_digest(&self, manifest: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        let bytes = self.to_bytes();
        let mut h = sha2::Sha256::new();
        h.update(&bytes[..48]);
        h.update(manifest);
        h.finalize().into()
    }

    /// Whether the digest matches the header and `manifest`.
    pub fn verify(&self, manifest: &[u8]) -> bool {
        self.compute_digest(manifest) == self.digest
    }

    /// Encodes the header.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&self.format_version.to_le_bytes());
        b[12..16].copy_from_slice(&self.arch.to_le_bytes());
        b[16..24].copy_from_slice(&self.manifest_len.to_le_bytes());
        b[24..32].copy_from_slice(&self.data_offset.to_le_bytes());
        b[32..40].copy_from_slice(&self.data_len.to_le_bytes());
        b[40..48].copy_from_slice(&self.text_len.to_le_bytes());
        b[48..80].copy_from_slice(&self.digest);
        b
    }

    /// Decodes and checks magic and version; the target is checked by the caller, who knows it.
    pub fn from_bytes(b: &[u8]) -> Result<ManifestHeader, FormatError> {
        if b.len() < Self::SIZE {
            return Err(FormatError::Truncated("header"));
        }
        if b[0..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let format_version = u32_at(8);
        if format_version != FORMAT_VERSION {
            return Err(FormatError::Version {
                found: format_version,
                expected: FORMAT_VERSION,
            });
        }
        Ok(ManifestHeader {
            format_version,
            arch: u32_at(12),
            manifest_len: u64_at(16),
            data_offset: u64_at(24),
            data_len: u64_at(32),
            text_len: u64_at(40),
            digest: b[48..80].try_into().unwrap(),
        })
    }
}

/// Everything about a compiled module except its code and data bytes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// SHA-256 of the `.wasm` the artifact was compiled from.
    pub wasm_sha256: [u8; 32],
    /// CPU features the code requires beyond the baseline (e.g. `avx2`).
    pub cpu_features: Vec<String>,
    /// The type section.
    pub types: Vec<FuncType>,
    /// Imports, in index order within each kind.
    pub imports: Vec<Import>,
    /// Type index of every function, imported first.
    pub func_types: Vec<u32>,
    /// Code of each defined function.
    pub functions: Vec<FunctionCode>,
    /// Function names (from the name section) by function index.
    pub func_names: Vec<(u32, String)>,
    /// Host-to-wasm entry trampolines, by module type index.
    pub entry_trampolines: Vec<(u32, Span)>,
    /// Wasm-to-host bridges, by module type index.
    pub host_bridges: Vec<(u32, Span)>,
    /// Defined memories.
    pub memories: Vec<MemoryType>,
    /// Defined tables, with their initial value.
    pub tables: Vec<TableDef>,
    /// Defined globals.
    pub globals: Vec<GlobalDef>,
    /// Exports.
    pub exports: Vec<Export>,
    /// Start function index.
    pub start: Option<u32>,
    /// Element segments.
    pub elements: Vec<ElementSegment>,
    /// Data segments.
    pub data: Vec<DataSegment>,
    /// Every instruction that may trap, sorted by code offset.
    pub trap_sites: Vec<TrapSite>,
    /// The initial contents of memory 0, ready to map, when every active data segment allows.
    pub memory_image: Option<MemoryImage>,
}

impl Manifest {
    /// Encodes the manifest (without its header).
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("manifest encoding cannot fail")
    }

    /// Decodes a manifest.
    pub fn decode(bytes: &[u8]) -> Result<Manifest, FormatError> {
        postcard::from_bytes(bytes).map_err(|e| FormatError::Corrupt(e.to_string()))
    }

    /// Number of imported functions.
    pub fn num_imported_funcs(&self) -> u32 {
        self.count_imports(|k| matches!(k, ImportKind::Func(_)))
    }
    /// Number of imported memories.
    pub fn num_imported_memories(&self) -> u32 {
        self.count_imports(|k| matches!(k, ImportKind::Memory(_)))
    }
    /// Number of imported tables.
    pub fn num_imported_tables(&self) -> u32 {
        self.count_imports(|k| matches!(k, ImportKind::Table(_)))
    }
    /// Number of imported globals.
    pub fn num_imported_globals(&self) -> u32 {
        self.count_imports(|k| matches!(k, ImportKind::Global(_)))
    }
    fn count_imports(&self, f: impl Fn(&ImportKind) -> bool) -> u32 {
        self.imports.iter().filter(|i| f(&i.kind)).count() as u32
    }

    /// The counts that fix this module's vmctx layout.
    pub fn vm_counts(&self) -> crate::vmctx::VMCounts {
        let im = self.num_imported_memories();
        let it = self.num_imported_tables();
        let ig = self.num_imported_globals();
        crate::vmctx::VMCounts {
            types: self.types.len() as u32,
            functions: self.func_types.len() as u32,
            memories: im + self.memories.len() as u32,
            imported_memories: im,
            tables: it + self.tables.len() as u32,
            imported_tables: it,
            globals: ig + self.globals.len() as u32,
            imported_globals: ig,
        }
    }

    /// Name of function `index` for reports: the name section's, else `func[index]`.
    pub fn func_name(&self, index: u32) -> String {
        match self.func_names.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(i) => self.func_names[i].1.clone(),
            Err(_) => format!("func[{index}]"),
        }
    }

    /// The trap site at text offset `offset`, if any.
    pub fn trap_site(&self, offset: u32) -> Option<&TrapSite> {
        self.trap_sites
            .binary_search_by_key(&offset, |t| t.code_offset)
            .ok()
            .map(|i| &self.trap_sites[i])
    }

    /// The defined function whose code contains text offset `offset`, as a function index.
    pub fn func_at(&self, offset: u32) -> Option<u32> {
        let i = self
            .functions
            .partition_point(|f| f.body.offset <= offset)
            .checked_sub(1)?;
        let f = &self.functions[i];
        (offset < f.body.offset + f.body.len).then(|| self.num_imported_funcs() + i as u32)
    }
}

/// A range of the text section.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Offset from the text start.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

/// A defined function's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCode {
    /// Where its code is.
    pub body: Span,
}

/// An import.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// What is imported.
    pub kind: ImportKind,
}

/// What an import brings in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ImportKind {
    /// A function of this module type index.
    Func(u32),
    /// A memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
    /// A global.
    Global(GlobalType),
}

/// An export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// Kind of the exported item.
    pub kind: ExternKind,
    /// Index in the kind's index space.
    pub index: u32,
}

/// The four kinds of importable and exportable items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExternKind {
    /// Function.
    Func,
    /// Table.
    Table,
    /// Memory.
    Memory,
    /// Global.
    Global,
}

/// A defined table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    /// Its type.
    pub ty: TableType,
    /// Initial value of every element (null when absent).
    pub init: Option<ConstExpr>,
}

/// A defined global.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalDef {
    /// Its type.
    pub ty: GlobalType,
    /// Initializer.
    pub init: ConstExpr,
}

/// A constant expression, evaluated at instantiation with a small stack machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstExpr(pub Vec<ConstOp>);

/// One operator of a constant expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstOp {
    /// Push an i32.
    I32Const(i32),
    /// Push an i64.
    I64Const(i64),
    /// Push an f32 by its bits.
    F32Const(u32),
    /// Push an f64 by its bits.
    F64Const(u64),
    /// Push a v128.
    V128Const(u128),
    /// Push a null reference.
    RefNull(RefType),
    /// Push a reference to function `index`.
    RefFunc(u32),
    /// Push the value of global `index`.
    GlobalGet(u32),
    /// i32 addition (extended-const).
    I32Add,
    /// i32 subtraction.
    I32Sub,
    /// i32 multiplication.
    I32Mul,
    /// i64 addition.
    I64Add,
    /// i64 subtraction.
    I64Sub,
    /// i64 multiplication.
    I64Mul,
}

/// An element segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElementSegment {
    /// When it is applied.
    pub mode: SegmentMode,
    /// Element type.
    pub ty: RefType,
    /// One expression per element.
    pub items: Vec<ConstExpr>,
}

/// The pages of memory 0 that its active data segments initialise, laid out in the data section
/// exactly as they must appear in memory, so that instantiation maps them copy-on-write from
/// the file instead of copying segments. Present only when memory 0 is defined (not imported),
/// 32-bit and unshared, and every active segment for it has a constant offset and fits within
/// its initial size (so applying segments could not trap); the runtime then skips those
/// segments. `offset`, `data_offset` and `len` are multiples of the target's largest page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryImage {
    /// Where the image starts in linear memory, in bytes.
    pub offset: u64,
    /// Where it starts within the data section.
    pub data_offset: u64,
    /// Its length in bytes.
    pub len: u64,
}

/// A data segment; its bytes are at `offset..offset+len` of the data section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSegment {
    /// When it is applied.
    pub mode: SegmentMode,
    /// Offset of its bytes within the data section (page-aligned).
    pub offset: u64,
    /// Length of its bytes.
    pub len: u64,
}

/// Whether a segment is applied at instantiation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SegmentMode {
    /// Applied to table or memory `index` at `offset` during instantiation.
    Active {
        /// Table or memory index.
        index: u32,
        /// Where in it.
        offset: ConstExpr,
    },
    /// Used by `table.init` / `memory.init`.
    Passive,
    /// Declares functions for `ref.func`; dropped at once.
    Declared,
}

/// An instruction that may trap, and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrapSite {
    /// Offset of the instruction from the text start.
    pub code_offset: u32,
    /// What the trap means.
    pub kind: TrapKind,
    /// Byte offset of the originating instruction in the `.wasm` file.
    pub wasm_offset: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_checks() {
        let h = ManifestHeader {
            format_version: FORMAT_VERSION,
            arch: crate::Arch::X86_64 as u32,
            manifest_len: 10,
            data_offset: 4096,
            data_len: 3,
            text_len: 64,
            digest: [7; 32],
        };
        let b = h.to_bytes();
        assert_eq!(ManifestHeader::from_bytes(&b).unwrap(), h);
        let mut bad = b;
        bad[8] = 99;
        assert!(matches!(
            ManifestHeader::from_bytes(&bad),
            Err(FormatError::Version { found: 99, .. })
        ));
        bad = b;
        bad[0] = b'X';
        assert!(matches!(
            ManifestHeader::from_bytes(&bad),
            Err(FormatError::BadMagic)
        ));
        assert!(ManifestHeader::from_bytes(&b[..20]).is_err());
    }
}
