//! The process: exit, signals and yield.

use super::Args;
use crate::errno::{self, Errno};
use crate::guest::GuestMemory;
use crate::WasiCtx;
use sowa_runtime::Trap;

/// `proc_exit(code)`: ends the program by unwinding out of wasm with the code.
pub fn exit(code: i32) -> Trap {
    Trap::exit(code)
}

/// `proc_raise(sig)`: delivers a signal to the program, as the host would to a process.
///
/// The program has no signal handlers (preview1 cannot install any), so each signal takes its
/// default action: those that terminate or dump core end the program with the status a shell
/// reports for a process killed by that signal (128 + its number on this host), those whose
/// default is to be ignored (`CHLD`, `URG`, `WINCH`, and `CONT`) return success. The runner's
/// own process is never signalled: one program's `raise(SIGKILL)` must not take the host down
/// with it. Stop signals (`STOP`, `TSTP`, `TTIN`, `TTOU`) are refused with `NOTSUP`: stopping
/// would stop the whole host.
pub fn raise(sig: u32) -> Result<Errno, Trap> {
    use libc::*;
    let host = match sig {
        0 => return Ok(errno::SUCCESS),
        1 => SIGHUP,
        2 => SIGINT,
        3 => SIGQUIT,
        4 => SIGILL,
        5 => SIGTRAP,
        6 => SIGABRT,
        7 => SIGBUS,
        8 => SIGFPE,
        9 => SIGKILL,
        10 => SIGUSR1,
        11 => SIGSEGV,
        12 => SIGUSR2,
        13 => SIGPIPE,
        14 => SIGALRM,
        15 => SIGTERM,
        16 | 17 | 22 | 27 => return Ok(errno::SUCCESS), // CHLD, CONT, URG, WINCH
        18..=21 => return Ok(errno::NOTSUP),            // STOP, TSTP, TTIN, TTOU
        23 => SIGXCPU,
        24 => SIGXFSZ,
        25 => SIGVTALRM,
        26 => SIGPROF,
        28 => SIGIO,
        29 => SIGPWR,
        30 => SIGSYS,
        _ => return Ok(errno::INVAL),
    };
    Err(Trap::exit(128 + host))
}

/// `sched_yield()`
pub fn sched_yield(_: &mut WasiCtx, _: &mut GuestMemory<'_>, _: &Args) -> Result<(), Errno> {
    std::thread::yield_now();
    Ok(())
}
