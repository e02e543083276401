//! `poll_oneoff`: wait for clock deadlines and descriptor readiness together, with one
//! `ppoll` on the host descriptors and the nearest deadline as its timeout.
//!
//! The one WASI call that does not hold the context's lock throughout: a program's threads
//! share the context, and one thread sleeping (`sleep`, `nanosleep`: a poll on clocks alone)
//! must not stop the others' calls. A poll on descriptors keeps the lock while it waits, so
//! that no other thread can close a descriptor and have its host number reused under the
//! poll (a thread waiting to read stdin holds up the others' WASI calls meanwhile).

use super::clock_random::{host_clock, now};
use super::Args;
use crate::abi::{self, eventtype, filetype};
use crate::errno::{self, Errno, BADF, INVAL};
use crate::guest::GuestMemory;
use crate::WasiCtx;
use std::sync::Mutex;

/// Flag of a clock subscription: the timeout is an absolute time of that clock.
const ABSTIME: u16 = 1;
/// Event flag: the peer hung up.
const HANGUP: u16 = 1;

/// One event to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
    flags: u16,
}

/// Bytes that can be read from `fd` without blocking, as far as the host can tell.
fn readable(fd: i32, ft: u8) -> u64 {
    if ft == filetype::REGULAR_FILE {
        // SAFETY: lseek and fstat have no memory effects beyond the zeroed stat.
        let pos = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if pos < 0 || unsafe { libc::fstat(fd, &mut st) } != 0 {
            return 0;
        }
        return (st.st_size - pos).max(0) as u64;
    }
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } == 0 {
        n.max(0) as u64
    } else {
        0
    }
}

/// `poll_oneoff(in: *subscription, out: *event, nsubscriptions: u32, nevents: *u32)`
pub fn poll_oneoff(ctx: &Mutex<WasiCtx>, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let (sin, sout, n) = (a.u32(0), a.u32(1), a.u32(2));
    if n == 0 {
        return Err(INVAL);
    }
    let subs = mem.slice(
        sin,
        n.checked_mul(abi::SUBSCRIPTION_SIZE).ok_or(errno::FAULT)?,
    )?;
    mem.slice(sout, n.checked_mul(abi::EVENT_SIZE).ok_or(errno::FAULT)?)?;
    let start = now(libc::CLOCK_MONOTONIC)?;

    let mut events = Vec::new();
    // (userdata, nanoseconds from `start`) per clock subscription.
    let mut clocks: Vec<(u64, u64)> = Vec::new();
    // (userdata, kind, host fd, file type) per descriptor subscription, parallel to `pollfds`.
    let mut waits: Vec<(u64, u8, i32, u8)> = Vec::new();
    let mut pollfds: Vec<libc::pollfd> = Vec::new();
    let mut locked = None;
    for s in subs.chunks_exact(abi::SUBSCRIPTION_SIZE as usize) {
        let u64_at = |o: usize| u64::from_le_bytes(s[o..o + 8].try_into().unwrap());
        let u32_at = |o: usize| u32::from_le_bytes(s[o..o + 4].try_into().unwrap());
        let userdata = u64_at(0);
        let error = |kind, error| Event {
            userdata,
            error,
            kind,
            nbytes: 0,
            flags: 0,
        };
        match s[8] {
            eventtype::CLOCK => {
                let flags = u16::from_le_bytes([s[40], s[41]]);
                let Some(clock) = host_clock(u32_at(16)) else {
                    events.push(error(eventtype::CLOCK, INVAL));
                    continue;
                };
                let timeout = u64_at(24);
                let wait = if flags & ABSTIME != 0 {
                    timeout.saturating_sub(now(clock)?)
                } else {
                    timeout
                };
                clocks.push((userdata, wait));
            }
            kind @ (eventtype::FD_READ | eventtype::FD_WRITE) => {
                let ctx = locked.get_or_insert_with(|| super::lock(ctx));
                let Ok(d) = ctx.table.get(u32_at(16)) else {
                    events.push(error(kind, BADF));
                    continue;
                };
                let events = if kind == eventtype::FD_READ {
                    libc::POLLIN
                } else {
                    libc::POLLOUT
                };
                pollfds.push(libc::pollfd {
                    fd: d.raw(),
                    events,
                    revents: 0,
                });
                waits.push((userdata, kind, d.raw(), d.filetype()));
            }
            _ => return Err(INVAL),
        }
    }

    loop {
        let elapsed = now(libc::CLOCK_MONOTONIC)? - start;
        // Wait for the nearest deadline, not at all if something is already to report, and
        // without limit if there is no clock.
        let timeout = if !events.is_empty() {
            Some(0)
        } else {
            clocks.iter().map(|c| c.1.saturating_sub(elapsed)).min()
        };
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: (t / 1_000_000_000) as _,
            tv_nsec: (t % 1_000_000_000) as _,
        });
        let tsp = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: `pollfds` is a valid array of its length; `tsp` is null or a timespec.
        let r = unsafe {
            libc::ppoll(
                pollfds.as_mut_ptr(),
                pollfds.len() as _,
                tsp,
                std::ptr::null(),
            )
        };
        if r < 0 {
            if errno::last() == errno::INTR {
                continue;
            }
            return Err(errno::last());
        }
        for (p, &(userdata, kind, fd, ft)) in pollfds.iter().zip(&waits) {
            if p.revents == 0 {
                continue;
            }
            let error = if p.revents & libc::POLLNVAL != 0 {
                BADF
            } else {
                0
            };
            let nbytes = if kind == eventtype::FD_READ {
                readable(fd, ft)
            } else {
                0
            };
            let flags = if p.revents & libc::POLLHUP != 0 {
                HANGUP
            } else {
                0
            };
            events.push(Event {
                userdata,
                error,
                kind,
                nbytes,
                flags,
            });
        }
        let elapsed = now(libc::CLOCK_MONOTONIC)? - start;
        for &(userdata, wait) in &clocks {
            if wait <= elapsed {
                events.push(Event {
                    userdata,
                    error: 0,
                    kind: eventtype::CLOCK,
                    nbytes: 0,
                    flags: 0,
                });
            }
        }
        if !events.is_empty() {
            break;
        }
    }

    for (i, e) in events.iter().enumerate() {
        let mut b = [0u8; abi::EVENT_SIZE as usize];
        b[0..8].copy_from_slice(&e.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&e.error.to_le_bytes());
        b[10] = e.kind;
        b[16..24].copy_from_slice(&e.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&e.flags.to_le_bytes());
        mem.write(sout + i as u32 * abi::EVENT_SIZE, &b)?;
    }
    mem.write_u32(a.u32(3), events.len() as u32)
}
