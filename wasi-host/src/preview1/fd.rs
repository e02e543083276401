//! Descriptors. This first host has the three standard streams only (no preopened
//! directories yet), each backed by the host's own descriptor of the same number.

use super::{errno_of, i64_arg, u32_arg};
use crate::errno::{self, Errno, BADF};
use crate::guest::GuestMemory;
use crate::WasiCtx;
use sowa_runtime::{Trap, Val};

/// The host descriptor behind guest descriptor `fd`, if open.
fn host_fd(ctx: &WasiCtx, fd: u32) -> Option<i32> {
    (fd < 3 && !ctx.closed[fd as usize]).then_some(fd as i32)
}

/// `fd_write(fd, iovs, iovs_len, nwritten: *u32)`
pub fn fd_write(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, args: &[Val]) -> Result<Errno, Trap> {
    let Some(hfd) = host_fd(ctx, u32_arg(args, 0)) else {
        return Ok(BADF);
    };
    let iovs = match mem.iovecs(u32_arg(args, 1), u32_arg(args, 2)) {
        Ok(v) => v,
        Err(e) => return Ok(e),
    };
    let mut total = 0u32;
    for (ptr, len) in iovs {
        let buf = match mem.slice(ptr, len) {
            Ok(b) => b,
            Err(e) => return Ok(e),
        };
        let mut done = 0;
        while done < buf.len() {
            // SAFETY: writing from a checked guest slice to a host descriptor.
            let n = unsafe {
                libc::write(
                    hfd,
                    buf[done..].as_ptr() as *const libc::c_void,
                    buf.len() - done,
                )
            };
            if n < 0 {
                return Ok(errno::last());
            }
            done += n as usize;
        }
        total += len;
    }
    errno_of(mem.write_u32(u32_arg(args, 3), total))
}

/// `fd_read(fd, iovs, iovs_len, nread: *u32)`
pub fn fd_read(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, args: &[Val]) -> Result<Errno, Trap> {
    let Some(hfd) = host_fd(ctx, u32_arg(args, 0)) else {
        return Ok(BADF);
    };
    let iovs = match mem.iovecs(u32_arg(args, 1), u32_arg(args, 2)) {
        Ok(v) => v,
        Err(e) => return Ok(e),
    };
    let mut total = 0u32;
    for (ptr, len) in iovs {
        let buf = match mem.slice_mut(ptr, len) {
            Ok(b) => b,
            Err(e) => return Ok(e),
        };
        // SAFETY: reading into a checked guest slice.
        let n = unsafe { libc::read(hfd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        if n < 0 {
            return Ok(errno::last());
        }
        total += n as u32;
        if (n as u32) < len {
            break;
        }
    }
    errno_of(mem.write_u32(u32_arg(args, 3), total))
}

/// `fd_close(fd)`: the guest loses the descriptor; the host's own stays open.
pub fn fd_close(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, args: &[Val]) -> Result<Errno, Trap> {
    let fd = u32_arg(args, 0);
    if host_fd(ctx, fd).is_none() {
        return Ok(BADF);
    }
    ctx.closed[fd as usize] = true;
    Ok(errno::SUCCESS)
}

/// `fd_seek(fd, offset: i64, whence: u8, newoffset: *u64)`
pub fn fd_seek(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, args: &[Val]) -> Result<Errno, Trap> {
    let Some(hfd) = host_fd(ctx, u32_arg(args, 0)) else {
        return Ok(BADF);
    };
    let whence = match u32_arg(args, 2) {
        0 => libc::SEEK_SET,
        1 => libc::SEEK_CUR,
        2 => libc::SEEK_END,
        _ => return Ok(errno::INVAL),
    };
    // SAFETY: lseek on a host descriptor has no memory effects.
    let r = unsafe { libc::lseek(hfd, i64_arg(args, 1), whence) };
    if r < 0 {
        return Ok(errno::last());
    }
    errno_of(mem.write_u64(u32_arg(args, 3), r as u64))
}

/// WASI file types.
fn filetype(hfd: i32) -> u8 {
    // SAFETY: fstat into a zeroed out-structure.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(hfd, &mut st) } != 0 {
        return 0;
    }
    match st.st_mode & libc::S_IFMT {
        libc::S_IFCHR => 2,
        libc::S_IFDIR => 3,
        libc::S_IFREG => 4,
        libc::S_IFSOCK => 6,
        libc::S_IFLNK => 7,
        libc::S_IFBLK => 1,
        _ => 0,
    }
}

/// `fd_fdstat_get(fd, stat: *fdstat)`
pub fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    args: &[Val],
) -> Result<Errno, Trap> {
    let Some(hfd) = host_fd(ctx, u32_arg(args, 0)) else {
        return Ok(BADF);
    };
    let ft = filetype(hfd);
    // Rights: read/write and the like; seek and tell only for seekable (regular) files, which
    // is how wasi-libc tells a terminal from a file.
    const FD_READ: u64 = 1 << 1;
    const FD_SEEK: u64 = 1 << 2;
    const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    const FD_TELL: u64 = 1 << 5;
    const FD_WRITE: u64 = 1 << 6;
    const POLL_FD_READWRITE: u64 = 1 << 27;
    let mut rights = FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | POLL_FD_READWRITE;
    if ft == 4 {
        rights |= FD_SEEK | FD_TELL;
    }
    let out = match mem.slice_mut(u32_arg(args, 1), 24) {
        Ok(b) => b,
        Err(e) => return Ok(e),
    };
    out.fill(0);
    out[0] = ft;
    out[8..16].copy_from_slice(&rights.to_le_bytes());
    Ok(errno::SUCCESS)
}

/// `fd_prestat_get(fd, prestat)`: there are no preopened directories yet.
pub fn fd_prestat_get(_: &mut WasiCtx, _: &mut GuestMemory<'_>, _: &[Val]) -> Result<Errno, Trap> {
    Ok(BADF)
}

/// `fd_prestat_dir_name(fd, path, len)`: no preopened directories yet.
pub fn fd_prestat_dir_name(
    _: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    _: &[Val],
) -> Result<Errno, Trap> {
    Ok(BADF)
}
