//! Reading, writing and positioning descriptors, and their lifetime (`fd_close`,
//! `fd_renumber`). Reads and writes go straight between linear memory and the host descriptor
//! with one `readv`/`writev` per call, so a WASI read costs what the system call does.

use super::Args;
use crate::abi::rights;
use crate::errno::{self, Errno, INVAL};
use crate::guest::GuestMemory;
use crate::WasiCtx;

/// Retries a system call interrupted by a signal.
pub(super) fn retry(mut f: impl FnMut() -> isize) -> Result<usize, Errno> {
    loop {
        let r = f();
        if r < 0 && errno::last() == errno::INTR {
            continue;
        }
        return errno::check(r).map(|n| n as usize);
    }
}

/// `fd_read(fd, iovs, iovs_len, nread: *u32)`
pub fn fd_read(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx.table.with_rights(a.u32(0), rights::FD_READ)?.raw();
    let iov = mem.host_iovecs(a.u32(1), a.u32(2))?;
    // SAFETY: every iovec lies inside linear memory (checked by host_iovecs), which nothing
    // else touches during this host call.
    let n = retry(|| unsafe { libc::readv(fd, iov.as_ptr(), iov.len().min(1024) as i32) })?;
    mem.write_u32(a.u32(3), n as u32)
}

/// `fd_write(fd, iovs, iovs_len, nwritten: *u32)`
pub fn fd_write(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx.table.with_rights(a.u32(0), rights::FD_WRITE)?.raw();
    let iov = mem.host_iovecs(a.u32(1), a.u32(2))?;
    // SAFETY: as in fd_read; writev only reads the buffers.
    let n = retry(|| unsafe { libc::writev(fd, iov.as_ptr(), iov.len().min(1024) as i32) })?;
    mem.write_u32(a.u32(3), n as u32)
}

/// `fd_pread(fd, iovs, iovs_len, offset: u64, nread: *u32)`
pub fn fd_pread(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx
        .table
        .with_rights(a.u32(0), rights::FD_READ | rights::FD_SEEK)?
        .raw();
    let off = i64::try_from(a.u64(3)).map_err(|_| INVAL)?;
    let iov = mem.host_iovecs(a.u32(1), a.u32(2))?;
    // SAFETY: as in fd_read.
    let n = retry(|| unsafe { libc::preadv(fd, iov.as_ptr(), iov.len().min(1024) as i32, off) })?;
    mem.write_u32(a.u32(4), n as u32)
}

/// `fd_pwrite(fd, iovs, iovs_len, offset: u64, nwritten: *u32)`
pub fn fd_pwrite(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx
        .table
        .with_rights(a.u32(0), rights::FD_WRITE | rights::FD_SEEK)?
        .raw();
    let off = i64::try_from(a.u64(3)).map_err(|_| INVAL)?;
    let iov = mem.host_iovecs(a.u32(1), a.u32(2))?;
    // SAFETY: as in fd_write.
    let n = retry(|| unsafe { libc::pwritev(fd, iov.as_ptr(), iov.len().min(1024) as i32, off) })?;
    mem.write_u32(a.u32(4), n as u32)
}

/// `fd_seek(fd, offset: i64, whence: u8, newoffset: *u64)`
pub fn fd_seek(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let (off, whence) = (a.u64(1) as i64, a.u32(2));
    // Asking where we are needs only FD_TELL.
    let needed = if off == 0 && whence == 1 {
        rights::FD_TELL
    } else {
        rights::FD_SEEK
    };
    let fd = ctx.table.with_rights(a.u32(0), needed)?.raw();
    let whence = match whence {
        0 => libc::SEEK_SET,
        1 => libc::SEEK_CUR,
        2 => libc::SEEK_END,
        _ => return Err(INVAL),
    };
    // SAFETY: lseek has no memory effects.
    let r = errno::check(unsafe { libc::lseek(fd, off, whence) })?;
    mem.write_u64(a.u32(3), r as u64)
}

/// `fd_tell(fd, offset: *u64)`
pub fn fd_tell(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx.table.with_rights(a.u32(0), rights::FD_TELL)?.raw();
    // SAFETY: lseek has no memory effects.
    let r = errno::check(unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) })?;
    mem.write_u64(a.u32(1), r as u64)
}

/// `fd_close(fd)`
pub fn fd_close(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    // Dropping the descriptor closes the host's (the standard streams stay open for the host).
    ctx.table.remove(a.u32(0)).map(drop)
}

/// `fd_renumber(fd, to)`
pub fn fd_renumber(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    ctx.table.renumber(a.u32(0), a.u32(1))
}

/// `fd_sync(fd)`
pub fn fd_sync(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx.table.with_rights(a.u32(0), rights::FD_SYNC)?.raw();
    // SAFETY: fsync has no memory effects.
    errno::check(unsafe { libc::fsync(fd) }).map(drop)
}

/// `fd_datasync(fd)`
pub fn fd_datasync(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx.table.with_rights(a.u32(0), rights::FD_DATASYNC)?.raw();
    // SAFETY: fdatasync has no memory effects.
    errno::check(unsafe { libc::fdatasync(fd) }).map(drop)
}

/// `fd_advise(fd, offset: u64, len: u64, advice: u8)`
pub fn fd_advise(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx.table.with_rights(a.u32(0), rights::FD_ADVISE)?.raw();
    let advice = match a.u32(3) {
        0 => libc::POSIX_FADV_NORMAL,
        1 => libc::POSIX_FADV_SEQUENTIAL,
        2 => libc::POSIX_FADV_RANDOM,
        3 => libc::POSIX_FADV_WILLNEED,
        4 => libc::POSIX_FADV_DONTNEED,
        5 => libc::POSIX_FADV_NOREUSE,
        _ => return Err(INVAL),
    };
    let off = i64::try_from(a.u64(1)).map_err(|_| INVAL)?;
    let len = i64::try_from(a.u64(2)).map_err(|_| INVAL)?;
    // SAFETY: posix_fadvise has no memory effects; it returns the error number.
    match unsafe { libc::posix_fadvise(fd, off, len, advice) } {
        0 => Ok(()),
        e => Err(errno::from_host(e)),
    }
}

/// `fd_allocate(fd, offset: u64, len: u64)`
pub fn fd_allocate(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = ctx.table.with_rights(a.u32(0), rights::FD_ALLOCATE)?.raw();
    let off = i64::try_from(a.u64(1)).map_err(|_| INVAL)?;
    let len = i64::try_from(a.u64(2)).map_err(|_| INVAL)?;
    // SAFETY: posix_fallocate has no memory effects; it returns the error number.
    match unsafe { libc::posix_fallocate(fd, off, len) } {
        0 => Ok(()),
        e => Err(errno::from_host(e)),
    }
}
