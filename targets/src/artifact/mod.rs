//! The artifact format: what a sowa `.so` contains besides machine code.
//!
//! The ELF file exports two dynamic symbols: [`TEXT_SYMBOL`] (the start of the code) and
//! [`MANIFEST_SYMBOL`], which names this layout:
//!
//! ```text
//! ManifestHeader   magic, version, target, lengths, checksum, table directory  (HEADER_SIZE bytes)
//! core             postcard-encoded ModuleInfo: types, imports, exports, memories, tables,
//!                  globals, element segments, segments applied at instantiation
//! tables           fixed-size little-endian records, read in place ([`tables`]):
//!                  function types, function spans, trap sites, names, data segments, ...
//! ```
//!
//! Loading costs the same for a 60 MB module as for hello: the header and the core (bounded by
//! what the module declares, not by its code size) are checked against the checksum and decoded;
//! the tables, whose size grows with the code, are never decoded or checksummed at load. They are
//! read where they lie, every read bounds-checked, when something needs one entry: the signal
//! handler a trap site, a trap report a function name, `memory.init` a data segment. A damaged
//! table therefore misnames a trap or fails that one operation; full-file integrity is the job
//! of a signature, not of every load. Code offsets are relative to the text start. Data segment
//! bytes live in a page-aligned, non-loaded section located by the header's `data_offset`.

mod header;
mod manifest;
pub mod signature;
pub mod summary;
pub mod tables;

pub use header::{ManifestHeader, TableDir, HEADER_SIZE};
pub use manifest::*;
pub use tables::{DataRecord, TableId, Tables};

/// Version of the layout of [`ManifestHeader`], [`ModuleInfo`] and the tables, and of what the
/// compiled code expects of the runtime (vmctx layout, checks it makes); bumped on any change.
/// 4: multi-value results returned the way Cranelift returns them; the text offset in the
/// header. 5: no epoch checks in the code (a signal stops a guest); the address map. 6: the
/// compiler and its options recorded ([`CompiledBy`]). 7: memories' page sizes; bounds checks
/// in the code for memories of custom page sizes. 8: typed references ([`crate::RefType`] with
/// nullability and concrete types). 9: tags, the handler table, tag slots in the context.
/// 10: each memory's base address copied into the context beside its record pointer.
/// 11: GC: structure and array types, recursion groups, supertypes ([`crate::gc`]).
pub const FORMAT_VERSION: u32 = 11;
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
