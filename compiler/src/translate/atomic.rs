//! The threads proposal's operators: atomic loads, stores, read-modify-writes and
//! compare-exchanges, `atomic.fence`, and `memory.atomic.wait32/64` / `notify`.
//!
//! Every atomic access checks, in this order, that its effective address is aligned to its
//! size ("unaligned atomic") and that it lies in the memory (explicitly, against the current
//! length, rather than by the guard pages plain accesses rely on: the read-modify-write loops
//! Cranelift emits need not fault at a recorded instruction, and atomics are rare enough that
//! the compare costs nothing measurable). Accesses narrower than their value type use
//! Cranelift's narrow atomics and zero-extend, as the proposal defines. Waiting and waking go
//! to the runtime (see its `memory/parking.rs`); a wait on an unshared memory traps, as nothing
//! could ever wake it, and a notify there wakes no one.

use super::{trap_code, FuncTranslator};
use crate::error::Result;
use cranelift_codegen::ir::{condcodes::IntCC, types, AtomicRmwOp, InstBuilder, Type, Value};
use sowa_targets::builtins::Builtin;
use sowa_targets::TrapKind;
use wasmparser::{MemArg, Operator};

/// What an atomic operator does, with the width of its memory access.
enum Op {
    Load,
    Store,
    Rmw(AtomicRmwOp),
    Cmpxchg,
}

/// `(operator, value type, access type)` of each load, store, read-modify-write and exchange.
fn classify(op: &Operator<'_>) -> Option<(Op, MemArg, Type, Type)> {
    use types::{I16, I32, I64, I8};
    use Operator as O;
    let (kind, m, ty, access) = match *op {
        O::I32AtomicLoad { memarg } => (Op::Load, memarg, I32, I32),
        O::I64AtomicLoad { memarg } => (Op::Load, memarg, I64, I64),
        O::I32AtomicLoad8U { memarg } => (Op::Load, memarg, I32, I8),
        O::I32AtomicLoad16U { memarg } => (Op::Load, memarg, I32, I16),
        O::I64AtomicLoad8U { memarg } => (Op::Load, memarg, I64, I8),
        O::I64AtomicLoad16U { memarg } => (Op::Load, memarg, I64, I16),
        O::I64AtomicLoad32U { memarg } => (Op::Load, memarg, I64, I32),
        O::I32AtomicStore { memarg } => (Op::Store, memarg, I32, I32),
        O::I64AtomicStore { memarg } => (Op::Store, memarg, I64, I64),
        O::I32AtomicStore8 { memarg } => (Op::Store, memarg, I32, I8),
        O::I32AtomicStore16 { memarg } => (Op::Store, memarg, I32, I16),
        O::I64AtomicStore8 { memarg } => (Op::Store, memarg, I64, I8),
        O::I64AtomicStore16 { memarg } => (Op::Store, memarg, I64, I16),
        O::I64AtomicStore32 { memarg } => (Op::Store, memarg, I64, I32),
        O::I32AtomicRmwCmpxchg { memarg } => (Op::Cmpxchg, memarg, I32, I32),
        O::I64AtomicRmwCmpxchg { memarg } => (Op::Cmpxchg, memarg, I64, I64),
        O::I32AtomicRmw8CmpxchgU { memarg } => (Op::Cmpxchg, memarg, I32, I8),
        O::I32AtomicRmw16CmpxchgU { memarg } => (Op::Cmpxchg, memarg, I32, I16),
        O::I64AtomicRmw8CmpxchgU { memarg } => (Op::Cmpxchg, memarg, I64, I8),
        O::I64AtomicRmw16CmpxchgU { memarg } => (Op::Cmpxchg, memarg, I64, I16),
        O::I64AtomicRmw32CmpxchgU { memarg } => (Op::Cmpxchg, memarg, I64, I32),
        _ => return rmw(op),
    };
    Some((kind, m, ty, access))
}

/// The read-modify-write operators: seven widths of six operations.
fn rmw(op: &Operator<'_>) -> Option<(Op, MemArg, Type, Type)> {
    use types::{I16, I32, I64, I8};
    use AtomicRmwOp as R;
    use Operator as O;
    macro_rules! widths {
        ($r:expr, $w32:ident, $w64:ident, $w32_8:ident, $w32_16:ident, $w64_8:ident,
         $w64_16:ident, $w64_32:ident) => {
            match *op {
                O::$w32 { memarg } => Some(($r, memarg, I32, I32)),
                O::$w64 { memarg } => Some(($r, memarg, I64, I64)),
                O::$w32_8 { memarg } => Some(($r, memarg, I32, I8)),
                O::$w32_16 { memarg } => Some(($r, memarg, I32, I16)),
                O::$w64_8 { memarg } => Some(($r, memarg, I64, I8)),
                O::$w64_16 { memarg } => Some(($r, memarg, I64, I16)),
                O::$w64_32 { memarg } => Some(($r, memarg, I64, I32)),
                _ => None,
            }
        };
    }
    let found = widths!(
        R::Add,
        I32AtomicRmwAdd,
        I64AtomicRmwAdd,
        I32AtomicRmw8AddU,
        I32AtomicRmw16AddU,
        I64AtomicRmw8AddU,
        I64AtomicRmw16AddU,
        I64AtomicRmw32AddU
    )
    .or(widths!(
        R::Sub,
        I32AtomicRmwSub,
        I64AtomicRmwSub,
        I32AtomicRmw8SubU,
        I32AtomicRmw16SubU,
        I64AtomicRmw8SubU,
        I64AtomicRmw16SubU,
        I64AtomicRmw32SubU
    ))
    .or(widths!(
        R::And,
        I32AtomicRmwAnd,
        I64AtomicRmwAnd,
        I32AtomicRmw8AndU,
        I32AtomicRmw16AndU,
        I64AtomicRmw8AndU,
        I64AtomicRmw16AndU,
        I64AtomicRmw32AndU
    ))
    .or(widths!(
        R::Or,
        I32AtomicRmwOr,
        I64AtomicRmwOr,
        I32AtomicRmw8OrU,
        I32AtomicRmw16OrU,
        I64AtomicRmw8OrU,
        I64AtomicRmw16OrU,
        I64AtomicRmw32OrU
    ))
    .or(widths!(
        R::Xor,
        I32AtomicRmwXor,
        I64AtomicRmwXor,
        I32AtomicRmw8XorU,
        I32AtomicRmw16XorU,
        I64AtomicRmw8XorU,
        I64AtomicRmw16XorU,
        I64AtomicRmw32XorU
    ))
    .or(widths!(
        R::Xchg,
        I32AtomicRmwXchg,
        I64AtomicRmwXchg,
        I32AtomicRmw8XchgU,
        I32AtomicRmw16XchgU,
        I64AtomicRmw8XchgU,
        I64AtomicRmw16XchgU,
        I64AtomicRmw32XchgU
    ));
    found.map(|(r, m, t, a)| (Op::Rmw(r), m, t, a))
}

impl<'a, 'f> FuncTranslator<'a, 'f> {
    /// The native address of an atomic access of `bytes` at `index + memarg.offset`, after the
    /// alignment and bounds checks.
    fn atomic_addr(&mut self, memarg: &MemArg, index: Value, bytes: u32) -> Value {
        let wasmparser::MemArgTarget::Memory(mem) = memarg.target else {
            unreachable!("GC arrays are not enabled")
        };
        let idx = self.widen_addr(index);
        // The effective address: at most 2^64 + 2^64 for a 64-bit memory, so the add traps
        // on overflow (no memory reaches that far).
        let oob = trap_code(TrapKind::MemoryOutOfBounds);
        let offset = self.b.ins().iconst(types::I64, memarg.offset as i64);
        let ea = self.b.ins().uadd_overflow_trap(idx, offset, oob);
        if bytes > 1 {
            let low = self.b.ins().band_imm_u(ea, bytes as i64 - 1);
            self.b
                .ins()
                .trapnz(low, trap_code(TrapKind::UnalignedAtomic));
        }
        let len = self.memory_length(mem);
        // `ea + bytes` cannot overflow: ea is below 2^64 - 2^32 for any memory that exists.
        let end = self.b.ins().iadd_imm_u(ea, bytes as i64);
        let out = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
        self.b.ins().trapnz(out, oob);
        let base = self.mem_bases[mem as usize];
        self.b.ins().iadd(base, ea)
    }

    fn atomic(&mut self, kind: Op, memarg: &MemArg, ty: Type, access: Type) {
        let flags = self.heap_flags;
        let bytes = access.bytes();
        // The operands above the address.
        let operands = match kind {
            Op::Load => 0,
            Op::Store | Op::Rmw(_) => 1,
            Op::Cmpxchg => 2,
        };
        let args = self.peekn(operands).to_vec();
        self.stack.truncate(self.stack.len() - operands);
        let index = self.pop();
        let addr = self.atomic_addr(memarg, index, bytes);
        let narrow = |t: &mut Self, v: Value| {
            if access == ty {
                v
            } else {
                t.b.ins().ireduce(access, v)
            }
        };
        let widen = |t: &mut Self, v: Value| {
            if access == ty {
                v
            } else {
                t.b.ins().uextend(ty, v)
            }
        };
        match kind {
            Op::Load => {
                let v = self.b.ins().atomic_load(access, flags, addr);
                let v = widen(self, v);
                self.push(v);
            }
            Op::Store => {
                let v = narrow(self, args[0]);
                self.b.ins().atomic_store(flags, v, addr);
            }
            Op::Rmw(op) => {
                let v = narrow(self, args[0]);
                let old = self.b.ins().atomic_rmw(access, flags, op, addr, v);
                let old = widen(self, old);
                self.push(old);
            }
            Op::Cmpxchg => {
                let expected = narrow(self, args[0]);
                let replacement = narrow(self, args[1]);
                let old = self.b.ins().atomic_cas(flags, addr, expected, replacement);
                let old = widen(self, old);
                self.push(old);
            }
        }
    }

    fn wait_or_notify(&mut self, op: &Operator<'_>) -> bool {
        // The access size, and the operands above the address.
        let (memarg, bytes, above) = match *op {
            Operator::MemoryAtomicNotify { memarg } => (memarg, 4, 1),
            Operator::MemoryAtomicWait32 { memarg } => (memarg, 4, 2),
            Operator::MemoryAtomicWait64 { memarg } => (memarg, 8, 2),
            _ => return false,
        };
        let wasmparser::MemArgTarget::Memory(mem) = memarg.target else {
            unreachable!("GC arrays are not enabled")
        };
        let shared = self.mem_types[mem as usize].shared;
        let operands = self.peekn(above).to_vec();
        self.stack.truncate(self.stack.len() - above);
        let index = self.pop();
        let addr = self.atomic_addr(&memarg, index, bytes);
        let r = match (op, shared) {
            (Operator::MemoryAtomicNotify { .. }, false) => self.b.ins().iconst(types::I32, 0),
            (Operator::MemoryAtomicNotify { .. }, true) => {
                self.call_builtin(Builtin::memory_atomic_notify, &[addr, operands[0]])[0]
            }
            (_, false) => {
                // A trap that always fires, keeping the block open for the (dead) code after.
                let zero = self.b.ins().iconst(types::I32, 0);
                self.b
                    .ins()
                    .trapz(zero, trap_code(TrapKind::AtomicWaitNonSharedMemory));
                zero
            }
            (Operator::MemoryAtomicWait32 { .. }, true) => self.call_builtin(
                Builtin::memory_atomic_wait32,
                &[addr, operands[0], operands[1]],
            )[0],
            (_, true) => self.call_builtin(
                Builtin::memory_atomic_wait64,
                &[addr, operands[0], operands[1]],
            )[0],
        };
        self.push(r);
        true
    }

    /// Translates a threads operator; returns false if `op` is not one.
    pub(super) fn translate_atomic(&mut self, op: &Operator<'_>) -> Result<bool> {
        if let Operator::AtomicFence { .. } = op {
            self.b.ins().fence();
            return Ok(true);
        }
        if self.wait_or_notify(op) {
            return Ok(true);
        }
        let Some((kind, memarg, ty, access)) = classify(op) else {
            return Ok(false);
        };
        self.atomic(kind, &memarg, ty, access);
        Ok(true)
    }
}
