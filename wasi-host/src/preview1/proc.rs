//! The process: exit and yield.

use crate::errno::{Errno, SUCCESS};
use crate::guest::GuestMemory;
use crate::WasiCtx;
use sowa_runtime::{Trap, Val};

/// `proc_exit(code)`: ends the program by unwinding out of wasm with the code.
pub fn exit(args: &[Val]) -> Trap {
    Trap::exit(args[0].i32().unwrap_or(0))
}

/// `sched_yield()`
pub fn sched_yield(_: &mut WasiCtx, _: &mut GuestMemory<'_>, _: &[Val]) -> Result<Errno, Trap> {
    std::thread::yield_now();
    Ok(SUCCESS)
}
