//! The executable mapping of an artifact's code.

use crate::region::{page_size, Access, Region};
use crate::LoadError;
use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;

/// Code mapped read+execute from the artifact file; unmapped on drop.
pub struct MappedText {
    /// Owned for its drop, which unmaps the code.
    _map: Region,
    start: *const u8,
    len: usize,
}

// SAFETY: the mapping is immutable (read+execute) for its whole life, so sharing its address
// between threads is sound.
unsafe impl Send for MappedText {}
// SAFETY: as above; no interior mutability.
unsafe impl Sync for MappedText {}

impl MappedText {
    /// Maps `len` bytes of `file` at `offset` read+execute.
    pub fn map(file: &File, offset: usize, len: usize) -> Result<MappedText, LoadError> {
        let page = page_size();
        let aligned = offset - offset % page;
        let map_len = (offset - aligned + len.max(1)).next_multiple_of(page);
        let map = Region::map_file(file, aligned as u64, map_len, Access::ReadExecute)
            .map_err(|e| LoadError::Io(format!("cannot map code: {e}")))?;
        // `offset - aligned < page <= map_len`: inside the mapping.
        let start = map.base().wrapping_add(offset - aligned).cast_const();
        Ok(MappedText {
            _map: map,
            start,
            len,
        })
    }

    /// Address of the first byte of code.
    pub fn start(&self) -> *const u8 {
        self.start
    }

    /// Length of the code in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `pc` lies within the code.
    pub fn contains(&self, pc: usize) -> bool {
        let s = self.start as usize;
        pc >= s && pc < s + self.len
    }
}

/// An anonymous in-memory file holding `bytes`.
pub fn memfd_with(bytes: &[u8]) -> Result<File, LoadError> {
    // SAFETY: the name is a valid NUL-terminated string; the returned fd is owned below.
    let fd = unsafe { libc::memfd_create(c"sowa-module".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(LoadError::Io(format!(
            "memfd_create: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: fd is a fresh descriptor that nothing else owns.
    let mut f = unsafe { File::from_raw_fd(fd) };
    f.write_all(bytes)
        .map_err(|e| LoadError::Io(format!("memfd write: {e}")))?;
    Ok(f)
}
