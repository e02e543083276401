//! `path_*`: everything that names a file by a path relative to a directory descriptor. Every
//! lookup goes through [`crate::sandbox`], so nothing outside the preopened directories can be
//! reached.

use super::fdstat::{fstat, timespecs};
use super::Args;
use crate::abi::{self, fdflags, filetype, oflags, rights, LOOKUP_SYMLINK_FOLLOW};
use crate::errno::{self, Errno, INVAL, ISDIR, NOTCAPABLE, NOTDIR, NOTSUP};
use crate::fdtable::{Descriptor, Kind};
use crate::guest::GuestMemory;
use crate::sandbox;
use crate::WasiCtx;
use std::os::fd::{AsRawFd, OwnedFd};

/// The host descriptor of directory `fd`, if it carries `needed`.
fn dir(ctx: &WasiCtx, fd: u32, needed: u64) -> Result<i32, Errno> {
    let d = ctx.table.get(fd)?;
    match d.kind {
        Kind::Dir(_) => {}
        _ => return Err(NOTDIR),
    }
    d.require(needed)?;
    Ok(d.raw())
}

/// The path bytes at `ptr`, `len`.
fn path(mem: &GuestMemory<'_>, ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
    Ok(mem.slice(ptr, len)?.to_vec())
}

/// `path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags,
/// opened_fd: *fd)`
pub fn path_open(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let (dirflags, of, base, inheriting, ff) = (
        a.u32(1),
        a.u32(4) as u16,
        a.u64(5),
        a.u64(6),
        a.u32(7) as u16,
    );
    let mut needed = rights::PATH_OPEN;
    if of & oflags::CREAT != 0 {
        needed |= rights::PATH_CREATE_FILE;
    }
    if of & oflags::TRUNC != 0 {
        needed |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let parent = ctx.table.get(a.u32(0))?;
    let dfd = dir(ctx, a.u32(0), needed)?;
    // A descriptor gets no right its directory could not pass on.
    if base & !parent.inheriting != 0 || inheriting & !parent.inheriting != 0 {
        return Err(NOTCAPABLE);
    }
    let p = path(mem, a.u32(2), a.u32(3))?;

    let read = base & (rights::FD_READ | rights::FD_READDIR) != 0;
    // FD_DATASYNC is no write right: fdatasync works on a descriptor opened for reading, and a
    // directory's own rights include it, so reopening a directory with them must work.
    let write = base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE) != 0;
    if of & oflags::DIRECTORY != 0 && base & rights::FD_WRITE != 0 {
        // A directory cannot be written to: asking for it is the error a write open of a
        // directory gives, not a read-only descriptor that pretends otherwise.
        return Err(ISDIR);
    }
    let mut flags = match (read, write) {
        (_, false) => libc::O_RDONLY,
        (false, true) => libc::O_WRONLY,
        (true, true) => libc::O_RDWR,
    };
    if of & oflags::DIRECTORY != 0 {
        // Directories open read-only; the write rights above cannot apply to them.
        flags = libc::O_RDONLY | libc::O_DIRECTORY;
    }
    if of & oflags::CREAT != 0 {
        flags |= libc::O_CREAT;
    }
    if of & oflags::EXCL != 0 {
        flags |= libc::O_EXCL;
    }
    if of & oflags::TRUNC != 0 {
        flags |= libc::O_TRUNC;
    }
    if ff & fdflags::APPEND != 0 {
        flags |= libc::O_APPEND;
    }
    if ff & fdflags::NONBLOCK != 0 {
        flags |= libc::O_NONBLOCK;
    }
    if ff & (fdflags::SYNC | fdflags::RSYNC) != 0 {
        flags |= libc::O_SYNC;
    } else if ff & fdflags::DSYNC != 0 {
        flags |= libc::O_DSYNC;
    }
    if ff & fdflags::DSYNC != 0 && base & rights::FD_DATASYNC == 0
        || ff & (fdflags::SYNC | fdflags::RSYNC) != 0 && base & rights::FD_SYNC == 0
    {
        // Synchronised writes without the right to synchronise: NOTSUP, as Wasmtime answers
        // (the specification names no error; NOTCAPABLE would send a program looking for a
        // right it cannot get).
        return Err(NOTSUP);
    }
    let follow = dirflags & LOOKUP_SYMLINK_FOLLOW != 0;
    let fd = sandbox::open(dfd, &p, flags, 0o666, follow)?;
    let ft = filetype::from_mode(fstat(fd.as_raw_fd())?.st_mode);
    let d = if ft == filetype::DIRECTORY {
        Descriptor::new(Kind::Dir(fd), base & rights::DIR, inheriting)
    } else {
        Descriptor::new(Kind::File(fd), base & rights::FILE, inheriting)
    };
    let n = ctx.table.insert(d)?;
    mem.write_u32(a.u32(8), n)
}

/// `path_create_directory(fd, path, path_len)`
pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let dfd = dir(ctx, a.u32(0), rights::PATH_CREATE_DIRECTORY)?;
    let (pd, name) = sandbox::parent(dfd, &path(mem, a.u32(1), a.u32(2))?)?;
    // SAFETY: a C string and an open directory.
    errno::check(unsafe { libc::mkdirat(pd.as_raw_fd(), name.as_ptr(), 0o777) }).map(drop)
}

/// `path_remove_directory(fd, path, path_len)`
pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let dfd = dir(ctx, a.u32(0), rights::PATH_REMOVE_DIRECTORY)?;
    let (pd, name) = sandbox::parent(dfd, &path(mem, a.u32(1), a.u32(2))?)?;
    // SAFETY: as above.
    errno::check(unsafe { libc::unlinkat(pd.as_raw_fd(), name.as_ptr(), libc::AT_REMOVEDIR) })
        .map(drop)
}

/// `path_unlink_file(fd, path, path_len)`
pub fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let dfd = dir(ctx, a.u32(0), rights::PATH_UNLINK_FILE)?;
    let (pd, name) = sandbox::parent(dfd, &path(mem, a.u32(1), a.u32(2))?)?;
    // SAFETY: as above.
    errno::check(unsafe { libc::unlinkat(pd.as_raw_fd(), name.as_ptr(), 0) }).map(drop)
}

/// Opens what `path` names beneath `dfd` as `O_PATH`, for stat and times.
fn open_path(dfd: i32, p: &[u8], follow: bool) -> Result<OwnedFd, Errno> {
    sandbox::open(dfd, p, libc::O_PATH, 0, follow)
}

/// The `/proc/self/fd` name of `f`: how calls that take no descriptor (`utimensat`,
/// `linkat` following links) reach exactly the file an `O_PATH` descriptor holds.
fn proc_path(f: &OwnedFd) -> std::ffi::CString {
    std::ffi::CString::new(format!("/proc/self/fd/{}", f.as_raw_fd())).expect("no NUL in a number")
}

/// `path_filestat_get(fd, flags, path, path_len, buf: *filestat)`
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let dfd = dir(ctx, a.u32(0), rights::PATH_FILESTAT_GET)?;
    let p = path(mem, a.u32(2), a.u32(3))?;
    let f = open_path(dfd, &p, a.u32(1) & LOOKUP_SYMLINK_FOLLOW != 0)?;
    mem.write(a.u32(4), &abi::filestat_bytes(&fstat(f.as_raw_fd())?))
}

/// `path_filestat_set_times(fd, flags, path, path_len, atim, mtim, fst_flags)`
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    let dfd = dir(ctx, a.u32(0), rights::PATH_FILESTAT_SET_TIMES)?;
    let p = path(mem, a.u32(2), a.u32(3))?;
    let ts = timespecs(a.u64(4), a.u64(5), a.u32(6) as u16)?;
    if a.u32(1) & LOOKUP_SYMLINK_FOLLOW != 0 {
        // The target, found beneath the directory (an O_PATH descriptor cannot be given to
        // futimens).
        let f = open_path(dfd, &p, true)?;
        let proc = proc_path(&f);
        // SAFETY: a C string and two valid timespecs.
        errno::check(unsafe { libc::utimensat(libc::AT_FDCWD, proc.as_ptr(), ts.as_ptr(), 0) })
            .map(drop)
    } else {
        let (pd, name) = sandbox::parent(dfd, &p)?;
        // SAFETY: as above; the name is one component, not followed.
        errno::check(unsafe {
            libc::utimensat(
                pd.as_raw_fd(),
                name.as_ptr(),
                ts.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })
        .map(drop)
    }
}

/// `path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len)`
pub fn path_link(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let odfd = dir(ctx, a.u32(0), rights::PATH_LINK_SOURCE)?;
    let ndfd = dir(ctx, a.u32(4), rights::PATH_LINK_TARGET)?;
    let old = path(mem, a.u32(2), a.u32(3))?;
    let (npd, nname) = sandbox::parent(ndfd, &path(mem, a.u32(5), a.u32(6))?)?;
    if a.u32(1) & LOOKUP_SYMLINK_FOLLOW != 0 {
        let f = open_path(odfd, &old, true)?;
        let proc = proc_path(&f);
        // SAFETY: C strings and open directories.
        errno::check(unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                proc.as_ptr(),
                npd.as_raw_fd(),
                nname.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        })
        .map(drop)
    } else {
        let (opd, oname) = sandbox::parent(odfd, &old)?;
        // SAFETY: as above.
        errno::check(unsafe {
            libc::linkat(
                opd.as_raw_fd(),
                oname.as_ptr(),
                npd.as_raw_fd(),
                nname.as_ptr(),
                0,
            )
        })
        .map(drop)
    }
}

/// `path_readlink(fd, path, path_len, buf, buf_len, bufused: *u32)`: the target, cut to the
/// buffer's length.
pub fn path_readlink(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let dfd = dir(ctx, a.u32(0), rights::PATH_READLINK)?;
    let (pd, name) = sandbox::parent(dfd, &path(mem, a.u32(1), a.u32(2))?)?;
    let target = sandbox::readlink(pd.as_raw_fd(), name.to_bytes())?.ok_or(INVAL)?;
    let n = target.len().min(a.u32(4) as usize);
    mem.write(a.u32(3), &target[..n])?;
    mem.write_u32(a.u32(5), n as u32)
}

/// `path_rename(fd, old_path, old_len, new_fd, new_path, new_len)`
pub fn path_rename(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let odfd = dir(ctx, a.u32(0), rights::PATH_RENAME_SOURCE)?;
    let ndfd = dir(ctx, a.u32(3), rights::PATH_RENAME_TARGET)?;
    let (opd, oname) = sandbox::parent(odfd, &path(mem, a.u32(1), a.u32(2))?)?;
    let (npd, nname) = sandbox::parent(ndfd, &path(mem, a.u32(4), a.u32(5))?)?;
    // SAFETY: C strings and open directories.
    errno::check(unsafe {
        libc::renameat(
            opd.as_raw_fd(),
            oname.as_ptr(),
            npd.as_raw_fd(),
            nname.as_ptr(),
        )
    })
    .map(drop)
}

/// `path_symlink(old_path, old_len, fd, new_path, new_len)`: an absolute target is refused
/// (it could only ever point outside the sandbox); a relative one is stored as given, since
/// following it is confined anyway.
pub fn path_symlink(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let dfd = dir(ctx, a.u32(2), rights::PATH_SYMLINK)?;
    let target = path(mem, a.u32(0), a.u32(1))?;
    if target.first() == Some(&b'/') {
        return Err(NOTCAPABLE);
    }
    let target = std::ffi::CString::new(target).map_err(|_| INVAL)?;
    let (pd, name) = sandbox::parent(dfd, &path(mem, a.u32(3), a.u32(4))?)?;
    // SAFETY: C strings and an open directory.
    errno::check(unsafe { libc::symlinkat(target.as_ptr(), pd.as_raw_fd(), name.as_ptr()) })
        .map(drop)
}
