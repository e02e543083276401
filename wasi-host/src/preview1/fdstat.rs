//! What a descriptor is and may do (`fd_fdstat_*`), file metadata (`fd_filestat_*`) and the
//! preopened directories (`fd_prestat_*`).

use super::Args;
use crate::abi::{self, fdflags, fstflags, rights};
use crate::errno::{self, Errno, BADF, INVAL, NAMETOOLONG, NOTCAPABLE};
use crate::guest::GuestMemory;
use crate::WasiCtx;

/// `fd_fdstat_get(fd, stat: *fdstat)`
pub fn fd_fdstat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    // SAFETY: F_GETFL has no memory effects.
    let fl = errno::check(unsafe { libc::fcntl(d.raw(), libc::F_GETFL) })?;
    let mut flags = 0u16;
    if fl & libc::O_APPEND != 0 {
        flags |= fdflags::APPEND;
    }
    if fl & libc::O_NONBLOCK != 0 {
        flags |= fdflags::NONBLOCK;
    }
    if fl & libc::O_SYNC == libc::O_SYNC {
        // O_SYNC includes O_DSYNC's bit; Linux's O_RSYNC is O_SYNC.
        flags |= fdflags::SYNC | fdflags::RSYNC;
    } else if fl & libc::O_DSYNC != 0 {
        flags |= fdflags::DSYNC;
    }
    let mut out = [0u8; abi::FDSTAT_SIZE as usize];
    out[0] = d.filetype();
    out[2..4].copy_from_slice(&flags.to_le_bytes());
    out[8..16].copy_from_slice(&d.base.to_le_bytes());
    out[16..24].copy_from_slice(&d.inheriting.to_le_bytes());
    mem.write(a.u32(1), &out)
}

/// `fd_fdstat_set_flags(fd, flags: u16)`: append and non-blocking mode can change after open
/// (the synchronisation flags cannot, on Linux: `NOTSUP`).
pub fn fd_fdstat_set_flags(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let fd = ctx
        .table
        .with_rights(a.u32(0), rights::FD_FDSTAT_SET_FLAGS)?
        .raw();
    let flags = a.u32(1) as u16;
    if flags & !(fdflags::APPEND | fdflags::NONBLOCK) != 0 {
        return Err(errno::NOTSUP);
    }
    // SAFETY: F_GETFL/F_SETFL have no memory effects.
    let mut fl = errno::check(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    fl &= !(libc::O_APPEND | libc::O_NONBLOCK);
    if flags & fdflags::APPEND != 0 {
        fl |= libc::O_APPEND;
    }
    if flags & fdflags::NONBLOCK != 0 {
        fl |= libc::O_NONBLOCK;
    }
    // SAFETY: as above.
    errno::check(unsafe { libc::fcntl(fd, libc::F_SETFL, fl) }).map(drop)
}

/// `fd_fdstat_set_rights(fd, base: u64, inheriting: u64)`: rights can only be dropped.
pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let d = ctx.table.get_mut(a.u32(0))?;
    let (base, inheriting) = (a.u64(1), a.u64(2));
    if base & !d.base != 0 || inheriting & !d.inheriting != 0 {
        return Err(NOTCAPABLE);
    }
    d.base = base;
    d.inheriting = inheriting;
    Ok(())
}

/// `fstat` of a host descriptor.
pub(super) fn fstat(fd: i32) -> Result<libc::stat, Errno> {
    // SAFETY: fstat fills a zeroed stat of the right type.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    errno::check(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(st)
}

/// `fd_filestat_get(fd, buf: *filestat)`
pub fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let fd = ctx
        .table
        .with_rights(a.u32(0), rights::FD_FILESTAT_GET)?
        .raw();
    mem.write(a.u32(1), &abi::filestat_bytes(&fstat(fd)?))
}

/// `fd_filestat_set_size(fd, size: u64)`
pub fn fd_filestat_set_size(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let fd = ctx
        .table
        .with_rights(a.u32(0), rights::FD_FILESTAT_SET_SIZE)?
        .raw();
    let size = i64::try_from(a.u64(1)).map_err(|_| INVAL)?;
    // SAFETY: ftruncate has no memory effects.
    errno::check(unsafe { libc::ftruncate(fd, size) }).map(drop)
}

/// The `utimensat` times for WASI's `atim`, `mtim` and `fstflags`.
pub(super) fn timespecs(atim: u64, mtim: u64, fst: u16) -> Result<[libc::timespec; 2], Errno> {
    let one = |t: u64, set: u16, now: u16| -> Result<libc::timespec, Errno> {
        match (fst & set != 0, fst & now != 0) {
            (true, true) => Err(INVAL),
            (true, false) => Ok(libc::timespec {
                tv_sec: (t / 1_000_000_000) as _,
                tv_nsec: (t % 1_000_000_000) as _,
            }),
            (false, true) => Ok(libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_NOW,
            }),
            (false, false) => Ok(libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_OMIT,
            }),
        }
    };
    if fst & !0xf != 0 {
        return Err(INVAL);
    }
    Ok([
        one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    ])
}

/// `fd_filestat_set_times(fd, atim: u64, mtim: u64, fst_flags: u16)`
pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let fd = ctx
        .table
        .with_rights(a.u32(0), rights::FD_FILESTAT_SET_TIMES)?
        .raw();
    let ts = timespecs(a.u64(1), a.u64(2), a.u32(3) as u16)?;
    // SAFETY: `ts` is two valid timespecs.
    errno::check(unsafe { libc::futimens(fd, ts.as_ptr()) }).map(drop)
}

/// `fd_prestat_get(fd, buf: *prestat)`: `BADF` for anything but a preopened directory, which
/// is how wasi-libc finds the end of the preopens.
pub fn fd_prestat_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let name = ctx.table.get(a.u32(0))?.preopen.as_ref().ok_or(BADF)?;
    let mut out = [0u8; 8];
    out[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
    mem.write(a.u32(1), &out)
}

/// `fd_prestat_dir_name(fd, path: *u8, len: u32)`
pub fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let name = ctx.table.get(a.u32(0))?.preopen.as_ref().ok_or(BADF)?;
    if (a.u32(2) as usize) < name.len() {
        return Err(NAMETOOLONG);
    }
    mem.write(a.u32(1), name.as_bytes())
}
