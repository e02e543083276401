//! 128-bit SIMD: every `v128` operator of WebAssembly 2.0, onto Cranelift's vector types.
//!
//! On the operand stack, in locals and across blocks a `v128` is an `I8X16`; each operator
//! bitcasts its operands to the lane type it works on (`I32X4`, `F64X2`, ...) and its result back.
//! Where Wasm and Cranelift differ in meaning, the translation says how: shift counts are taken
//! modulo the lane width, and `pmin`/`pmax` are the comparison-and-select Wasm defines, not IEEE
//! `minimum`/`maximum`.

use super::FuncTranslator;
use crate::error::Result;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, Endianness, InstBuilder, InstructionData, MemFlagsData, Opcode, Type, Value,
};
use wasmparser::{MemArg, Operator};

use types::{F32X4, F64X2, I16, I16X8, I32, I32X4, I64X2, I8, I8X16};

/// Flags of a bitcast between vector types: lanes are numbered as in memory, little-endian.
fn lanes() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

impl<'a, 'f> FuncTranslator<'a, 'f> {
    /// `v` viewed as `ty` (a no-op when it already is).
    pub(super) fn as_type(&mut self, v: Value, ty: Type) -> Value {
        if self.b.func.dfg.value_type(v) == ty {
            v
        } else {
            self.b.ins().bitcast(ty, lanes(), v)
        }
    }

    /// `v` in the lane type it was computed in, before its bitcast to the stack's `I8X16`: a
    /// store writes the same bytes either way, and a float vector stored as floats stays in the
    /// float domain (`movupd`, not `movdqu`), as Wasmtime stores it.
    fn as_computed(&self, v: Value) -> Value {
        let dfg = &self.b.func.dfg;
        match dfg.value_def(v).inst().map(|i| &dfg.insts[i]) {
            Some(InstructionData::LoadNoOffset {
                opcode: Opcode::Bitcast,
                arg,
                ..
            }) if dfg.value_type(*arg).is_vector() => *arg,
            _ => v,
        }
    }

    /// Pops a `v128` as lanes of `ty`.
    pub(super) fn pop_v(&mut self, ty: Type) -> Value {
        let v = self.pop();
        self.as_type(v, ty)
    }

    fn pop2_v(&mut self, ty: Type) -> (Value, Value) {
        let b = self.pop_v(ty);
        let a = self.pop_v(ty);
        (a, b)
    }

    /// Pushes a vector result in the stack's canonical `I8X16` form.
    pub(super) fn push_v(&mut self, v: Value) {
        let v = self.as_type(v, I8X16);
        self.push(v);
    }

    fn unop_v(&mut self, ty: Type, f: impl FnOnce(&mut Self, Value) -> Value) {
        let a = self.pop_v(ty);
        let r = f(self, a);
        self.push_v(r);
    }

    fn binop_v(&mut self, ty: Type, f: impl FnOnce(&mut Self, Value, Value) -> Value) {
        let (a, b) = self.pop2_v(ty);
        let r = f(self, a, b);
        self.push_v(r);
    }

    fn icmp_v(&mut self, ty: Type, cc: IntCC) {
        self.binop_v(ty, |t, a, b| t.b.ins().icmp(cc, a, b));
    }

    fn fcmp_v(&mut self, ty: Type, cc: FloatCC) {
        self.binop_v(ty, |t, a, b| t.b.ins().fcmp(cc, a, b));
    }

    /// A shift: Wasm takes the count modulo the lane width.
    fn shift_v(&mut self, ty: Type, op: fn(&mut Self, Value, Value) -> Value) {
        let count = self.pop();
        let a = self.pop_v(ty);
        let masked = self
            .b
            .ins()
            .band_imm_u(count, i64::from(ty.lane_bits()) - 1);
        let r = op(self, a, masked);
        self.push_v(r);
    }

    /// A scalar as a lane of `ty` (i8 and i16 lanes come from an i32).
    fn lane_scalar(&mut self, v: Value, ty: Type) -> Value {
        match ty.lane_type() {
            I8 | I16 => self.b.ins().ireduce(ty.lane_type(), v),
            _ => v,
        }
    }

    fn splat_v(&mut self, ty: Type) {
        let x = self.pop();
        let x = self.lane_scalar(x, ty);
        let r = self.b.ins().splat(ty, x);
        self.push_v(r);
    }

    fn extract_v(&mut self, ty: Type, lane: u8, signed: Option<bool>) {
        let v = self.pop_v(ty);
        let x = self.b.ins().extractlane(v, lane);
        let x = match signed {
            Some(true) => self.b.ins().sextend(I32, x),
            Some(false) => self.b.ins().uextend(I32, x),
            None => x,
        };
        self.push(x);
    }

    fn replace_v(&mut self, ty: Type, lane: u8) {
        let x = self.pop();
        let v = self.pop_v(ty);
        let x = self.lane_scalar(x, ty);
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_v(r);
    }

    /// A `v128` constant of `bytes` (little-endian lanes).
    fn vconst(&mut self, bytes: [u8; 16]) -> Value {
        let c = self.b.func.dfg.constants.insert(bytes.to_vec().into());
        self.b.ins().vconst(I8X16, c)
    }

    /// An all-zero vector of `ty`, made as a constant of that type: backends match
    /// `snarrow(fcvt_to_sint_sat(x), vconst 0)` as one instruction, which a bitcast would hide.
    fn zero_v(&mut self, ty: Type) -> Value {
        let c = self.b.func.dfg.constants.insert(vec![0u8; 16].into());
        self.b.ins().vconst(ty, c)
    }

    /// The address and folded offset of a SIMD memory access of `bytes` (popping the index).
    fn simd_addr(&mut self, memarg: &MemArg, bytes: u32) -> (Value, i32) {
        let index = self.pop();
        self.heap_addr(memarg, index, bytes)
    }

    /// A scalar load of `ty` from memory, for splats and lane loads.
    fn load_scalar(&mut self, memarg: &MemArg, ty: Type) -> Value {
        let (addr, off) = self.simd_addr(memarg, ty.bytes());
        self.b.ins().load(ty, self.heap_flags, addr, off)
    }

    fn load_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) {
        let v = self.pop_v(ty);
        let x = self.load_scalar(memarg, ty.lane_type());
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_v(r);
    }

    fn store_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) {
        let v = self.pop_v(ty);
        let x = self.b.ins().extractlane(v, lane);
        let (addr, off) = self.simd_addr(memarg, ty.lane_type().bytes());
        self.b.ins().store(self.heap_flags, x, addr, off);
    }

    /// Widens the low or high half of `a` (lanes of `ty`), signed or not.
    fn widen(&mut self, a: Value, high: bool, signed: bool) -> Value {
        let ins = self.b.ins();
        match (high, signed) {
            (false, true) => ins.swiden_low(a),
            (true, true) => ins.swiden_high(a),
            (false, false) => ins.uwiden_low(a),
            (true, false) => ins.uwiden_high(a),
        }
    }

    fn extend_v(&mut self, from: Type, high: bool, signed: bool) {
        let a = self.pop_v(from);
        let r = self.widen(a, high, signed);
        self.push_v(r);
    }

    /// `extmul`: the products of the widened low or high halves.
    fn extmul_v(&mut self, from: Type, high: bool, signed: bool) {
        let (a, b) = self.pop2_v(from);
        let a = self.widen(a, high, signed);
        let b = self.widen(b, high, signed);
        let r = self.b.ins().imul(a, b);
        self.push_v(r);
    }

    /// `extadd_pairwise`: sums of adjacent lanes, widened.
    fn extadd_pairwise_v(&mut self, from: Type, signed: bool) {
        let a = self.pop_v(from);
        let lo = self.widen(a, false, signed);
        let hi = self.widen(a, true, signed);
        let r = self.b.ins().iadd_pairwise(lo, hi);
        self.push_v(r);
    }

    /// `pmin`/`pmax`: `b < a ? b : a` and `a < b ? b : a`, NaNs and zeros as they fall.
    fn pminmax_v(&mut self, ty: Type, max: bool) {
        let (a, b) = self.pop2_v(ty);
        let (x, y) = if max { (a, b) } else { (b, a) };
        let lt = self.b.ins().fcmp(FloatCC::LessThan, x, y);
        let mask = self.as_type(lt, ty);
        let r = self.b.ins().bitselect(mask, b, a);
        self.push_v(r);
    }

    /// Translates a SIMD operator; returns false if `op` is not one.
    pub(super) fn translate_simd(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        let heap = self.heap_flags;
        match op {
            O::V128Load { memarg } => {
                let (addr, off) = self.simd_addr(memarg, 16);
                let v = self.b.ins().load(I8X16, heap, addr, off);
                self.push(v);
            }
            O::V128Store { memarg } => {
                let v = self.pop();
                let v = self.as_computed(v);
                let (addr, off) = self.simd_addr(memarg, 16);
                self.b.ins().store(heap, v, addr, off);
            }
            O::V128Load8x8S { memarg } => self.ext_load(memarg, |i, a, o| i.sload8x8(heap, a, o)),
            O::V128Load8x8U { memarg } => self.ext_load(memarg, |i, a, o| i.uload8x8(heap, a, o)),
            O::V128Load16x4S { memarg } => self.ext_load(memarg, |i, a, o| i.sload16x4(heap, a, o)),
            O::V128Load16x4U { memarg } => self.ext_load(memarg, |i, a, o| i.uload16x4(heap, a, o)),
            O::V128Load32x2S { memarg } => self.ext_load(memarg, |i, a, o| i.sload32x2(heap, a, o)),
            O::V128Load32x2U { memarg } => self.ext_load(memarg, |i, a, o| i.uload32x2(heap, a, o)),
            O::V128Load8Splat { memarg } => self.load_splat(memarg, I8X16),
            O::V128Load16Splat { memarg } => self.load_splat(memarg, I16X8),
            O::V128Load32Splat { memarg } => self.load_splat(memarg, I32X4),
            O::V128Load64Splat { memarg } => self.load_splat(memarg, I64X2),
            O::V128Load32Zero { memarg } => self.load_zero(memarg, I32X4),
            O::V128Load64Zero { memarg } => self.load_zero(memarg, I64X2),
            O::V128Load8Lane { memarg, lane } => self.load_lane(memarg, I8X16, *lane),
            O::V128Load16Lane { memarg, lane } => self.load_lane(memarg, I16X8, *lane),
            O::V128Load32Lane { memarg, lane } => self.load_lane(memarg, I32X4, *lane),
            O::V128Load64Lane { memarg, lane } => self.load_lane(memarg, I64X2, *lane),
            O::V128Store8Lane { memarg, lane } => self.store_lane(memarg, I8X16, *lane),
            O::V128Store16Lane { memarg, lane } => self.store_lane(memarg, I16X8, *lane),
            O::V128Store32Lane { memarg, lane } => self.store_lane(memarg, I32X4, *lane),
            O::V128Store64Lane { memarg, lane } => self.store_lane(memarg, I64X2, *lane),

            O::V128Const { value } => {
                let v = self.vconst(*value.bytes());
                self.push(v);
            }
            O::I8x16Shuffle { lanes } => {
                let (a, b) = self.pop2_v(I8X16);
                let mask = self.b.func.dfg.immediates.push(lanes.to_vec().into());
                let r = self.b.ins().shuffle(a, b, mask);
                self.push(r);
            }
            O::I8x16Swizzle => self.binop_v(I8X16, |t, a, b| t.b.ins().swizzle(a, b)),
            O::I8x16Splat => self.splat_v(I8X16),
            O::I16x8Splat => self.splat_v(I16X8),
            O::I32x4Splat => self.splat_v(I32X4),
            O::I64x2Splat => self.splat_v(I64X2),
            O::F32x4Splat => self.splat_v(F32X4),
            O::F64x2Splat => self.splat_v(F64X2),
            O::I8x16ExtractLaneS { lane } => self.extract_v(I8X16, *lane, Some(true)),
            O::I8x16ExtractLaneU { lane } => self.extract_v(I8X16, *lane, Some(false)),
            O::I16x8ExtractLaneS { lane } => self.extract_v(I16X8, *lane, Some(true)),
            O::I16x8ExtractLaneU { lane } => self.extract_v(I16X8, *lane, Some(false)),
            O::I32x4ExtractLane { lane } => self.extract_v(I32X4, *lane, None),
            O::I64x2ExtractLane { lane } => self.extract_v(I64X2, *lane, None),
            O::F32x4ExtractLane { lane } => self.extract_v(F32X4, *lane, None),
            O::F64x2ExtractLane { lane } => self.extract_v(F64X2, *lane, None),
            O::I8x16ReplaceLane { lane } => self.replace_v(I8X16, *lane),
            O::I16x8ReplaceLane { lane } => self.replace_v(I16X8, *lane),
            O::I32x4ReplaceLane { lane } => self.replace_v(I32X4, *lane),
            O::I64x2ReplaceLane { lane } => self.replace_v(I64X2, *lane),
            O::F32x4ReplaceLane { lane } => self.replace_v(F32X4, *lane),
            O::F64x2ReplaceLane { lane } => self.replace_v(F64X2, *lane),

            O::I8x16Eq => self.icmp_v(I8X16, IntCC::Equal),
            O::I8x16Ne => self.icmp_v(I8X16, IntCC::NotEqual),
            O::I8x16LtS => self.icmp_v(I8X16, IntCC::SignedLessThan),
            O::I8x16LtU => self.icmp_v(I8X16, IntCC::UnsignedLessThan),
            O::I8x16GtS => self.icmp_v(I8X16, IntCC::SignedGreaterThan),
            O::I8x16GtU => self.icmp_v(I8X16, IntCC::UnsignedGreaterThan),
            O::I8x16LeS => self.icmp_v(I8X16, IntCC::SignedLessThanOrEqual),
            O::I8x16LeU => self.icmp_v(I8X16, IntCC::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.icmp_v(I8X16, IntCC::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.icmp_v(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            O::I16x8Eq => self.icmp_v(I16X8, IntCC::Equal),
            O::I16x8Ne => self.icmp_v(I16X8, IntCC::NotEqual),
            O::I16x8LtS => self.icmp_v(I16X8, IntCC::SignedLessThan),
            O::I16x8LtU => self.icmp_v(I16X8, IntCC::UnsignedLessThan),
            O::I16x8GtS => self.icmp_v(I16X8, IntCC::SignedGreaterThan),
            O::I16x8GtU => self.icmp_v(I16X8, IntCC::UnsignedGreaterThan),
            O::I16x8LeS => self.icmp_v(I16X8, IntCC::SignedLessThanOrEqual),
            O::I16x8LeU => self.icmp_v(I16X8, IntCC::UnsignedLessThanOrEqual),
            O::I16x8GeS => self.icmp_v(I16X8, IntCC::SignedGreaterThanOrEqual),
            O::I16x8GeU => self.icmp_v(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            O::I32x4Eq => self.icmp_v(I32X4, IntCC::Equal),
            O::I32x4Ne => self.icmp_v(I32X4, IntCC::NotEqual),
            O::I32x4LtS => self.icmp_v(I32X4, IntCC::SignedLessThan),
            O::I32x4LtU => self.icmp_v(I32X4, IntCC::UnsignedLessThan),
            O::I32x4GtS => self.icmp_v(I32X4, IntCC::SignedGreaterThan),
            O::I32x4GtU => self.icmp_v(I32X4, IntCC::UnsignedGreaterThan),
            O::I32x4LeS => self.icmp_v(I32X4, IntCC::SignedLessThanOrEqual),
            O::I32x4LeU => self.icmp_v(I32X4, IntCC::UnsignedLessThanOrEqual),
            O::I32x4GeS => self.icmp_v(I32X4, IntCC::SignedGreaterThanOrEqual),
            O::I32x4GeU => self.icmp_v(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            O::I64x2Eq => self.icmp_v(I64X2, IntCC::Equal),
            O::I64x2Ne => self.icmp_v(I64X2, IntCC::NotEqual),
            O::I64x2LtS => self.icmp_v(I64X2, IntCC::SignedLessThan),
            O::I64x2GtS => self.icmp_v(I64X2, IntCC::SignedGreaterThan),
            O::I64x2LeS => self.icmp_v(I64X2, IntCC::SignedLessThanOrEqual),
            O::I64x2GeS => self.icmp_v(I64X2, IntCC::SignedGreaterThanOrEqual),
            O::F32x4Eq => self.fcmp_v(F32X4, FloatCC::Equal),
            O::F32x4Ne => self.fcmp_v(F32X4, FloatCC::NotEqual),
            O::F32x4Lt => self.fcmp_v(F32X4, FloatCC::LessThan),
            O::F32x4Gt => self.fcmp_v(F32X4, FloatCC::GreaterThan),
            O::F32x4Le => self.fcmp_v(F32X4, FloatCC::LessThanOrEqual),
            O::F32x4Ge => self.fcmp_v(F32X4, FloatCC::GreaterThanOrEqual),
            O::F64x2Eq => self.fcmp_v(F64X2, FloatCC::Equal),
            O::F64x2Ne => self.fcmp_v(F64X2, FloatCC::NotEqual),
            O::F64x2Lt => self.fcmp_v(F64X2, FloatCC::LessThan),
            O::F64x2Gt => self.fcmp_v(F64X2, FloatCC::GreaterThan),
            O::F64x2Le => self.fcmp_v(F64X2, FloatCC::LessThanOrEqual),
            O::F64x2Ge => self.fcmp_v(F64X2, FloatCC::GreaterThanOrEqual),

            O::V128Not => self.unop_v(I8X16, |t, a| t.b.ins().bnot(a)),
            O::V128And => self.binop_v(I8X16, |t, a, b| t.b.ins().band(a, b)),
            O::V128AndNot => self.binop_v(I8X16, |t, a, b| t.b.ins().band_not(a, b)),
            O::V128Or => self.binop_v(I8X16, |t, a, b| t.b.ins().bor(a, b)),
            O::V128Xor => self.binop_v(I8X16, |t, a, b| t.b.ins().bxor(a, b)),
            O::V128Bitselect => {
                let c = self.pop_v(I8X16);
                let (a, b) = self.pop2_v(I8X16);
                let r = self.b.ins().bitselect(c, a, b);
                self.push(r);
            }
            O::V128AnyTrue => {
                let a = self.pop_v(I8X16);
                let t = self.b.ins().vany_true(a);
                let r = self.b.ins().uextend(I32, t);
                self.push(r);
            }
            O::I8x16AllTrue => self.all_true(I8X16),
            O::I16x8AllTrue => self.all_true(I16X8),
            O::I32x4AllTrue => self.all_true(I32X4),
            O::I64x2AllTrue => self.all_true(I64X2),
            O::I8x16Bitmask => self.bitmask(I8X16),
            O::I16x8Bitmask => self.bitmask(I16X8),
            O::I32x4Bitmask => self.bitmask(I32X4),
            O::I64x2Bitmask => self.bitmask(I64X2),

            O::I8x16Abs => self.unop_v(I8X16, |t, a| t.b.ins().iabs(a)),
            O::I16x8Abs => self.unop_v(I16X8, |t, a| t.b.ins().iabs(a)),
            O::I32x4Abs => self.unop_v(I32X4, |t, a| t.b.ins().iabs(a)),
            O::I64x2Abs => self.unop_v(I64X2, |t, a| t.b.ins().iabs(a)),
            O::I8x16Neg => self.unop_v(I8X16, |t, a| t.b.ins().ineg(a)),
            O::I16x8Neg => self.unop_v(I16X8, |t, a| t.b.ins().ineg(a)),
            O::I32x4Neg => self.unop_v(I32X4, |t, a| t.b.ins().ineg(a)),
            O::I64x2Neg => self.unop_v(I64X2, |t, a| t.b.ins().ineg(a)),
            O::I8x16Popcnt => self.unop_v(I8X16, |t, a| t.b.ins().popcnt(a)),
            O::I8x16NarrowI16x8S => self.binop_v(I16X8, |t, a, b| t.b.ins().snarrow(a, b)),
            O::I8x16NarrowI16x8U => self.binop_v(I16X8, |t, a, b| t.b.ins().unarrow(a, b)),
            O::I16x8NarrowI32x4S => self.binop_v(I32X4, |t, a, b| t.b.ins().snarrow(a, b)),
            O::I16x8NarrowI32x4U => self.binop_v(I32X4, |t, a, b| t.b.ins().unarrow(a, b)),

            O::I8x16Shl => self.shift_v(I8X16, |t, a, n| t.b.ins().ishl(a, n)),
            O::I8x16ShrS => self.shift_v(I8X16, |t, a, n| t.b.ins().sshr(a, n)),
            O::I8x16ShrU => self.shift_v(I8X16, |t, a, n| t.b.ins().ushr(a, n)),
            O::I16x8Shl => self.shift_v(I16X8, |t, a, n| t.b.ins().ishl(a, n)),
            O::I16x8ShrS => self.shift_v(I16X8, |t, a, n| t.b.ins().sshr(a, n)),
            O::I16x8ShrU => self.shift_v(I16X8, |t, a, n| t.b.ins().ushr(a, n)),
            O::I32x4Shl => self.shift_v(I32X4, |t, a, n| t.b.ins().ishl(a, n)),
            O::I32x4ShrS => self.shift_v(I32X4, |t, a, n| t.b.ins().sshr(a, n)),
            O::I32x4ShrU => self.shift_v(I32X4, |t, a, n| t.b.ins().ushr(a, n)),
            O::I64x2Shl => self.shift_v(I64X2, |t, a, n| t.b.ins().ishl(a, n)),
            O::I64x2ShrS => self.shift_v(I64X2, |t, a, n| t.b.ins().sshr(a, n)),
            O::I64x2ShrU => self.shift_v(I64X2, |t, a, n| t.b.ins().ushr(a, n)),

            O::I8x16Add => self.binop_v(I8X16, |t, a, b| t.b.ins().iadd(a, b)),
            O::I16x8Add => self.binop_v(I16X8, |t, a, b| t.b.ins().iadd(a, b)),
            O::I32x4Add => self.binop_v(I32X4, |t, a, b| t.b.ins().iadd(a, b)),
            O::I64x2Add => self.binop_v(I64X2, |t, a, b| t.b.ins().iadd(a, b)),
            O::I8x16Sub => self.binop_v(I8X16, |t, a, b| t.b.ins().isub(a, b)),
            O::I16x8Sub => self.binop_v(I16X8, |t, a, b| t.b.ins().isub(a, b)),
            O::I32x4Sub => self.binop_v(I32X4, |t, a, b| t.b.ins().isub(a, b)),
            O::I64x2Sub => self.binop_v(I64X2, |t, a, b| t.b.ins().isub(a, b)),
            O::I16x8Mul => self.binop_v(I16X8, |t, a, b| t.b.ins().imul(a, b)),
            O::I32x4Mul => self.binop_v(I32X4, |t, a, b| t.b.ins().imul(a, b)),
            O::I64x2Mul => self.binop_v(I64X2, |t, a, b| t.b.ins().imul(a, b)),
            O::I8x16AddSatS => self.binop_v(I8X16, |t, a, b| t.b.ins().sadd_sat(a, b)),
            O::I8x16AddSatU => self.binop_v(I8X16, |t, a, b| t.b.ins().uadd_sat(a, b)),
            O::I16x8AddSatS => self.binop_v(I16X8, |t, a, b| t.b.ins().sadd_sat(a, b)),
            O::I16x8AddSatU => self.binop_v(I16X8, |t, a, b| t.b.ins().uadd_sat(a, b)),
            O::I8x16SubSatS => self.binop_v(I8X16, |t, a, b| t.b.ins().ssub_sat(a, b)),
            O::I8x16SubSatU => self.binop_v(I8X16, |t, a, b| t.b.ins().usub_sat(a, b)),
            O::I16x8SubSatS => self.binop_v(I16X8, |t, a, b| t.b.ins().ssub_sat(a, b)),
            O::I16x8SubSatU => self.binop_v(I16X8, |t, a, b| t.b.ins().usub_sat(a, b)),
            O::I8x16MinS => self.binop_v(I8X16, |t, a, b| t.b.ins().smin(a, b)),
            O::I8x16MinU => self.binop_v(I8X16, |t, a, b| t.b.ins().umin(a, b)),
            O::I8x16MaxS => self.binop_v(I8X16, |t, a, b| t.b.ins().smax(a, b)),
            O::I8x16MaxU => self.binop_v(I8X16, |t, a, b| t.b.ins().umax(a, b)),
            O::I16x8MinS => self.binop_v(I16X8, |t, a, b| t.b.ins().smin(a, b)),
            O::I16x8MinU => self.binop_v(I16X8, |t, a, b| t.b.ins().umin(a, b)),
            O::I16x8MaxS => self.binop_v(I16X8, |t, a, b| t.b.ins().smax(a, b)),
            O::I16x8MaxU => self.binop_v(I16X8, |t, a, b| t.b.ins().umax(a, b)),
            O::I32x4MinS => self.binop_v(I32X4, |t, a, b| t.b.ins().smin(a, b)),
            O::I32x4MinU => self.binop_v(I32X4, |t, a, b| t.b.ins().umin(a, b)),
            O::I32x4MaxS => self.binop_v(I32X4, |t, a, b| t.b.ins().smax(a, b)),
            O::I32x4MaxU => self.binop_v(I32X4, |t, a, b| t.b.ins().umax(a, b)),
            O::I8x16AvgrU => self.binop_v(I8X16, |t, a, b| t.b.ins().avg_round(a, b)),
            O::I16x8AvgrU => self.binop_v(I16X8, |t, a, b| t.b.ins().avg_round(a, b)),
            O::I16x8Q15MulrSatS => self.binop_v(I16X8, |t, a, b| t.b.ins().sqmul_round_sat(a, b)),
            O::I32x4DotI16x8S => {
                let (a, b) = self.pop2_v(I16X8);
                let (alo, ahi) = (self.widen(a, false, true), self.widen(a, true, true));
                let (blo, bhi) = (self.widen(b, false, true), self.widen(b, true, true));
                let lo = self.b.ins().imul(alo, blo);
                let hi = self.b.ins().imul(ahi, bhi);
                let r = self.b.ins().iadd_pairwise(lo, hi);
                self.push_v(r);
            }

            O::I16x8ExtendLowI8x16S => self.extend_v(I8X16, false, true),
            O::I16x8ExtendHighI8x16S => self.extend_v(I8X16, true, true),
            O::I16x8ExtendLowI8x16U => self.extend_v(I8X16, false, false),
            O::I16x8ExtendHighI8x16U => self.extend_v(I8X16, true, false),
            O::I32x4ExtendLowI16x8S => self.extend_v(I16X8, false, true),
            O::I32x4ExtendHighI16x8S => self.extend_v(I16X8, true, true),
            O::I32x4ExtendLowI16x8U => self.extend_v(I16X8, false, false),
            O::I32x4ExtendHighI16x8U => self.extend_v(I16X8, true, false),
            O::I64x2ExtendLowI32x4S => self.extend_v(I32X4, false, true),
            O::I64x2ExtendHighI32x4S => self.extend_v(I32X4, true, true),
            O::I64x2ExtendLowI32x4U => self.extend_v(I32X4, false, false),
            O::I64x2ExtendHighI32x4U => self.extend_v(I32X4, true, false),
            O::I16x8ExtMulLowI8x16S => self.extmul_v(I8X16, false, true),
            O::I16x8ExtMulHighI8x16S => self.extmul_v(I8X16, true, true),
            O::I16x8ExtMulLowI8x16U => self.extmul_v(I8X16, false, false),
            O::I16x8ExtMulHighI8x16U => self.extmul_v(I8X16, true, false),
            O::I32x4ExtMulLowI16x8S => self.extmul_v(I16X8, false, true),
            O::I32x4ExtMulHighI16x8S => self.extmul_v(I16X8, true, true),
            O::I32x4ExtMulLowI16x8U => self.extmul_v(I16X8, false, false),
            O::I32x4ExtMulHighI16x8U => self.extmul_v(I16X8, true, false),
            O::I64x2ExtMulLowI32x4S => self.extmul_v(I32X4, false, true),
            O::I64x2ExtMulHighI32x4S => self.extmul_v(I32X4, true, true),
            O::I64x2ExtMulLowI32x4U => self.extmul_v(I32X4, false, false),
            O::I64x2ExtMulHighI32x4U => self.extmul_v(I32X4, true, false),
            O::I16x8ExtAddPairwiseI8x16S => self.extadd_pairwise_v(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.extadd_pairwise_v(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.extadd_pairwise_v(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.extadd_pairwise_v(I16X8, false),

            O::F32x4Abs => self.unop_v(F32X4, |t, a| t.b.ins().fabs(a)),
            O::F64x2Abs => self.unop_v(F64X2, |t, a| t.b.ins().fabs(a)),
            O::F32x4Neg => self.unop_v(F32X4, |t, a| t.b.ins().fneg(a)),
            O::F64x2Neg => self.unop_v(F64X2, |t, a| t.b.ins().fneg(a)),
            O::F32x4Sqrt => self.unop_v(F32X4, |t, a| t.b.ins().sqrt(a)),
            O::F64x2Sqrt => self.unop_v(F64X2, |t, a| t.b.ins().sqrt(a)),
            O::F32x4Ceil => self.unop_v(F32X4, |t, a| t.b.ins().ceil(a)),
            O::F64x2Ceil => self.unop_v(F64X2, |t, a| t.b.ins().ceil(a)),
            O::F32x4Floor => self.unop_v(F32X4, |t, a| t.b.ins().floor(a)),
            O::F64x2Floor => self.unop_v(F64X2, |t, a| t.b.ins().floor(a)),
            O::F32x4Trunc => self.unop_v(F32X4, |t, a| t.b.ins().trunc(a)),
            O::F64x2Trunc => self.unop_v(F64X2, |t, a| t.b.ins().trunc(a)),
            O::F32x4Nearest => self.unop_v(F32X4, |t, a| t.b.ins().nearest(a)),
            O::F64x2Nearest => self.unop_v(F64X2, |t, a| t.b.ins().nearest(a)),
            O::F32x4Add => self.binop_v(F32X4, |t, a, b| t.b.ins().fadd(a, b)),
            O::F64x2Add => self.binop_v(F64X2, |t, a, b| t.b.ins().fadd(a, b)),
            O::F32x4Sub => self.binop_v(F32X4, |t, a, b| t.b.ins().fsub(a, b)),
            O::F64x2Sub => self.binop_v(F64X2, |t, a, b| t.b.ins().fsub(a, b)),
            O::F32x4Mul => self.binop_v(F32X4, |t, a, b| t.b.ins().fmul(a, b)),
            O::F64x2Mul => self.binop_v(F64X2, |t, a, b| t.b.ins().fmul(a, b)),
            O::F32x4Div => self.binop_v(F32X4, |t, a, b| t.b.ins().fdiv(a, b)),
            O::F64x2Div => self.binop_v(F64X2, |t, a, b| t.b.ins().fdiv(a, b)),
            O::F32x4Min => self.binop_v(F32X4, |t, a, b| t.b.ins().fmin(a, b)),
            O::F64x2Min => self.binop_v(F64X2, |t, a, b| t.b.ins().fmin(a, b)),
            O::F32x4Max => self.binop_v(F32X4, |t, a, b| t.b.ins().fmax(a, b)),
            O::F64x2Max => self.binop_v(F64X2, |t, a, b| t.b.ins().fmax(a, b)),
            O::F32x4PMin => self.pminmax_v(F32X4, false),
            O::F64x2PMin => self.pminmax_v(F64X2, false),
            O::F32x4PMax => self.pminmax_v(F32X4, true),
            O::F64x2PMax => self.pminmax_v(F64X2, true),

            O::I32x4TruncSatF32x4S => {
                self.unop_v(F32X4, |t, a| t.b.ins().fcvt_to_sint_sat(I32X4, a))
            }
            O::I32x4TruncSatF32x4U => {
                self.unop_v(F32X4, |t, a| t.b.ins().fcvt_to_uint_sat(I32X4, a))
            }
            O::I32x4TruncSatF64x2SZero => self.unop_v(F64X2, |t, a| {
                let wide = t.b.ins().fcvt_to_sint_sat(I64X2, a);
                let zero = t.zero_v(I64X2);
                t.b.ins().snarrow(wide, zero)
            }),
            O::I32x4TruncSatF64x2UZero => self.unop_v(F64X2, |t, a| {
                let wide = t.b.ins().fcvt_to_uint_sat(I64X2, a);
                let zero = t.zero_v(I64X2);
                t.b.ins().uunarrow(wide, zero)
            }),
            O::F32x4ConvertI32x4S => self.unop_v(I32X4, |t, a| t.b.ins().fcvt_from_sint(F32X4, a)),
            O::F32x4ConvertI32x4U => self.unop_v(I32X4, |t, a| t.b.ins().fcvt_from_uint(F32X4, a)),
            O::F64x2ConvertLowI32x4S => self.unop_v(I32X4, |t, a| {
                let wide = t.widen(a, false, true);
                t.b.ins().fcvt_from_sint(F64X2, wide)
            }),
            O::F64x2ConvertLowI32x4U => self.unop_v(I32X4, |t, a| {
                let wide = t.widen(a, false, false);
                t.b.ins().fcvt_from_uint(F64X2, wide)
            }),
            O::F32x4DemoteF64x2Zero => self.unop_v(F64X2, |t, a| t.b.ins().fvdemote(a)),
            O::F64x2PromoteLowF32x4 => self.unop_v(F32X4, |t, a| t.b.ins().fvpromote_low(a)),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn ext_load(
        &mut self,
        memarg: &MemArg,
        load: impl FnOnce(cranelift_frontend::FuncInstBuilder<'_, 'f>, Value, i32) -> Value,
    ) {
        // Every extending load reads 8 bytes.
        let (addr, off) = self.simd_addr(memarg, 8);
        let v = load(self.b.ins(), addr, off);
        self.push_v(v);
    }

    fn load_splat(&mut self, memarg: &MemArg, ty: Type) {
        let x = self.load_scalar(memarg, ty.lane_type());
        let r = self.b.ins().splat(ty, x);
        self.push_v(r);
    }

    fn load_zero(&mut self, memarg: &MemArg, ty: Type) {
        let x = self.load_scalar(memarg, ty.lane_type());
        let r = self.b.ins().scalar_to_vector(ty, x);
        self.push_v(r);
    }

    fn all_true(&mut self, ty: Type) {
        let a = self.pop_v(ty);
        let t = self.b.ins().vall_true(a);
        let r = self.b.ins().uextend(I32, t);
        self.push(r);
    }

    fn bitmask(&mut self, ty: Type) {
        let a = self.pop_v(ty);
        let r = self.b.ins().vhigh_bits(I32, a);
        self.push(r);
    }
}
