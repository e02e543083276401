//! GC instructions: structures, arrays, i31s, casts and the conversions between `any` and
//! `extern`.
//!
//! References are 64-bit values encoded as `sowa_targets::gc` describes. Field and element
//! reads and writes, lengths, null and bounds checks, i31s, `ref.eq` and the exact-type test
//! of a cast to a concrete type are compiled in place; allocation, bulk operations and the
//! other casts call the runtime (`gc_*`, `array_*` and `ref_test` builtins). `any.convert_extern` and `extern.convert_any` compile to nothing: host
//! references are objects of the same heap.

use super::{ir_type, trap_code, trusted, FuncTranslator};
use crate::error::Result;
use cranelift_codegen::ir::{self, condcodes::IntCC, types, InstBuilder, MemFlagsData, Value};
use sowa_targets::builtins::Builtin;
use sowa_targets::gc::{heap_code, object, struct_layout, FieldType, StorageType};
use sowa_targets::vmctx::funcref;
use sowa_targets::{CompositeType, HeapType, RefType, TrapKind};
use wasmparser::Operator;

/// How a packed field is widened when read.
#[derive(Clone, Copy, PartialEq)]
enum Ext {
    Signed,
    Unsigned,
}

impl<'a, 'f> FuncTranslator<'a, 'f> {
    fn struct_fields(&self, ty: u32) -> &'a [FieldType] {
        match &self.env.manifest.info.types[ty as usize].composite {
            CompositeType::Struct(f) => f,
            _ => unreachable!("the validator checked that type {ty} is a structure"),
        }
    }

    fn array_elem(&self, ty: u32) -> FieldType {
        match &self.env.manifest.info.types[ty as usize].composite {
            CompositeType::Array(f) => *f,
            _ => unreachable!("the validator checked that type {ty} is an array"),
        }
    }

    /// Loads a field of storage `s` at `addr + offset` as its operand-stack value.
    fn load_field(&mut self, s: StorageType, ext: Ext, addr: Value, offset: i32) -> Value {
        let f = trusted();
        let ins = self.b.ins();
        match (s, ext) {
            (StorageType::I8, Ext::Signed) => ins.sload8(types::I32, f, addr, offset),
            (StorageType::I8, Ext::Unsigned) => ins.uload8(types::I32, f, addr, offset),
            (StorageType::I16, Ext::Signed) => ins.sload16(types::I32, f, addr, offset),
            (StorageType::I16, Ext::Unsigned) => ins.uload16(types::I32, f, addr, offset),
            (StorageType::Val(t), _) => ins.load(ir_type(t), f, addr, offset),
        }
    }

    /// Stores `v` into a field of storage `s` at `addr + offset`.
    fn store_field(&mut self, s: StorageType, v: Value, addr: Value, offset: i32) {
        let f = trusted();
        let ins = self.b.ins();
        match s {
            StorageType::I8 => ins.istore8(f, v, addr, offset),
            StorageType::I16 => ins.istore16(f, v, addr, offset),
            StorageType::Val(_) => ins.store(f, v, addr, offset),
        };
    }

    /// A value as the two 64-bit halves the fill builtin takes.
    fn value_bits(&mut self, v: Value) -> (Value, Value) {
        let ty = self.b.func.dfg.value_type(v);
        let zero = self.b.ins().iconst(types::I64, 0);
        let ins = self.b.ins();
        match ty {
            types::I32 => (ins.uextend(types::I64, v), zero),
            types::I64 => (v, zero),
            types::F32 => {
                let i = ins.bitcast(types::I32, MemFlagsData::new(), v);
                (self.b.ins().uextend(types::I64, i), zero)
            }
            types::F64 => (ins.bitcast(types::I64, MemFlagsData::new(), v), zero),
            _ => {
                let little = MemFlagsData::new().with_endianness(ir::Endianness::Little);
                let lanes = ins.bitcast(types::I64X2, little, v);
                let lo = self.b.ins().extractlane(lanes, 0);
                let hi = self.b.ins().extractlane(lanes, 1);
                (lo, hi)
            }
        }
    }

    /// Allocates with `builtin`, trapping when the heap is full.
    fn alloc(&mut self, builtin: Builtin, args: &[Value]) -> Value {
        let p = self.call_builtin(builtin, args)[0];
        self.b.ins().trapz(p, trap_code(TrapKind::GcHeapExhausted));
        p
    }

    /// The address of element `index` of `array` (not null), trapping when out of bounds.
    fn elem_addr(&mut self, array: Value, index: Value, size: u32) -> Value {
        let len = self
            .b
            .ins()
            .uload32(trusted(), array, object::ARRAY_LEN as i32);
        let index = self.b.ins().uextend(types::I64, index);
        let out = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.b
            .ins()
            .trapnz(out, trap_code(TrapKind::ArrayOutOfBounds));
        let scaled = self.b.ins().imul_imm_u(index, size as i64);
        let base = self.b.ins().iadd(array, scaled);
        self.b.ins().iadd_imm_u(base, object::ARRAY_ELEMS as i64)
    }

    fn non_null(&mut self, r: Value, kind: TrapKind) {
        self.b.ins().trapz(r, trap_code(kind));
    }

    /// 1 when the reference `r` is of type `to`, else 0.
    fn ref_test(&mut self, r: Value, to: RefType) -> Value {
        let types_ = &self.env.manifest.info.types[..];
        // A non-null reference is of any type at the top of its hierarchy; only null is of
        // the bottom type.
        let trivially = to.heap == to.heap.top(types_);
        let bottom = to.heap == to.heap.bottom(types_);
        let null_result = self.b.ins().iconst(types::I32, to.nullable as i64);
        if bottom {
            let is_null = self.b.ins().icmp_imm_u(IntCC::Equal, r, 0);
            let v = self.b.ins().uextend(types::I32, is_null);
            return if to.nullable {
                v
            } else {
                self.b.ins().iconst(types::I32, 0)
            };
        }
        let nonnull = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I32);
        self.b
            .ins()
            .brif(r, nonnull, &[], join, &[null_result.into()]);
        self.b.seal_block(nonnull);
        self.b.switch_to_block(nonnull);
        let v = if trivially {
            self.b.ins().iconst(types::I32, 1)
        } else if to.heap == HeapType::I31 {
            let bit = self.b.ins().band_imm_u(r, 1);
            self.b.ins().ireduce(types::I32, bit)
        } else if let HeapType::Concrete(t) = to.heap {
            self.test_concrete(r, t, join);
            return self.join(join);
        } else {
            self.call_ref_test(r, to.heap)
        };
        self.b.ins().jump(join, &[v.into()]);
        self.join(join)
    }

    fn call_ref_test(&mut self, r: Value, heap: HeapType) -> Value {
        let code = self.i32const(heap_code(heap));
        self.call_builtin(Builtin::ref_test, &[r, code])[0]
    }

    /// Ends at `join` (its parameter the answer) the test of the non-null `r` against concrete
    /// type `t`: the object's (or function's) type id against `t`'s, in place; when they
    /// differ and `t` may have subtypes, the registry decides.
    fn test_concrete(&mut self, r: Value, t: u32, join: ir::Block) {
        let sub = &self.env.manifest.info.types[t as usize];
        let (is_final, is_func) = (sub.is_final, sub.as_func().is_some());
        let expected = self.vmctx_load(types::I32, self.env.offsets.type_id(t), true);
        let actual = if is_func {
            self.b
                .ins()
                .load(types::I32, trusted(), r, funcref::TYPE_ID as i32)
        } else {
            // An i31 is of no concrete type.
            let object = self.b.create_block();
            let no = self.b.ins().iconst(types::I32, 0);
            let bit = self.b.ins().band_imm_u(r, 1);
            self.b.ins().brif(bit, join, &[no.into()], object, &[]);
            self.b.seal_block(object);
            self.b.switch_to_block(object);
            self.b
                .ins()
                .load(types::I32, trusted(), r, object::TYPE_ID as i32)
        };
        let same = self.b.ins().icmp(IntCC::Equal, actual, expected);
        if is_final {
            // A final type has no subtypes: only its own id is of it.
            let v = self.b.ins().uextend(types::I32, same);
            self.b.ins().jump(join, &[v.into()]);
            return;
        }
        let slow = self.b.create_block();
        let yes = self.b.ins().iconst(types::I32, 1);
        self.b.ins().brif(same, join, &[yes.into()], slow, &[]);
        self.b.seal_block(slow);
        self.b.switch_to_block(slow);
        let v = self.call_ref_test(r, HeapType::Concrete(t));
        self.b.ins().jump(join, &[v.into()]);
    }

    /// Seals `join` and continues there; its parameter is the answer.
    fn join(&mut self, join: ir::Block) -> Value {
        self.b.seal_block(join);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// Translates a GC operator; returns false if `op` is not one.
    pub(super) fn translate_gc(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::RefI31 => {
                let v = self.pop();
                let shifted = self.b.ins().ishl_imm_u(v, 1);
                let tagged = self.b.ins().bor_imm_u(shifted, 1);
                let r = self.b.ins().uextend(types::I64, tagged);
                self.push(r);
            }
            Operator::I31GetS | Operator::I31GetU => {
                let r = self.pop();
                self.non_null(r, TrapKind::NullI31Reference);
                let low = self.b.ins().ireduce(types::I32, r);
                let v = if matches!(op, Operator::I31GetS) {
                    self.b.ins().sshr_imm_u(low, 1)
                } else {
                    self.b.ins().ushr_imm_u(low, 1)
                };
                self.push(v);
            }
            Operator::RefEq => {
                let (a, b) = self.pop2();
                let c = self.b.ins().icmp(IntCC::Equal, a, b);
                let v = self.b.ins().uextend(types::I32, c);
                self.push(v);
            }
            Operator::AnyConvertExtern | Operator::ExternConvertAny => {}
            Operator::StructNew { struct_type_index } => {
                let fields = self.struct_fields(struct_type_index);
                let layout = struct_layout(fields);
                let t = self.i32const(struct_type_index);
                let p = self.alloc(Builtin::gc_alloc_struct, &[t]);
                let values = self.peekn(fields.len()).to_vec();
                for ((f, v), off) in fields.iter().zip(values).zip(layout.offsets) {
                    self.store_field(f.storage, v, p, off as i32);
                }
                self.stack.truncate(self.stack.len() - fields.len());
                self.push(p);
            }
            Operator::StructNewDefault { struct_type_index } => {
                let t = self.i32const(struct_type_index);
                let p = self.alloc(Builtin::gc_alloc_struct, &[t]);
                self.push(p);
            }
            Operator::StructGet {
                struct_type_index,
                field_index,
            }
            | Operator::StructGetS {
                struct_type_index,
                field_index,
            }
            | Operator::StructGetU {
                struct_type_index,
                field_index,
            } => {
                let fields = self.struct_fields(struct_type_index);
                let off = struct_layout(fields).offsets[field_index as usize];
                let r = self.pop();
                self.non_null(r, TrapKind::NullStructReference);
                let ext = if matches!(op, Operator::StructGetS { .. }) {
                    Ext::Signed
                } else {
                    Ext::Unsigned
                };
                let v = self.load_field(fields[field_index as usize].storage, ext, r, off as i32);
                self.push(v);
            }
            Operator::StructSet {
                struct_type_index,
                field_index,
            } => {
                let fields = self.struct_fields(struct_type_index);
                let off = struct_layout(fields).offsets[field_index as usize];
                let (r, v) = self.pop2();
                self.non_null(r, TrapKind::NullStructReference);
                self.store_field(fields[field_index as usize].storage, v, r, off as i32);
            }
            Operator::ArrayNew { array_type_index } => {
                let (v, n) = self.pop2();
                let t = self.i32const(array_type_index);
                let p = self.alloc(Builtin::gc_alloc_array, &[t, n]);
                let (lo, hi) = self.value_bits(v);
                let zero = self.i32const(0);
                self.call_builtin(Builtin::array_fill, &[t, p, zero, lo, hi, n]);
                self.push(p);
            }
            Operator::ArrayNewDefault { array_type_index } => {
                let n = self.pop();
                let t = self.i32const(array_type_index);
                let p = self.alloc(Builtin::gc_alloc_array, &[t, n]);
                self.push(p);
            }
            Operator::ArrayNewFixed {
                array_type_index,
                array_size,
            } => {
                let elem = self.array_elem(array_type_index);
                let size = elem.storage.byte_size();
                let t = self.i32const(array_type_index);
                let n = self.i32const(array_size);
                let p = self.alloc(Builtin::gc_alloc_array, &[t, n]);
                let values = self.peekn(array_size as usize).to_vec();
                for (k, v) in values.into_iter().enumerate() {
                    let off = object::ARRAY_ELEMS + k as u32 * size;
                    self.store_field(elem.storage, v, p, off as i32);
                }
                self.stack.truncate(self.stack.len() - array_size as usize);
                self.push(p);
            }
            Operator::ArrayNewData {
                array_type_index,
                array_data_index,
            } => self.array_from_segment(
                Builtin::array_new_data,
                array_type_index,
                array_data_index,
                TrapKind::MemoryOutOfBounds,
            ),
            Operator::ArrayNewElem {
                array_type_index,
                array_elem_index,
            } => self.array_from_segment(
                Builtin::array_new_elem,
                array_type_index,
                array_elem_index,
                TrapKind::TableOutOfBounds,
            ),
            Operator::ArrayGet { array_type_index }
            | Operator::ArrayGetS { array_type_index }
            | Operator::ArrayGetU { array_type_index } => {
                let elem = self.array_elem(array_type_index);
                let (r, i) = self.pop2();
                self.non_null(r, TrapKind::NullArrayReference);
                let addr = self.elem_addr(r, i, elem.storage.byte_size());
                let ext = if matches!(op, Operator::ArrayGetS { .. }) {
                    Ext::Signed
                } else {
                    Ext::Unsigned
                };
                let v = self.load_field(elem.storage, ext, addr, 0);
                self.push(v);
            }
            Operator::ArraySet { array_type_index } => {
                let elem = self.array_elem(array_type_index);
                let (r, i, v) = self.pop3();
                self.non_null(r, TrapKind::NullArrayReference);
                let addr = self.elem_addr(r, i, elem.storage.byte_size());
                self.store_field(elem.storage, v, addr, 0);
            }
            Operator::ArrayLen => {
                let r = self.pop();
                self.non_null(r, TrapKind::NullArrayReference);
                let len = self
                    .b
                    .ins()
                    .load(types::I32, trusted(), r, object::ARRAY_LEN as i32);
                self.push(len);
            }
            Operator::ArrayFill { array_type_index } => {
                let n = self.pop();
                let v = self.pop();
                let (r, off) = self.pop2();
                self.non_null(r, TrapKind::NullArrayReference);
                let t = self.i32const(array_type_index);
                let (lo, hi) = self.value_bits(v);
                self.call_builtin_checked(
                    Builtin::array_fill,
                    &[t, r, off, lo, hi, n],
                    TrapKind::ArrayOutOfBounds,
                );
            }
            Operator::ArrayCopy {
                array_type_index_dst,
                ..
            } => {
                let (soff, n) = self.pop2();
                let src = self.pop();
                let (dst, doff) = self.pop2();
                self.non_null(dst, TrapKind::NullArrayReference);
                self.non_null(src, TrapKind::NullArrayReference);
                let t = self.i32const(array_type_index_dst);
                self.call_builtin_checked(
                    Builtin::array_copy,
                    &[t, dst, doff, src, soff, n],
                    TrapKind::ArrayOutOfBounds,
                );
            }
            Operator::ArrayInitData {
                array_type_index,
                array_data_index,
            } => {
                let (s, n) = self.pop2();
                let (r, d) = self.pop2();
                self.non_null(r, TrapKind::NullArrayReference);
                let t = self.i32const(array_type_index);
                let seg = self.i32const(array_data_index);
                let status = self.call_builtin(Builtin::array_init_data, &[t, r, seg, d, s, n])[0];
                self.init_status(status, TrapKind::MemoryOutOfBounds);
            }
            Operator::ArrayInitElem {
                array_type_index,
                array_elem_index,
            } => {
                let (s, n) = self.pop2();
                let (r, d) = self.pop2();
                self.non_null(r, TrapKind::NullArrayReference);
                let t = self.i32const(array_type_index);
                let seg = self.i32const(array_elem_index);
                let status = self.call_builtin(Builtin::array_init_elem, &[t, r, seg, d, s, n])[0];
                self.init_status(status, TrapKind::TableOutOfBounds);
            }
            Operator::RefTestNonNull { hty } | Operator::RefTestNullable { hty } => {
                let to = RefType {
                    nullable: matches!(op, Operator::RefTestNullable { .. }),
                    heap: crate::environ::heap_type(hty, self.offset)?,
                };
                let r = self.pop();
                let v = self.ref_test(r, to);
                self.push(v);
            }
            Operator::RefCastNonNull { hty } | Operator::RefCastNullable { hty } => {
                let to = RefType {
                    nullable: matches!(op, Operator::RefCastNullable { .. }),
                    heap: crate::environ::heap_type(hty, self.offset)?,
                };
                let r = *self.stack.last().expect("validated");
                let ok = self.ref_test(r, to);
                self.b.ins().trapz(ok, trap_code(TrapKind::CastFailure));
            }
            Operator::BrOnCast {
                relative_depth,
                to_ref_type,
                ..
            }
            | Operator::BrOnCastFail {
                relative_depth,
                to_ref_type,
                ..
            } => {
                let to = crate::environ::ref_type(to_ref_type, self.offset)?;
                let r = *self.stack.last().expect("validated");
                let ok = self.ref_test(r, to);
                self.branch_if(
                    relative_depth,
                    ok,
                    matches!(op, Operator::BrOnCastFail { .. }),
                );
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `array.new_data` or `array.new_elem` (`builtin`) of array type `ty` from segment `seg`:
    /// the builtin answers 1 when the segment is too short (trap `short`), 0 when the heap is
    /// full.
    fn array_from_segment(&mut self, builtin: Builtin, ty: u32, seg: u32, short: TrapKind) {
        let (off, n) = self.pop2();
        let t = self.i32const(ty);
        let s = self.i32const(seg);
        let p = self.call_builtin(builtin, &[t, s, off, n])[0];
        let too_short = self.b.ins().icmp_imm_u(IntCC::Equal, p, 1);
        self.b.ins().trapnz(too_short, trap_code(short));
        self.b.ins().trapz(p, trap_code(TrapKind::GcHeapExhausted));
        self.push(p);
    }

    /// Traps on an `array.init_*` status: 1 out of the array, 2 out of the segment (`seg`).
    fn init_status(&mut self, status: Value, seg: TrapKind) {
        let array = self.b.ins().icmp_imm_u(IntCC::Equal, status, 1);
        self.b
            .ins()
            .trapnz(array, trap_code(TrapKind::ArrayOutOfBounds));
        self.b.ins().trapnz(status, trap_code(seg));
    }
}
