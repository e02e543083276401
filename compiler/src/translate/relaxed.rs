//! Relaxed SIMD, deterministically: each operator computes one of the results the proposal
//! allows, the same one on every target, so a module gives the same answers on x86-64 and on
//! aarch64 (and from one run to the next, as the proposal requires).
//!
//! | operator | result | as |
//! |---|---|---|
//! | `i8x16.relaxed_swizzle` | lanes of indices past 15 are 0 | `i8x16.swizzle` |
//! | `i32x4.relaxed_trunc_*` | NaN gives 0, out of range saturates | `i32x4.trunc_sat_*` |
//! | `f32x4/f64x2.relaxed_madd` | `a * b + c`, rounded twice (not fused) | `mul`, then `add` |
//! | `f32x4/f64x2.relaxed_nmadd` | `-(a * b) + c`, rounded twice | `neg`, `mul`, `add` |
//! | `*.relaxed_laneselect` | bit by bit from the mask | `v128.bitselect` |
//! | `f32x4/f64x2.relaxed_min/max` | NaN-propagating, `-0 < +0` | `min`, `max` |
//! | `i16x8.relaxed_q15mulr_s` | saturates `-32768 * -32768` | `i16x8.q15mulr_sat_s` |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s` | both operands signed, pairs added wrapping | |
//! | `i32x4.relaxed_dot_i8x16_i7x16_add_s` | the same, then pairs widened, added, plus `c` | |
//!
//! The multiply-adds are not fused because x86-64 before Haswell has no fused instruction and
//! sowa's x86-64 baseline does not require one; Wasmtime's deterministic mode fuses them, and
//! its default mode fuses where the CPU can, so a module that depends on the rounding may
//! differ from Wasmtime (the proposal allows both). The dot products are what aarch64's
//! `smull` and `addp` compute, and on x86-64 the same arithmetic spelled out.

use super::FuncTranslator;
use crate::error::Result;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use wasmparser::Operator;

use types::{F32X4, F64X2, I32X4, I8X16};

impl<'a, 'f> FuncTranslator<'a, 'f> {
    /// Translates a relaxed SIMD operator; returns false if `op` is not one.
    pub(super) fn translate_relaxed_simd(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        let same_as = match op {
            O::I8x16RelaxedSwizzle => O::I8x16Swizzle,
            O::I32x4RelaxedTruncF32x4S => O::I32x4TruncSatF32x4S,
            O::I32x4RelaxedTruncF32x4U => O::I32x4TruncSatF32x4U,
            O::I32x4RelaxedTruncF64x2SZero => O::I32x4TruncSatF64x2SZero,
            O::I32x4RelaxedTruncF64x2UZero => O::I32x4TruncSatF64x2UZero,
            O::I8x16RelaxedLaneselect
            | O::I16x8RelaxedLaneselect
            | O::I32x4RelaxedLaneselect
            | O::I64x2RelaxedLaneselect => O::V128Bitselect,
            O::F32x4RelaxedMin => O::F32x4Min,
            O::F32x4RelaxedMax => O::F32x4Max,
            O::F64x2RelaxedMin => O::F64x2Min,
            O::F64x2RelaxedMax => O::F64x2Max,
            O::I16x8RelaxedQ15mulrS => O::I16x8Q15MulrSatS,
            O::F32x4RelaxedMadd | O::F32x4RelaxedNmadd => {
                self.multiply_add(F32X4, matches!(op, O::F32x4RelaxedNmadd));
                return Ok(true);
            }
            O::F64x2RelaxedMadd | O::F64x2RelaxedNmadd => {
                self.multiply_add(F64X2, matches!(op, O::F64x2RelaxedNmadd));
                return Ok(true);
            }
            O::I16x8RelaxedDotI8x16I7x16S => {
                let b = self.pop_v(I8X16);
                let a = self.pop_v(I8X16);
                let d = self.dot_i8_pairs(a, b);
                self.push_v(d);
                return Ok(true);
            }
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                let c = self.pop_v(I32X4);
                let b = self.pop_v(I8X16);
                let a = self.pop_v(I8X16);
                let d = self.dot_i8_pairs(a, b);
                let lo = self.b.ins().swiden_low(d);
                let hi = self.b.ins().swiden_high(d);
                let sums = self.b.ins().iadd_pairwise(lo, hi);
                let r = self.b.ins().iadd(sums, c);
                self.push_v(r);
                return Ok(true);
            }
            _ => return Ok(false),
        };
        self.translate_simd(&same_as)
    }

    /// `a * b + c` (with `negate`: `-(a * b) + c`), lanes of `ty`, rounded after each step.
    fn multiply_add(&mut self, ty: types::Type, negate: bool) {
        let c = self.pop_v(ty);
        let b = self.pop_v(ty);
        let mut a = self.pop_v(ty);
        if negate {
            a = self.b.ins().fneg(a);
        }
        let p = self.b.ins().fmul(a, b);
        let r = self.b.ins().fadd(p, c);
        self.push_v(r);
    }

    /// Products of the signed bytes of `a` and `b`, added in pairs into 16-bit lanes,
    /// wrapping: lane `i` is `a[2i]*b[2i] + a[2i+1]*b[2i+1]` modulo 2^16.
    fn dot_i8_pairs(&mut self, a: Value, b: Value) -> Value {
        let (a_lo, a_hi) = (self.b.ins().swiden_low(a), self.b.ins().swiden_high(a));
        let (b_lo, b_hi) = (self.b.ins().swiden_low(b), self.b.ins().swiden_high(b));
        let lo = self.b.ins().imul(a_lo, b_lo);
        let hi = self.b.ins().imul(a_hi, b_hi);
        self.b.ins().iadd_pairwise(lo, hi)
    }
}
