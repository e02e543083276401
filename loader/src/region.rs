//! An owned range of address space: the one place that reserves, maps, protects, decommits and
//! unmaps memory for the loader (code) and the runtime (linear memories and their pool, the
//! signal stack).
//!
//! A [`Region`] is unmapped exactly once, when dropped, and every operation on part of it checks
//! that the part lies inside it, so no caller can change the protection of, or unmap, memory it
//! does not own by getting an offset wrong. Changing what is mapped or accessible is still
//! `unsafe` where Rust references or compiled code may point into the range.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// Access rights of mapped pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No access: a fault on any touch (reservations, guard pages).
    None,
    /// Readable and writable data.
    ReadWrite,
    /// Read-only executable code.
    ReadExecute,
}

impl Access {
    fn prot(self) -> libc::c_int {
        match self {
            Access::None => libc::PROT_NONE,
            Access::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
            Access::ReadExecute => libc::PROT_READ | libc::PROT_EXEC,
        }
    }
}

/// A mapped range this value owns; unmapped on drop.
#[derive(Debug)]
pub struct Region {
    base: *mut u8,
    len: usize,
}

// SAFETY: a Region is an address range that only its owner refers to through this value;
// handing that ownership to another thread is sound.
unsafe impl Send for Region {}
// SAFETY: the methods taking `&self` either only read the fields or are `unsafe` with the
// caller answering for concurrent use of the pages.
unsafe impl Sync for Region {}

/// The system's page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

fn check(r: *mut libc::c_void) -> io::Result<*mut u8> {
    if r == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(r.cast())
    }
}

fn status(r: libc::c_int) -> io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl Region {
    /// Reserves `len` bytes of address space, inaccessible and backed by nothing until opened.
    pub fn reserve(len: usize) -> io::Result<Region> {
        Self::anonymous(len, Access::None)
    }

    /// Maps `len` bytes of fresh zeroed memory with `access`.
    pub fn anonymous(len: usize, access: Access) -> io::Result<Region> {
        // SAFETY: a fresh mapping at an address the kernel chooses; it aliases nothing.
        let base = check(unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                access.prot(),
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        })?;
        Ok(Region { base, len })
    }

    /// Maps `len` bytes of `file` from `offset` (page-aligned) privately with `access`: pages
    /// are shared with other mappings of the file until written, and writes never reach it.
    pub fn map_file(file: &File, offset: u64, len: usize, access: Access) -> io::Result<Region> {
        // SAFETY: a fresh private mapping at an address the kernel chooses; it aliases nothing
        // we own.
        let base = check(unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                access.prot(),
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                offset as libc::off_t,
            )
        })?;
        Ok(Region { base, len })
    }

    /// The first byte.
    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty (never, for a mapped one).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address of `offset..offset + len`, if that lies inside the region.
    fn part(&self, offset: usize, len: usize) -> io::Result<*mut libc::c_void> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(self.base.wrapping_add(offset).cast()),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "range outside the region",
            )),
        }
    }

    /// Sets the access rights of `offset..offset + len`.
    ///
    /// # Safety
    /// No Rust reference may point into a part made less accessible while it is.
    pub unsafe fn protect(&self, offset: usize, len: usize, access: Access) -> io::Result<()> {
        let p = self.part(offset, len)?;
        // SAFETY: `p..p+len` lies in our mapping (checked); the caller answers for references.
        status(unsafe { libc::mprotect(p, len, access.prot()) })
    }

    /// Drops the contents of `offset..offset + len`: anonymous pages read as zero again, pages
    /// of a file mapping as the file again; access rights stay.
    ///
    /// # Safety
    /// No Rust reference may point into the part.
    pub unsafe fn decommit(&self, offset: usize, len: usize) -> io::Result<()> {
        let p = self.part(offset, len)?;
        // SAFETY: as in `protect`.
        status(unsafe { libc::madvise(p, len, libc::MADV_DONTNEED) })
    }

    /// Replaces `offset..offset + len` with `len` bytes of `file` from `file_offset`, mapped
    /// privately with `access`.
    ///
    /// # Safety
    /// No Rust reference may point into the part.
    pub unsafe fn map_file_at(
        &self,
        offset: usize,
        len: usize,
        file: &File,
        file_offset: u64,
        access: Access,
    ) -> io::Result<()> {
        // SAFETY: the caller's promise, passed on.
        unsafe { self.map_at(offset, len, access, Some((file, file_offset))) }
    }

    /// Replaces `offset..offset + len` with fresh anonymous pages with `access`.
    ///
    /// # Safety
    /// No Rust reference may point into the part.
    pub unsafe fn map_anonymous_at(
        &self,
        offset: usize,
        len: usize,
        access: Access,
    ) -> io::Result<()> {
        // SAFETY: the caller's promise, passed on.
        unsafe { self.map_at(offset, len, access, None) }
    }

    /// # Safety
    /// As for the two callers.
    unsafe fn map_at(
        &self,
        offset: usize,
        len: usize,
        access: Access,
        file: Option<(&File, u64)>,
    ) -> io::Result<()> {
        let p = self.part(offset, len)?;
        let (flags, fd, at) = match file {
            Some((f, at)) => (0, f.as_raw_fd(), at as libc::off_t),
            None => (libc::MAP_ANONYMOUS | libc::MAP_NORESERVE, -1, 0),
        };
        // SAFETY: MAP_FIXED over a part of our own mapping (checked), which the caller
        // guarantees nothing refers to.
        check(unsafe {
            libc::mmap(
                p,
                len,
                access.prot(),
                libc::MAP_PRIVATE | libc::MAP_FIXED | flags,
                fd,
                at,
            )
        })
        .map(|_| ())
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the range this value owns; ownership ends here.
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_outside_the_region_are_refused() {
        let page = page_size();
        let r = Region::reserve(4 * page).unwrap();
        // SAFETY: no references into the fresh reservation.
        unsafe {
            r.protect(0, page, Access::ReadWrite).unwrap();
            assert!(r.protect(3 * page, 2 * page, Access::ReadWrite).is_err());
            assert!(r.decommit(usize::MAX, 2).is_err());
            assert!(r.map_anonymous_at(4 * page, page, Access::None).is_err());
        }
        // SAFETY: the first page was opened read+write above.
        unsafe {
            r.base().write(7);
            assert_eq!(r.base().read(), 7);
            r.decommit(0, page).unwrap();
            assert_eq!(
                r.base().read(),
                0,
                "decommitted anonymous pages read as zero"
            );
        }
    }
}
