//! `args_*` and `environ_*`.

use super::{errno_of, u32_arg};
use crate::errno::Errno;
use crate::guest::GuestMemory;
use crate::WasiCtx;
use sowa_runtime::{Trap, Val};

fn sizes(list: &[String], mem: &mut GuestMemory<'_>, args: &[Val]) -> Result<Errno, Trap> {
    let bytes: usize = list.iter().map(|s| s.len() + 1).sum();
    errno_of(
        mem.write_u32(u32_arg(args, 0), list.len() as u32)
            .and_then(|_| mem.write_u32(u32_arg(args, 1), bytes as u32)),
    )
}

/// `args_sizes_get(argc: *u32, argv_buf_size: *u32)`
pub fn args_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    args: &[Val],
) -> Result<Errno, Trap> {
    sizes(&ctx.args, mem, args)
}

/// `args_get(argv: **u8, argv_buf: *u8)`
pub fn args_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, args: &[Val]) -> Result<Errno, Trap> {
    errno_of(mem.write_string_list(&ctx.args, u32_arg(args, 0), u32_arg(args, 1)))
}

/// `environ_sizes_get(count: *u32, buf_size: *u32)`
pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    args: &[Val],
) -> Result<Errno, Trap> {
    sizes(&ctx.env, mem, args)
}

/// `environ_get(environ: **u8, environ_buf: *u8)`
pub fn environ_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    args: &[Val],
) -> Result<Errno, Trap> {
    errno_of(mem.write_string_list(&ctx.env, u32_arg(args, 0), u32_arg(args, 1)))
}
