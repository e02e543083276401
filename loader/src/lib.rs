//! Maps a sowa artifact (an ELF shared object written by `sowac`) and checks it, without `dlopen`.
//!
//! [`Artifact::open`] maps the file read-only, parses it with goblin, finds the manifest through the
//! dynamic symbol table, checks magic, format version, target and the checksum of the header and
//! core, decodes the core and checks its indices (`check`), and maps the text read+execute
//! straight from the file, so code pages are shared between processes and nothing is rewritten.
//! The manifest's tables stay where they are in the mapping: nothing done here grows with the
//! size of the module's code (see `sowa_targets::artifact`).

#![warn(missing_docs)]

mod check;
mod elf;
pub mod inspect;
pub mod region;
mod text;

pub use elf::LoadError;
use memmap2::Mmap;
pub use sowa_targets::artifact::signature::PublicKey;
use sowa_targets::artifact::{DataRecord, ManifestHeader, ModuleInfo, Tables};
use sowa_targets::Arch;
use std::fs::File;
use std::path::Path;
pub use text::MappedText;

/// Finds the manifest of the artifact `file` (for `host`'s target only, when given), checks
/// its checksum, decodes its core and checks the core's and the tables' indices: what both a
/// load and an inspection need before they believe anything in the file.
fn read_manifest(
    file: &[u8],
    host: Option<Arch>,
) -> Result<(elf::Layout, ModuleInfo, Tables<'_>), LoadError> {
    let layout = elf::parse(file, host)?;
    let core = layout.core_bytes(file);
    if !layout.header.verify(core) {
        return Err(LoadError::Corrupt(
            "manifest checksum mismatch (the file is damaged or was modified)".into(),
        ));
    }
    let info = ModuleInfo::decode(core).map_err(|e| LoadError::Format(e.to_string()))?;
    let tables = Tables::new(&file[layout.manifest_range.clone()], &layout.header.tables)
        .map_err(|e| LoadError::Corrupt(e.to_string()))?;
    check::manifest(&info, &tables, &layout.header)?;
    Ok((layout, info, tables))
}

/// A checked, mapped artifact.
pub struct Artifact {
    /// The open file, for mapping the memory image from it.
    fd: File,
    file: Mmap,
    header: ManifestHeader,
    /// Where the manifest (header, core, tables) lies in `file`.
    manifest_range: std::ops::Range<usize>,
    info: ModuleInfo,
    text: MappedText,
}

impl Artifact {
    /// Opens and checks the artifact at `path`; with `key`, first checks that the whole file is
    /// signed by it (see `sowa_targets::artifact::signature`).
    pub fn open(path: &Path, key: Option<&PublicKey>) -> Result<Artifact, LoadError> {
        let file =
            File::open(path).map_err(|e| LoadError::Io(format!("{}: {e}", path.display())))?;
        Self::from_file(file, key)
    }

    /// Loads an artifact from bytes (through an anonymous in-memory file, so the code is still
    /// mapped from a file rather than written into executable memory); `key` as in `open`.
    pub fn from_bytes(bytes: &[u8], key: Option<&PublicKey>) -> Result<Artifact, LoadError> {
        let file = text::memfd_with(bytes)?;
        Self::from_file(file, key)
    }

    fn from_file(fd: File, key: Option<&PublicKey>) -> Result<Artifact, LoadError> {
        let file = &fd;
        // SAFETY: the mapping is private and read-only; the artifact is not expected to be
        // modified while loaded (a concurrent writer could change what we read, which the checks
        // below would then see as ordinary corruption, not memory unsafety, because every read
        // is bounds-checked against the mapping's length).
        let map = unsafe { Mmap::map(file) }.map_err(|e| LoadError::Io(e.to_string()))?;
        if let Some(key) = key {
            // Every byte, before anything in the file is believed. (The text is mapped again
            // below from the same file: a signature protects a file at rest and in transit, not
            // against someone who can write to it while it loads.)
            key.verify(&map)?;
        }
        let host = Arch::host().ok_or(LoadError::UnsupportedHost)?;
        let (layout, info, _) = read_manifest(&map, Some(host))?;
        check::cpu_features(&info)?;
        let text = MappedText::map(file, layout.text_offset, layout.header.text_len as usize)?;
        Ok(Artifact {
            fd,
            file: map,
            header: layout.header,
            manifest_range: layout.manifest_range,
            info,
            text,
        })
    }

    /// What the module declares: types, imports, exports, memories, tables, globals, segments.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// The manifest's tables, read in place from the mapping.
    pub fn tables(&self) -> Tables<'_> {
        Tables::new(&self.file[self.manifest_range.clone()], &self.header.tables)
            .expect("the directory was checked at load")
    }

    /// The mapped code.
    pub fn text(&self) -> &MappedText {
        &self.text
    }

    /// Where memory 0's image (see [`sowa_targets::artifact::MemoryImage`]) can be mapped
    /// from: the file and the image's offset in it (checked at load to be page-aligned, inside
    /// the data section and inside memory 0's initial size).
    pub fn memory_image(&self) -> Option<(&File, u64)> {
        let img = self.info.memory_image.as_ref()?;
        Some((&self.fd, self.header.data_offset + img.data_offset))
    }

    /// The bytes of a data segment, or `None` when its record points outside the data section
    /// (a damaged table: records are checked when used, not at load).
    pub fn data(&self, seg: &DataRecord) -> Option<&[u8]> {
        let end = seg.offset.checked_add(seg.len)?;
        if end > self.header.data_len {
            return None;
        }
        let start = usize::try_from(self.header.data_offset + seg.offset).ok()?;
        self.file
            .get(start..start.checked_add(usize::try_from(seg.len).ok()?)?)
    }
}
