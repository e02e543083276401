//! The executable mapping of an artifact's code.

use crate::LoadError;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd};

/// Code mapped read+execute from the artifact file; unmapped on drop.
pub struct MappedText {
    map: *mut libc::c_void,
    map_len: usize,
    start: *const u8,
    len: usize,
}

// SAFETY: the mapping is immutable (read+execute) for its whole life, so sharing its address
// between threads is sound.
unsafe impl Send for MappedText {}
// SAFETY: as above; no interior mutability.
unsafe impl Sync for MappedText {}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

impl MappedText {
    /// Maps `len` bytes of `file` at `offset` read+execute.
    pub fn map(file: &File, offset: usize, len: usize) -> Result<MappedText, LoadError> {
        let page = page_size();
        let aligned = offset - offset % page;
        let map_len = (offset - aligned + len.max(1)).next_multiple_of(page);
        // SAFETY: a fresh private mapping chosen by the kernel; it aliases nothing we own. The
        // range was checked to lie within the file by the caller.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                aligned as libc::off_t,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(LoadError::Io(format!(
                "cannot map code: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(MappedText {
            map,
            map_len,
            // SAFETY: offset - aligned < page <= map_len, inside the mapping.
            start: unsafe { (map as *const u8).add(offset - aligned) },
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

impl Drop for MappedText {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the region mapped in `map`, which nothing else owns.
        unsafe {
            libc::munmap(self.map, self.map_len);
        }
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
