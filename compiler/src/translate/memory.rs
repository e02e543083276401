//! Linear memory: loads, stores, size, grow and the bulk-memory operators.
//!
//! 32-bit memories are reserved whole with guard pages behind them (see the runtime), so an access
//! is `base + zext(index) + offset` with no bounds check: an out-of-bounds access faults and the
//! fault is reported as the trap recorded for the instruction. Two kinds of memory are checked
//! against their length instead (`index + offset + size <= length`): a memory of custom page
//! size, which can end inside a host page where no guard can start, and a 64-bit memory, whose
//! indices no reservation covers (there the sum is computed with an overflow trap).
//!
//! Addresses and lengths reach the runtime's builtins as 64-bit values, zero-extended from a
//! 32-bit memory's.

use super::{trap_code, trusted, FuncTranslator};
use crate::error::Result;
use cranelift_codegen::ir::{types, AliasRegion, InstBuilder, MemFlagsData, Type, Value};
use sowa_targets::builtins::Builtin;
use sowa_targets::vmctx::memory;
use sowa_targets::TrapKind;
use wasmparser::{MemArg, Operator};

/// How a load extends its value.
#[derive(Clone, Copy)]
enum Ext {
    None,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
}

impl<'a, 'f> FuncTranslator<'a, 'f> {
    /// Loads each memory's base address once per function, from its copy in the context (one
    /// load, not two through the record): bases never move, because the whole address range a
    /// memory may grow into is reserved up front.
    pub(super) fn load_memory_bases(&mut self) {
        self.mem_types = self.env.manifest.info.memory_types().collect();
        for i in 0..self.env.offsets.counts.memories {
            let off = self.env.offsets.memory_base(i);
            let base = self.vmctx_load(types::I64, off, true);
            self.mem_bases.push(base);
        }
    }

    fn memory_def(&mut self, index: u32) -> Value {
        let off = self.env.offsets.memory_ptr(index);
        self.vmctx_load(types::I64, off, true)
    }

    /// The current length in bytes of memory `index` (not read-only: it grows).
    pub(super) fn memory_length(&mut self, index: u32) -> Value {
        let def = self.memory_def(index);
        self.b
            .ins()
            .load(types::I64, trusted(), def, memory::LENGTH as i32)
    }

    /// Flags of an access to linear memory, in `region` (see `regions`).
    pub(super) fn heap_flags_in(region: AliasRegion) -> MemFlagsData {
        MemFlagsData::new()
            .with_endianness(cranelift_codegen::ir::Endianness::Little)
            .with_trap_code(Some(trap_code(TrapKind::MemoryOutOfBounds)))
            .with_alias_region(Some(region))
    }

    /// `v` (an address, length or page count of a 32-bit or 64-bit memory) as an `i64`.
    pub(super) fn widen_addr(&mut self, v: Value) -> Value {
        if self.b.func.dfg.value_type(v) == types::I64 {
            v
        } else {
            self.b.ins().uextend(types::I64, v)
        }
    }

    /// An `i64` from the runtime as the memory's index type (`i32` unless `memory64`).
    fn narrow_addr(&mut self, v: Value, memory64: bool) -> Value {
        if memory64 {
            v
        } else {
            self.b.ins().ireduce(types::I32, v)
        }
    }

    /// The native address of an access of `bytes` at `index + memarg.offset`, and the static
    /// offset left to fold; traps first when the memory needs explicit bounds checks and the
    /// access is out of bounds.
    pub(super) fn heap_addr(&mut self, memarg: &MemArg, index: Value, bytes: u32) -> (Value, i32) {
        let wasmparser::MemArgTarget::Memory(mem) = memarg.target else {
            unreachable!("GC arrays are not enabled")
        };
        let base = self.mem_bases[mem as usize];
        let idx = self.widen_addr(index);
        let ty = self.mem_types[mem as usize];
        if ty.memory64 || ty.page_size() != sowa_targets::types::WASM_PAGE_SIZE {
            let len = self.memory_length(mem);
            let oob = trap_code(TrapKind::MemoryOutOfBounds);
            // An offset and size past 2^64 saturate to all ones, which no memory reaches; an
            // index that carries the sum past 2^64 traps in the add.
            let reach = memarg.offset.saturating_add(bytes as u64);
            let reach = self.b.ins().iconst(types::I64, reach as i64);
            let end = self.b.ins().uadd_overflow_trap(idx, reach, oob);
            let out = self.b.ins().icmp(
                cranelift_codegen::ir::condcodes::IntCC::UnsignedGreaterThan,
                end,
                len,
            );
            self.b.ins().trapnz(out, oob);
        }
        let addr = self.b.ins().iadd(base, idx);
        match i32::try_from(memarg.offset) {
            Ok(o) => (addr, o),
            Err(_) => {
                let addr = self.b.ins().iadd_imm_u(addr, memarg.offset as i64);
                (addr, 0)
            }
        }
    }

    fn load(&mut self, memarg: &MemArg, ty: Type, ext: Ext) {
        let index = self.pop();
        let bytes = match ext {
            Ext::S8 | Ext::U8 => 1,
            Ext::S16 | Ext::U16 => 2,
            Ext::S32 | Ext::U32 => 4,
            Ext::None => ty.bytes(),
        };
        let (addr, off) = self.heap_addr(memarg, index, bytes);
        let f = self.heap_flags;
        let ins = self.b.ins();
        let v = match ext {
            Ext::None => ins.load(ty, f, addr, off),
            Ext::S8 => ins.sload8(ty, f, addr, off),
            Ext::U8 => ins.uload8(ty, f, addr, off),
            Ext::S16 => ins.sload16(ty, f, addr, off),
            Ext::U16 => ins.uload16(ty, f, addr, off),
            Ext::S32 => ins.sload32(f, addr, off),
            Ext::U32 => ins.uload32(f, addr, off),
        };
        self.push(v);
    }

    fn store(&mut self, memarg: &MemArg, bytes: u8) {
        let (index, v) = self.pop2();
        let (addr, off) = self.heap_addr(memarg, index, bytes as u32);
        let f = self.heap_flags;
        let wide = self.b.func.dfg.value_type(v) == types::I64;
        let ins = self.b.ins();
        match bytes {
            1 => ins.istore8(f, v, addr, off),
            2 => ins.istore16(f, v, addr, off),
            4 if wide => ins.istore32(f, v, addr, off),
            _ => ins.store(f, v, addr, off),
        };
    }

    /// Translates a memory operator; returns false if `op` is not one.
    pub(super) fn translate_memory(&mut self, op: &Operator<'_>) -> Result<bool> {
        use types::{F32, F64, I32, I64};
        match op {
            Operator::I32Load { memarg } => self.load(memarg, I32, Ext::None),
            Operator::I64Load { memarg } => self.load(memarg, I64, Ext::None),
            Operator::F32Load { memarg } => self.load(memarg, F32, Ext::None),
            Operator::F64Load { memarg } => self.load(memarg, F64, Ext::None),
            Operator::I32Load8S { memarg } => self.load(memarg, I32, Ext::S8),
            Operator::I32Load8U { memarg } => self.load(memarg, I32, Ext::U8),
            Operator::I32Load16S { memarg } => self.load(memarg, I32, Ext::S16),
            Operator::I32Load16U { memarg } => self.load(memarg, I32, Ext::U16),
            Operator::I64Load8S { memarg } => self.load(memarg, I64, Ext::S8),
            Operator::I64Load8U { memarg } => self.load(memarg, I64, Ext::U8),
            Operator::I64Load16S { memarg } => self.load(memarg, I64, Ext::S16),
            Operator::I64Load16U { memarg } => self.load(memarg, I64, Ext::U16),
            Operator::I64Load32S { memarg } => self.load(memarg, I64, Ext::S32),
            Operator::I64Load32U { memarg } => self.load(memarg, I64, Ext::U32),
            Operator::I32Store { memarg } | Operator::F32Store { memarg } => self.store(memarg, 4),
            Operator::I64Store { memarg } | Operator::F64Store { memarg } => self.store(memarg, 8),
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(memarg, 1)
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(memarg, 2)
            }
            Operator::I64Store32 { memarg } => self.store(memarg, 4),
            Operator::MemorySize { mem } => {
                let len = self.memory_length(*mem);
                let ty = self.mem_types[*mem as usize];
                let pages = self.b.ins().ushr_imm_u(len, ty.page_size_log2 as i64);
                let v = self.narrow_addr(pages, ty.memory64);
                self.push(v);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop();
                let delta = self.widen_addr(delta);
                let m = self.i32const(*mem);
                let r = self.call_builtin(Builtin::memory_grow, &[m, delta])[0];
                let r = self.narrow_addr(r, self.mem_types[*mem as usize].memory64);
                self.push(r);
            }
            Operator::MemoryFill { mem } => {
                let (dst, val, len) = self.pop3();
                let (dst, len) = (self.widen_addr(dst), self.widen_addr(len));
                let m = self.i32const(*mem);
                self.call_builtin_checked(
                    Builtin::memory_fill,
                    &[m, dst, val, len],
                    TrapKind::MemoryOutOfBounds,
                );
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3();
                let (dst, src, len) = (
                    self.widen_addr(dst),
                    self.widen_addr(src),
                    self.widen_addr(len),
                );
                let d = self.i32const(*dst_mem);
                let s = self.i32const(*src_mem);
                self.call_builtin_checked(
                    Builtin::memory_copy,
                    &[d, s, dst, src, len],
                    TrapKind::MemoryOutOfBounds,
                );
            }
            Operator::MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3();
                let dst = self.widen_addr(dst);
                let m = self.i32const(*mem);
                let d = self.i32const(*data_index);
                self.call_builtin_checked(
                    Builtin::memory_init,
                    &[m, d, dst, src, len],
                    TrapKind::MemoryOutOfBounds,
                );
            }
            Operator::DataDrop { data_index } => {
                let d = self.i32const(*data_index);
                self.call_builtin(Builtin::data_drop, &[d]);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
