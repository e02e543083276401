//! Sockets: `sock_accept` on a listener preopened with `--tcplisten`, and `sock_recv`,
//! `sock_send`, `sock_shutdown` on the connections it returns.

use super::fd::retry;
use super::Args;
use crate::abi::{fdflags, rights};
use crate::errno::{self, Errno, INVAL, NOTSOCK};
use crate::fdtable::{Descriptor, Kind};
use crate::guest::GuestMemory;
use crate::WasiCtx;
use std::os::fd::{FromRawFd, OwnedFd};

/// The host descriptor of socket `fd` with `needed` rights.
fn socket(ctx: &WasiCtx, fd: u32, needed: u64) -> Result<i32, Errno> {
    let d = ctx.table.get(fd)?;
    if !matches!(d.kind, Kind::Listener(_) | Kind::Stream(_)) {
        return Err(NOTSOCK);
    }
    d.require(needed)?;
    Ok(d.raw())
}

/// `sock_accept(fd, flags: fdflags, ro_fd: *fd)`
pub fn sock_accept(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = socket(ctx, a.u32(0), rights::SOCK_ACCEPT)?;
    let flags = a.u32(1) as u16;
    if flags & !fdflags::NONBLOCK != 0 {
        return Err(INVAL);
    }
    let mut f = libc::SOCK_CLOEXEC;
    if flags & fdflags::NONBLOCK != 0 {
        f |= libc::SOCK_NONBLOCK;
    }
    // SAFETY: accept4 with null address pointers writes nothing.
    let conn = retry(|| unsafe {
        libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), f) as isize
    })? as i32;
    // SAFETY: accept4 just returned this descriptor to us.
    let conn = unsafe { OwnedFd::from_raw_fd(conn) };
    let n = ctx
        .table
        .insert(Descriptor::new(Kind::Stream(conn), rights::SOCKET, 0))?;
    mem.write_u32(a.u32(2), n)
}

/// `sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen: *u32, ro_flags: *u16)`
pub fn sock_recv(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = socket(ctx, a.u32(0), rights::FD_READ)?;
    let ri = a.u32(3);
    if ri & !3 != 0 {
        return Err(INVAL);
    }
    let mut flags = 0;
    if ri & 1 != 0 {
        flags |= libc::MSG_PEEK;
    }
    if ri & 2 != 0 {
        flags |= libc::MSG_WAITALL;
    }
    let mut iov = mem.host_iovecs(a.u32(1), a.u32(2))?;
    // SAFETY: msghdr is plain data; zero is "no address, no control data".
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_mut_ptr();
    msg.msg_iovlen = iov.len().min(1024) as _;
    // SAFETY: the iovecs lie inside linear memory (checked), untouched meanwhile.
    let n = retry(|| unsafe { libc::recvmsg(fd, &mut msg, flags) })?;
    mem.write_u32(a.u32(4), n as u32)?;
    let truncated: u16 = if msg.msg_flags & libc::MSG_TRUNC != 0 {
        1
    } else {
        0
    };
    mem.write(a.u32(5), &truncated.to_le_bytes())
}

/// `sock_send(fd, si_data, si_data_len, si_flags, so_datalen: *u32)`
pub fn sock_send(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = socket(ctx, a.u32(0), rights::FD_WRITE)?;
    if a.u32(3) != 0 {
        return Err(INVAL);
    }
    let mut iov = mem.host_iovecs(a.u32(1), a.u32(2))?;
    // SAFETY: as in sock_recv.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_mut_ptr();
    msg.msg_iovlen = iov.len().min(1024) as _;
    // SAFETY: as in sock_recv; a closed peer is EPIPE, not a signal.
    let n = retry(|| unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) })?;
    mem.write_u32(a.u32(4), n as u32)
}

/// `sock_shutdown(fd, how: sdflags)`
pub fn sock_shutdown(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let fd = socket(ctx, a.u32(0), rights::SOCK_SHUTDOWN)?;
    let how = match a.u32(1) {
        1 => libc::SHUT_RD,
        2 => libc::SHUT_WR,
        3 => libc::SHUT_RDWR,
        _ => return Err(INVAL),
    };
    // SAFETY: shutdown has no memory effects.
    errno::check(unsafe { libc::shutdown(fd, how) }).map(drop)
}
