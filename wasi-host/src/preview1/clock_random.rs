//! Clocks and randomness.

use super::{errno_of, u32_arg};
use crate::errno::{self, Errno};
use crate::guest::GuestMemory;
use crate::WasiCtx;
use sowa_runtime::{Trap, Val};

/// The host clock for a WASI clock id.
fn host_clock(id: u32) -> Option<libc::clockid_t> {
    match id {
        0 => Some(libc::CLOCK_REALTIME),
        1 => Some(libc::CLOCK_MONOTONIC),
        2 => Some(libc::CLOCK_PROCESS_CPUTIME_ID),
        3 => Some(libc::CLOCK_THREAD_CPUTIME_ID),
        _ => None,
    }
}

fn nanos(ts: libc::timespec) -> u64 {
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `clock_res_get(id, resolution: *u64)`
pub fn clock_res_get(
    _: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    args: &[Val],
) -> Result<Errno, Trap> {
    let Some(clock) = host_clock(u32_arg(args, 0)) else {
        return Ok(errno::INVAL);
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid clock id and out-pointer.
    if unsafe { libc::clock_getres(clock, &mut ts) } != 0 {
        return Ok(errno::last());
    }
    errno_of(mem.write_u64(u32_arg(args, 1), nanos(ts)))
}

/// `clock_time_get(id, precision: u64, time: *u64)`
pub fn clock_time_get(
    _: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    args: &[Val],
) -> Result<Errno, Trap> {
    let Some(clock) = host_clock(u32_arg(args, 0)) else {
        return Ok(errno::INVAL);
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid clock id and out-pointer.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Ok(errno::last());
    }
    errno_of(mem.write_u64(u32_arg(args, 2), nanos(ts)))
}

/// `random_get(buf: *u8, len: u32)`
pub fn random_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, args: &[Val]) -> Result<Errno, Trap> {
    let buf = match mem.slice_mut(u32_arg(args, 0), u32_arg(args, 1)) {
        Ok(b) => b,
        Err(e) => return Ok(e),
    };
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: writing into the checked guest slice.
        let n = unsafe {
            libc::getrandom(
                buf[filled..].as_mut_ptr() as *mut libc::c_void,
                buf.len() - filled,
                0,
            )
        };
        if n < 0 {
            return Ok(errno::last());
        }
        filled += n as usize;
    }
    Ok(errno::SUCCESS)
}
