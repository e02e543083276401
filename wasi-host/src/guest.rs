//! Checked access to guest memory: every pointer and length from the guest is validated against
//! the current size of linear memory, so a bad one is `EFAULT`.

use crate::errno::{Errno, FAULT};

/// The guest's linear memory during one host call.
pub struct GuestMemory<'a>(pub &'a mut [u8]);

impl GuestMemory<'_> {
    /// The `len` bytes at `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let start = ptr as usize;
        self.0
            .get(start..start.checked_add(len as usize).ok_or(FAULT)?)
            .ok_or(FAULT)
    }

    /// The `len` bytes at `ptr`, mutably.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let start = ptr as usize;
        self.0
            .get_mut(start..start.checked_add(len as usize).ok_or(FAULT)?)
            .ok_or(FAULT)
    }

    /// Reads a little-endian u32.
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(self.slice(ptr, 4)?.try_into().unwrap()))
    }

    /// Reads a little-endian u64.
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        Ok(u64::from_le_bytes(self.slice(ptr, 8)?.try_into().unwrap()))
    }

    /// Copies `bytes` to `ptr`.
    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(bytes.len()).map_err(|_| FAULT)?;
        self.slice_mut(ptr, len)?.copy_from_slice(bytes);
        Ok(())
    }

    /// Host `iovec`s over the guest buffers listed at `ptr` (`count` of `{buf, len}`), each
    /// checked to lie inside linear memory, for one `readv`/`writev`-style system call.
    pub fn host_iovecs(&mut self, ptr: u32, count: u32) -> Result<Vec<libc::iovec>, Errno> {
        let list = self.iovecs(ptr, count)?;
        let mut out = Vec::with_capacity(list.len());
        for (buf, len) in list {
            let s = self.slice_mut(buf, len)?;
            out.push(libc::iovec {
                iov_base: s.as_mut_ptr().cast(),
                iov_len: s.len(),
            });
        }
        Ok(out)
    }

    /// Writes a little-endian u32.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.slice_mut(ptr, 4)?.copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    /// Writes a little-endian u64.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.slice_mut(ptr, 8)?.copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    /// Reads an array of `iovec`s (`{buf: u32, len: u32}`) at `ptr`.
    pub fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        let bytes = self.slice(ptr, count.checked_mul(8).ok_or(FAULT)?)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| {
                (
                    u32::from_le_bytes(c[0..4].try_into().unwrap()),
                    u32::from_le_bytes(c[4..8].try_into().unwrap()),
                )
            })
            .collect())
    }

    /// Writes a list of strings the way `args_get`/`environ_get` return them: pointers at
    /// `ptrs`, NUL-terminated bytes at `buf`.
    pub fn write_string_list(&mut self, list: &[String], ptrs: u32, buf: u32) -> Result<(), Errno> {
        let mut at = buf;
        for (i, s) in list.iter().enumerate() {
            self.write_u32(ptrs.checked_add(4 * i as u32).ok_or(FAULT)?, at)?;
            let n = s.len() as u32 + 1;
            let dst = self.slice_mut(at, n)?;
            dst[..s.len()].copy_from_slice(s.as_bytes());
            dst[s.len()] = 0;
            at = at.checked_add(n).ok_or(FAULT)?;
        }
        Ok(())
    }
}
