//! `fd_readdir`: directory listings with cookies.
//!
//! A cookie is the position of the next entry in a listing taken when the guest starts over
//! (cookie 0) and kept on the descriptor, so entries neither repeat nor vanish between calls
//! while the guest pages through a directory that changes underneath.

use super::Args;
use crate::abi::{self, filetype, rights};
use crate::errno::{self, Errno};
use crate::fdtable::DirEntry;
use crate::guest::GuestMemory;
use crate::WasiCtx;
use std::ffi::CStr;

/// Every entry of the directory open as `fd`, `.` and `..` included.
fn list(fd: i32) -> Result<Vec<DirEntry>, Errno> {
    // A fresh descriptor for the directory stream, so its position and its closing are ours
    // and not the guest descriptor's.
    // SAFETY: opening "." relative to an open directory.
    let own = errno::check(unsafe {
        libc::openat(
            fd,
            c".".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    })?;
    // SAFETY: `own` is an open directory descriptor; the stream takes it over.
    let dir = unsafe { libc::fdopendir(own) };
    if dir.is_null() {
        let e = errno::last();
        // SAFETY: fdopendir failed, so `own` is still ours to close.
        unsafe { libc::close(own) };
        return Err(e);
    }
    let mut out = Vec::new();
    loop {
        // SAFETY: `dir` is an open stream; the entry stays valid until the next readdir.
        let ent = unsafe { libc::readdir(dir) };
        if ent.is_null() {
            break;
        }
        // SAFETY: readdir returned a valid entry with a NUL-terminated name.
        let (ino, dtype, name) = unsafe {
            (
                (*ent).d_ino,
                (*ent).d_type,
                CStr::from_ptr((*ent).d_name.as_ptr()).to_bytes().to_vec(),
            )
        };
        let ft = match dtype {
            libc::DT_BLK => filetype::BLOCK_DEVICE,
            libc::DT_CHR => filetype::CHARACTER_DEVICE,
            libc::DT_DIR => filetype::DIRECTORY,
            libc::DT_REG => filetype::REGULAR_FILE,
            libc::DT_SOCK => filetype::SOCKET_STREAM,
            libc::DT_LNK => filetype::SYMBOLIC_LINK,
            _ => filetype::UNKNOWN,
        };
        out.push(DirEntry {
            ino,
            filetype: ft,
            name,
        });
    }
    // SAFETY: closing the stream we opened (and with it `own`).
    unsafe { libc::closedir(dir) };
    Ok(out)
}

/// `fd_readdir(fd, buf: *u8, buf_len: u32, cookie: u64, bufused: *u32)`: fills the buffer
/// with `dirent` headers and names; the last entry may be cut short, which tells the caller
/// to grow its buffer or call again.
pub fn fd_readdir(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let d = ctx.table.get_mut(a.u32(0))?;
    d.require(rights::FD_READDIR)?;
    let cookie = a.u64(3);
    if cookie == 0 || d.dir_entries.is_none() {
        d.dir_entries = Some(list(d.raw())?);
    }
    let entries = d.dir_entries.as_ref().expect("just filled");
    let (buf, len) = (a.u32(1), a.u32(2) as usize);
    let mut bytes = Vec::with_capacity(len);
    for (i, e) in entries
        .iter()
        .enumerate()
        .skip(cookie.min(usize::MAX as u64) as usize)
    {
        if bytes.len() >= len {
            break;
        }
        let mut head = [0u8; abi::DIRENT_SIZE];
        head[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        head[8..16].copy_from_slice(&e.ino.to_le_bytes());
        head[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        head[20] = e.filetype;
        bytes.extend_from_slice(&head);
        bytes.extend_from_slice(&e.name);
    }
    bytes.truncate(len);
    mem.write(buf, &bytes)?;
    mem.write_u32(a.u32(4), bytes.len() as u32)
}
