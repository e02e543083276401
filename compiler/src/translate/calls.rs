//! Calls, tables and references.
//!
//! A direct call to a defined function is a near call patched when the text is laid out; a call to
//! an imported function goes through its funcref record in the vmctx. `call_indirect` checks the
//! table bounds, null and the canonical signature id before calling through the funcref.

use super::exceptions::Callee;
use super::{trap_code, trusted, trusted_readonly, wasm_signature, FuncTranslator};
use crate::error::Result;
use cranelift_codegen::ir::{self, condcodes::IntCC, types, InstBuilder, Value};
use sowa_targets::builtins::Builtin;
use sowa_targets::vmctx::{funcref, table};
use sowa_targets::TrapKind;
use wasmparser::Operator;

impl<'a, 'f> FuncTranslator<'a, 'f> {
    fn sig_ref(&mut self, type_index: u32) -> ir::SigRef {
        if let Some(s) = self.sigs.get(&type_index) {
            return *s;
        }
        let sig = wasm_signature(self.env.manifest.info.sig(type_index));
        let s = self.b.import_signature(sig);
        self.sigs.insert(type_index, s);
        s
    }

    fn callee(&mut self, func_index: u32) -> ir::FuncRef {
        if let Some(f) = self.callees.get(&func_index) {
            return *f;
        }
        let ty = self.env.manifest.func_types[func_index as usize];
        let signature = self.sig_ref(ty);
        let name = self
            .b
            .func
            .declare_imported_user_function(ir::UserExternalName {
                namespace: 0,
                index: func_index,
            });
        let f = self.b.import_function(ir::ExtFuncData {
            name: ir::ExternalName::User(name),
            signature,
            colocated: true,
            patchable: false,
        });
        self.callees.insert(func_index, f);
        f
    }

    /// Replaces a call's arguments on the operand stack with its results.
    fn finish_call(&mut self, results: &[Value], nparams: usize) {
        self.stack.truncate(self.stack.len() - nparams);
        self.stack.extend_from_slice(results);
    }

    fn call(&mut self, func_index: u32, tail: bool) {
        let ty = self.env.manifest.func_types[func_index as usize] as usize;
        let nparams = self.env.manifest.info.sig(ty as u32).params.len();
        let mut args = Vec::with_capacity(nparams + 2);
        if func_index < self.env.imported_funcs {
            let rec = self.env.offsets.funcref(func_index) as i32;
            let code = self.b.ins().load(
                types::I64,
                trusted_readonly(),
                self.vmctx,
                rec + funcref::WASM_CALL as i32,
            );
            let callee_vmctx = self.b.ins().load(
                types::I64,
                trusted_readonly(),
                self.vmctx,
                rec + funcref::VMCTX as i32,
            );
            args.push(callee_vmctx);
            args.push(self.vmctx);
            args.extend_from_slice(self.peekn(nparams));
            let sig = self.sig_ref(ty as u32);
            if tail {
                self.b.ins().return_call_indirect(sig, code, &args);
                return;
            }
            let results = self.emit_call(sig, Callee::Indirect(code), &args);
            self.finish_call(&results, nparams);
        } else {
            args.push(self.vmctx);
            args.push(self.vmctx);
            args.extend_from_slice(self.peekn(nparams));
            let f = self.callee(func_index);
            if tail {
                self.b.ins().return_call(f, &args);
                return;
            }
            let sig = self.sig_ref(ty as u32);
            let results = self.emit_call(sig, Callee::Direct(f), &args);
            self.finish_call(&results, nparams);
        }
    }

    /// A table index or size (i32, or i64 for a 64-bit table) as an `i64`.
    fn widen_index(&mut self, v: Value) -> Value {
        if self.b.func.dfg.value_type(v) == types::I64 {
            v
        } else {
            self.b.ins().uextend(types::I64, v)
        }
    }

    /// An `i64` size from the runtime as table `index`'s index type.
    fn narrow_index(&mut self, v: Value, index: u32) -> Value {
        let table64 = self.env.manifest.info.table_types().nth(index as usize);
        if table64.is_some_and(|t| t.table64) {
            v
        } else {
            self.b.ins().ireduce(types::I32, v)
        }
    }

    /// Loads table `index`'s record pointer.
    fn table_def(&mut self, index: u32) -> Value {
        let off = self.env.offsets.table_ptr(index);
        self.vmctx_load(types::I64, off, true)
    }

    /// Address of element `elem` (i32, or i64 in a 64-bit table) of table `index`, after a
    /// bounds check trapping `kind`.
    fn table_elem_addr(&mut self, index: u32, elem: Value, kind: TrapKind) -> Value {
        let def = self.table_def(index);
        let len = self
            .b
            .ins()
            .load(types::I64, trusted(), def, table::LENGTH as i32);
        let elem = self.widen_index(elem);
        let oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, elem, len);
        self.b.ins().trapnz(oob, trap_code(kind));
        let base = self
            .b
            .ins()
            .load(types::I64, trusted(), def, table::BASE as i32);
        let scaled = self.b.ins().ishl_imm_u(elem, 3);
        self.b.ins().iadd(base, scaled)
    }

    /// Calls through funcref record `fref` (non-null, of type `type_index`).
    fn call_through(&mut self, fref: Value, type_index: u32, tail: bool) {
        let code = self
            .b
            .ins()
            .load(types::I64, trusted(), fref, funcref::WASM_CALL as i32);
        let callee_vmctx = self
            .b
            .ins()
            .load(types::I64, trusted(), fref, funcref::VMCTX as i32);
        let nparams = self.env.manifest.info.sig(type_index).params.len();
        let mut args = vec![callee_vmctx, self.vmctx];
        args.extend_from_slice(self.peekn(nparams));
        let sig = self.sig_ref(type_index);
        if tail {
            self.b.ins().return_call_indirect(sig, code, &args);
            return;
        }
        let results = self.emit_call(sig, Callee::Indirect(code), &args);
        self.finish_call(&results, nparams);
    }

    /// `call_ref`: validation proved the reference's type, so only null is checked.
    fn call_ref(&mut self, type_index: u32, tail: bool) {
        let fref = self.pop();
        self.b
            .ins()
            .trapz(fref, trap_code(TrapKind::NullFunctionReference));
        self.call_through(fref, type_index, tail);
    }

    fn call_indirect(&mut self, type_index: u32, table_index: u32, tail: bool) {
        let elem = self.pop();
        let addr = self.table_elem_addr(table_index, elem, TrapKind::UndefinedElement);
        let fref = self.b.ins().load(types::I64, trusted(), addr, 0);
        self.b
            .ins()
            .trapz(fref, trap_code(TrapKind::UninitializedElement));
        let actual = self
            .b
            .ins()
            .load(types::I32, trusted(), fref, funcref::TYPE_ID as i32);
        let expected = self.vmctx_load(types::I32, self.env.offsets.type_id(type_index), true);
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, actual, expected);
        if self.env.manifest.info.types[type_index as usize].is_final {
            // A final type has no subtypes: only its own id matches.
            self.b
                .ins()
                .trapnz(mismatch, trap_code(TrapKind::IndirectCallTypeMismatch));
        } else {
            // A function of a declared subtype may be called too: asked of the registry only
            // when the ids differ.
            let slow = self.b.create_block();
            let done = self.b.create_block();
            self.b.ins().brif(mismatch, slow, &[], done, &[]);
            self.b.seal_block(slow);
            self.b.switch_to_block(slow);
            self.b.set_cold_block(slow);
            let t = self.i32const(type_index);
            let ok = self.call_builtin(Builtin::func_subtype, &[actual, t])[0];
            self.b
                .ins()
                .trapz(ok, trap_code(TrapKind::IndirectCallTypeMismatch));
            self.b.ins().jump(done, &[]);
            self.b.seal_block(done);
            self.b.switch_to_block(done);
        }
        self.call_through(fref, type_index, tail);
    }

    /// Translates a call, table or reference operator; returns false if `op` is not one.
    pub(super) fn translate_call(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::Call { function_index } => self.call(function_index, false),
            Operator::ReturnCall { function_index } => {
                self.call(function_index, true);
                self.reachable = false;
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index, false),
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                self.call_indirect(type_index, table_index, true);
                self.reachable = false;
            }
            Operator::CallRef { type_index } => self.call_ref(type_index, false),
            Operator::ReturnCallRef { type_index } => {
                self.call_ref(type_index, true);
                self.reachable = false;
            }
            Operator::RefAsNonNull => {
                let r = *self.stack.last().expect("validated");
                self.b.ins().trapz(r, trap_code(TrapKind::NullReference));
            }
            Operator::RefNull { .. } => {
                let v = self.b.ins().iconst(types::I64, 0);
                self.push(v);
            }
            Operator::RefIsNull => {
                let a = self.pop();
                let c = self.b.ins().icmp_imm_u(IntCC::Equal, a, 0);
                let v = self.b.ins().uextend(types::I32, c);
                self.push(v);
            }
            Operator::RefFunc { function_index } => {
                // Validation admits only functions the module names outside bodies, and each
                // of those has a slot.
                let slot = self
                    .env
                    .manifest
                    .funcref_slot(function_index)
                    .ok_or_else(|| {
                        crate::error::unsupported(
                            self.offset,
                            "ref.func of a function with no funcref slot",
                        )
                    })?;
                let off = self.env.offsets.funcref(slot);
                let v = self.b.ins().iadd_imm_u(self.vmctx, off as i64);
                self.push(v);
            }
            Operator::TableGet { table } => {
                let elem = self.pop();
                let addr = self.table_elem_addr(table, elem, TrapKind::TableOutOfBounds);
                let v = self.b.ins().load(types::I64, trusted(), addr, 0);
                self.push(v);
            }
            Operator::TableSet { table } => {
                let (elem, val) = self.pop2();
                let addr = self.table_elem_addr(table, elem, TrapKind::TableOutOfBounds);
                self.b.ins().store(trusted(), val, addr, 0);
            }
            Operator::TableSize { table } => {
                let def = self.table_def(table);
                let len = self
                    .b
                    .ins()
                    .load(types::I64, trusted(), def, table::LENGTH as i32);
                let v = self.narrow_index(len, table);
                self.push(v);
            }
            Operator::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let delta = self.widen_index(delta);
                let t = self.i32const(table);
                let r = self.call_builtin(Builtin::table_grow, &[t, init, delta])[0];
                let r = self.narrow_index(r, table);
                self.push(r);
            }
            Operator::TableFill { table } => {
                let (dst, val, len) = self.pop3();
                let (dst, len) = (self.widen_index(dst), self.widen_index(len));
                let t = self.i32const(table);
                self.call_builtin_checked(
                    Builtin::table_fill,
                    &[t, dst, val, len],
                    TrapKind::TableOutOfBounds,
                );
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let (dst, src, len) = self.pop3();
                let (dst, src, len) = (
                    self.widen_index(dst),
                    self.widen_index(src),
                    self.widen_index(len),
                );
                let d = self.i32const(dst_table);
                let s = self.i32const(src_table);
                self.call_builtin_checked(
                    Builtin::table_copy,
                    &[d, s, dst, src, len],
                    TrapKind::TableOutOfBounds,
                );
            }
            Operator::TableInit { elem_index, table } => {
                let (dst, src, len) = self.pop3();
                let dst = self.widen_index(dst);
                let t = self.i32const(table);
                let e = self.i32const(elem_index);
                self.call_builtin_checked(
                    Builtin::table_init,
                    &[t, e, dst, src, len],
                    TrapKind::TableOutOfBounds,
                );
            }
            Operator::ElemDrop { elem_index } => {
                let e = self.i32const(elem_index);
                self.call_builtin(Builtin::elem_drop, &[e]);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
