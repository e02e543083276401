//! Exception handling: `try_table`, `throw`, `throw_ref`.
//!
//! Every call made inside a `try_table` is a Cranelift `try_call` whose only handler is a
//! catch-all landing pad for the innermost `try_table`. The runtime's unwinder (see its
//! `traps/exceptions.rs`) walks frames by their frame pointers and resumes at the first call
//! site that has a pad, with the exception (a pointer to its record, [`vmctx::exn`]) in the
//! first payload register. The pad then does in wasm code what a tag match needs the
//! instance for: it compares the exception's tag identity with the identities in this
//! context's tag slots, clause by clause; the first that matches branches to its label with
//! the exception's values (and the exception, for the `_ref` clauses); when none does, the
//! pad throws the exception again, from a call site covered by the next enclosing
//! `try_table`'s pad if there is one. Keeping the tag comparison out of the unwinder is what
//! lets it need nothing of a frame but its return address and frame pointer.
//!
//! `throw` stores the values in a stack slot and calls the runtime's `throw` builtin, which
//! makes the exception record and unwinds; `throw_ref` calls it with the record.

use super::{ir_type, trap_code, trusted, FuncTranslator};
use crate::error::Result;
use cranelift_codegen::ir::{
    self, condcodes::IntCC, types, BlockArg, ExceptionTableData, ExceptionTableItem, InstBuilder,
    MemFlagsData, StackSlotData, StackSlotKind, Value,
};
use sowa_targets::builtins::Builtin;
use sowa_targets::vmctx::{exn, VALUE_SLOT};
use sowa_targets::TrapKind;
use wasmparser::{Catch, Operator};

/// What a call calls.
pub(super) enum Callee {
    /// A function of this module, by its Cranelift reference.
    Direct(ir::FuncRef),
    /// A code address.
    Indirect(Value),
}

/// The `throw` builtin's tag argument that means "throw this exception again".
const RETHROW: u32 = u32::MAX;

impl<'a, 'f> FuncTranslator<'a, 'f> {
    /// Emits a call of signature `sig`; inside a `try_table` a `try_call` that unwinds to the
    /// innermost landing pad. Returns the call's results.
    pub(super) fn emit_call(
        &mut self,
        sig: ir::SigRef,
        callee: Callee,
        args: &[Value],
    ) -> Vec<Value> {
        let Some(&pad) = self.handlers.last() else {
            let call = match callee {
                Callee::Direct(f) => self.b.ins().call(f, args),
                Callee::Indirect(code) => self.b.ins().call_indirect(sig, code, args),
            };
            return self.b.inst_results(call).to_vec();
        };
        let returns: Vec<ir::Type> = self.b.func.dfg.signatures[sig]
            .returns
            .iter()
            .map(|r| r.value_type)
            .collect();
        let normal = self.b.create_block();
        for t in &returns {
            self.b.append_block_param(normal, *t);
        }
        let ret_args: Vec<BlockArg> = (0..returns.len() as u32)
            .map(BlockArg::TryCallRet)
            .collect();
        let dfg = &mut self.b.func.dfg;
        let normal_call = dfg.block_call(normal, &ret_args);
        let pad_call = dfg.block_call(pad, &[BlockArg::TryCallExn(0)]);
        let table = dfg.exception_tables.push(ExceptionTableData::new(
            sig,
            normal_call,
            [ExceptionTableItem::Default(pad_call)],
        ));
        match callee {
            Callee::Direct(f) => self.b.ins().try_call(f, args, table),
            Callee::Indirect(code) => self.b.ins().try_call_indirect(code, args, table),
        };
        self.b.seal_block(normal);
        self.b.switch_to_block(normal);
        self.b.block_params(normal).to_vec()
    }

    /// Calls the `throw` builtin, which does not return; the block is closed with a trap so
    /// that the code after it is visibly dead.
    fn call_throw(&mut self, tag: u32, arg: Value) {
        let (sig, f) = self.builtin_target(Builtin::throw);
        let tag = self.i32const(tag);
        let args = [self.vmctx, tag, arg];
        self.emit_call(sig, Callee::Indirect(f), &args);
        self.b.ins().trap(trap_code(TrapKind::Unreachable));
    }

    /// The type index of tag `tag`.
    fn tag_type(&self, tag: u32) -> &sowa_targets::FuncType {
        let t = self.env.manifest.info.tag_type(tag).expect("validated tag");
        self.env.manifest.info.sig(t)
    }

    fn throw(&mut self, tag: u32) {
        let params = self.tag_type(tag).params.clone();
        let size = (params.len() as u32).max(1) * VALUE_SLOT;
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            size,
            4,
        ));
        let values = self.peekn(params.len()).to_vec();
        self.stack.truncate(self.stack.len() - params.len());
        for (i, v) in values.iter().enumerate() {
            self.b
                .ins()
                .stack_store(types::I64, *v, slot, (i as u32 * VALUE_SLOT) as i32);
        }
        let addr = self.b.ins().stack_addr(types::I64, slot, 0);
        self.call_throw(tag, addr);
    }

    /// Fills `pad` (a block taking the exception) with the clauses of the `try_table` that just
    /// ended; the control stack is the one outside it, where the clauses' labels are resolved.
    pub(super) fn fill_pad(&mut self, pad: ir::Block, catches: &[Catch]) {
        self.b.switch_to_block(pad);
        let e = self.b.block_params(pad)[0];
        let flags = MemFlagsData::trusted();
        for c in catches {
            let (tag, label, with_ref) = match *c {
                Catch::One { tag, label } => (Some(tag), label, false),
                Catch::OneRef { tag, label } => (Some(tag), label, true),
                Catch::All { label } => (None, label, false),
                Catch::AllRef { label } => (None, label, true),
            };
            let mut values = Vec::new();
            let next = tag.map(|tag| {
                let thrown = self.b.ins().load(types::I64, trusted(), e, exn::TAG as i32);
                let mine = self.vmctx_load(types::I64, self.env.offsets.tag_ptr(tag), true);
                let matched = self.b.create_block();
                let next = self.b.create_block();
                let same = self.b.ins().icmp(IntCC::Equal, thrown, mine);
                self.b.ins().brif(same, matched, &[], next, &[]);
                self.b.seal_block(matched);
                self.b.switch_to_block(matched);
                let params = self.tag_type(tag).params.clone();
                let base = self
                    .b
                    .ins()
                    .load(types::I64, trusted(), e, exn::VALUES as i32);
                for (i, t) in params.iter().enumerate() {
                    let v =
                        self.b
                            .ins()
                            .load(ir_type(*t), flags, base, (i as u32 * VALUE_SLOT) as i32);
                    values.push(v);
                }
                next
            });
            if with_ref {
                values.push(e);
            }
            let frame = self.frame_mut(label);
            frame.mark_branched();
            let target = frame.branch_target();
            let a: Vec<BlockArg> = values.iter().map(|v| BlockArg::Value(*v)).collect();
            self.b.ins().jump(target, &a);
            match next {
                Some(next) => {
                    self.b.seal_block(next);
                    self.b.switch_to_block(next);
                }
                // A catch-all: the clauses after it are never reached.
                None => {
                    self.b.seal_block(pad);
                    return;
                }
            }
        }
        self.call_throw(RETHROW, e);
        self.b.seal_block(pad);
    }

    /// Translates an exception operator; returns false if `op` is not one.
    pub(super) fn translate_exception(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::TryTable { try_table } => {
                let pad = self.b.create_block();
                self.b.append_block_param(pad, types::I64);
                self.open_try_table(try_table.ty, pad, try_table.catches.clone());
            }
            Operator::Throw { tag_index } => {
                self.throw(*tag_index);
                self.reachable = false;
            }
            Operator::ThrowRef => {
                let e = self.pop();
                self.b
                    .ins()
                    .trapz(e, trap_code(TrapKind::NullExceptionReference));
                self.call_throw(RETHROW, e);
                self.reachable = false;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
