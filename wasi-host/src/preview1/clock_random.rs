//! Clocks and randomness.

use super::Args;
use crate::errno::{self, Errno};
use crate::guest::GuestMemory;
use crate::WasiCtx;

/// The host clock for a WASI clock id.
pub(super) fn host_clock(id: u32) -> Option<libc::clockid_t> {
    match id {
        0 => Some(libc::CLOCK_REALTIME),
        1 => Some(libc::CLOCK_MONOTONIC),
        2 => Some(libc::CLOCK_PROCESS_CPUTIME_ID),
        3 => Some(libc::CLOCK_THREAD_CPUTIME_ID),
        _ => None,
    }
}

/// The time of `clock` in nanoseconds.
pub(super) fn now(clock: libc::clockid_t) -> Result<u64, Errno> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and out-pointer.
    errno::check(unsafe { libc::clock_gettime(clock, &mut ts) })?;
    Ok(nanos(ts))
}

fn nanos(ts: libc::timespec) -> u64 {
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `clock_res_get(id, resolution: *u64)`
pub fn clock_res_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let clock = host_clock(a.u32(0)).ok_or(errno::INVAL)?;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and out-pointer.
    errno::check(unsafe { libc::clock_getres(clock, &mut ts) })?;
    mem.write_u64(a.u32(1), nanos(ts))
}

/// `clock_time_get(id, precision: u64, time: *u64)`
pub fn clock_time_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let clock = host_clock(a.u32(0)).ok_or(errno::INVAL)?;
    mem.write_u64(a.u32(2), now(clock)?)
}

/// `random_get(buf: *u8, len: u32)`
pub fn random_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let buf = mem.slice_mut(a.u32(0), a.u32(1))?;
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: writing into the checked guest slice.
        let n =
            unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n < 0 && errno::last() == errno::INTR {
            continue;
        }
        filled += errno::check(n)? as usize;
    }
    Ok(())
}
