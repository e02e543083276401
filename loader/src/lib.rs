//! Maps a sowa artifact (an ELF shared object written by `sowac`) and checks it, without `dlopen`.
//!
//! [`Artifact::open`] maps the file read-only, parses it with goblin, finds the manifest through the
//! dynamic symbol table, checks magic, format version and target against this machine, checks
//! every index and span of the manifest ([`check`]) and maps the text read+execute straight from
//! the file, so code pages are shared between processes and nothing is rewritten.

mod check;
mod elf;
mod text;

pub use elf::LoadError;
use memmap2::Mmap;
use sowa_targets::artifact::{DataSegment, Manifest, ManifestHeader};
use sowa_targets::Arch;
use std::fs::File;
use std::path::Path;
pub use text::MappedText;

/// A checked, mapped artifact.
pub struct Artifact {
    /// The open file, for mapping the memory image from it.
    fd: File,
    file: Mmap,
    header: ManifestHeader,
    manifest: Manifest,
    text: MappedText,
}

impl Artifact {
    /// Opens and checks the artifact at `path`.
    pub fn open(path: &Path) -> Result<Artifact, LoadError> {
        let file =
            File::open(path).map_err(|e| LoadError::Io(format!("{}: {e}", path.display())))?;
        Self::from_file(file)
    }

    /// Loads an artifact from bytes (through an anonymous in-memory file, so the code is still
    /// mapped from a file rather than written into executable memory).
    pub fn from_bytes(bytes: &[u8]) -> Result<Artifact, LoadError> {
        let file = text::memfd_with(bytes)?;
        Self::from_file(file)
    }

    fn from_file(fd: File) -> Result<Artifact, LoadError> {
        let file = &fd;
        // SAFETY: the mapping is private and read-only; the artifact is not expected to be
        // modified while loaded (a concurrent writer could change what we read, which the checks
        // below would then see as ordinary corruption, not memory unsafety, because every read
        // is bounds-checked against the mapping's length).
        let map = unsafe { Mmap::map(file) }.map_err(|e| LoadError::Io(e.to_string()))?;
        let host = Arch::host().ok_or(LoadError::UnsupportedHost)?;
        let layout = elf::parse(&map, host)?;
        let encoded = layout.manifest_bytes(&map);
        if !layout.header.verify(encoded) {
            return Err(LoadError::Corrupt(
                "manifest digest mismatch (the file is damaged or was modified)".into(),
            ));
        }
        let manifest = Manifest::decode(encoded).map_err(|e| LoadError::Format(e.to_string()))?;
        check::manifest(&manifest, &layout.header, map.len() as u64)?;
        check::cpu_features(&manifest)?;
        let text = MappedText::map(file, layout.text_offset, layout.header.text_len as usize)?;
        Ok(Artifact {
            fd,
            file: map,
            header: layout.header,
            manifest,
            text,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The mapped code.
    pub fn text(&self) -> &MappedText {
        &self.text
    }

    /// Where memory 0's image (see [`sowa_targets::artifact::MemoryImage`]) can be mapped
    /// from: the file and the image's offset in it (checked at load to be page-aligned, inside
    /// the data section and inside memory 0's initial size).
    pub fn memory_image(&self) -> Option<(&File, u64)> {
        let img = self.manifest.memory_image.as_ref()?;
        Some((&self.fd, self.header.data_offset + img.data_offset))
    }

    /// The bytes of a data segment (checked at load to lie within the file).
    pub fn data(&self, seg: &DataSegment) -> &[u8] {
        let start = (self.header.data_offset + seg.offset) as usize;
        &self.file[start..start + seg.len as usize]
    }
}
