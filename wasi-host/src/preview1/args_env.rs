//! `args_*` and `environ_*`.

use super::Args;
use crate::errno::Errno;
use crate::guest::GuestMemory;
use crate::WasiCtx;

fn sizes(list: &[String], mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    let bytes: usize = list.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(a.u32(0), list.len() as u32)?;
    mem.write_u32(a.u32(1), bytes as u32)
}

/// `args_sizes_get(argc: *u32, argv_buf_size: *u32)`
pub fn args_sizes_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    sizes(&ctx.args, mem, a)
}

/// `args_get(argv: **u8, argv_buf: *u8)`
pub fn args_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    mem.write_string_list(&ctx.args, a.u32(0), a.u32(1))
}

/// `environ_sizes_get(count: *u32, buf_size: *u32)`
pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args,
) -> Result<(), Errno> {
    sizes(&ctx.env, mem, a)
}

/// `environ_get(environ: **u8, environ_buf: *u8)`
pub fn environ_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, a: &Args) -> Result<(), Errno> {
    mem.write_string_list(&ctx.env, a.u32(0), a.u32(1))
}
