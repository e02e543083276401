//! Code at the boundary between the host and wasm, one per signature.
//!
//! - An *entry trampoline* lets the runtime call a wasm function of a given signature with the C
//!   calling convention: `fn(callee_vmctx, caller_vmctx, code, values)`; it loads the arguments from
//!   the `values` array (16-byte slots), calls `code` and stores the results back into the array.
//! - A *host bridge* has the wasm signature and lets wasm call a host function: it spills the
//!   arguments into a slot array on its stack and calls the host entry point found in the host
//!   context (its callee vmctx), then loads the results.

use crate::translate::{ir_type, trusted, wasm_signature};
use cranelift_codegen::ir::{
    self, types, AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use sowa_targets::vmctx::{self, host_ctx, VALUE_SLOT};
use sowa_targets::FuncType;

fn value_flags() -> MemFlagsData {
    // The value array is host memory that the runtime sized for the signature.
    trusted()
}

/// Builds the entry trampoline for `ft`.
pub fn entry_trampoline(
    ft: &FuncType,
    host_cc: CallConv,
    fc: TargetFrontendConfig,
) -> ir::Function {
    let mut sig = Signature::new(host_cc);
    for _ in 0..4 {
        sig.params.push(AbiParam::new(types::I64));
    }
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::default(), sig);
    let mut ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut ctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let p = b.block_params(entry).to_vec();
    let (callee_vmctx, caller_vmctx, code, values) = (p[0], p[1], p[2], p[3]);
    let mut args = vec![callee_vmctx, caller_vmctx];
    for (i, t) in ft.params.iter().enumerate() {
        let v = b.ins().load(
            ir_type(*t),
            value_flags(),
            values,
            (i as u32 * VALUE_SLOT) as i32,
        );
        args.push(v);
    }
    let wsig = b.import_signature(wasm_signature(ft));
    let call = b.ins().call_indirect(wsig, code, &args);
    let results = b.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        b.ins()
            .store(value_flags(), r, values, (i as u32 * VALUE_SLOT) as i32);
    }
    b.ins().return_(&[]);
    b.finalize(fc);
    func
}

/// Builds the host bridge for `ft`.
pub fn host_bridge(ft: &FuncType, host_cc: CallConv, fc: TargetFrontendConfig) -> ir::Function {
    let mut func =
        ir::Function::with_name_signature(ir::UserFuncName::default(), wasm_signature(ft));
    let mut ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut ctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let p = b.block_params(entry).to_vec();
    let (host, caller_vmctx) = (p[0], p[1]);
    let slots = ft.params.len().max(ft.results.len()).max(1) as u32;
    let ss = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        slots * VALUE_SLOT,
        4,
    ));
    let values = b.ins().stack_addr(types::I64, ss, 0);
    for (i, v) in p[2..2 + ft.params.len()].iter().enumerate() {
        b.ins()
            .store(value_flags(), *v, values, (i as u32 * VALUE_SLOT) as i32);
    }
    // Where the wasm caller is, for the collector: its frame pointer and the return address
    // into it, from this bridge's frame record ([fp] and [fp + 8] on both targets).
    let fp = b.ins().get_frame_pointer(types::I64);
    let caller_fp = b.ins().load(types::I64, trusted(), fp, 0);
    let caller_pc = b.ins().load(types::I64, trusted(), fp, 8);
    let limits = b
        .ins()
        .load(types::I64, trusted(), caller_vmctx, vmctx::LIMITS as i32);
    b.ins()
        .store(trusted(), caller_fp, limits, vmctx::limits::EXIT_FP as i32);
    b.ins()
        .store(trusted(), caller_pc, limits, vmctx::limits::EXIT_PC as i32);
    let mut hsig = Signature::new(host_cc);
    for _ in 0..3 {
        hsig.params.push(AbiParam::new(types::I64));
    }
    let hsig = b.import_signature(hsig);
    let f = b
        .ins()
        .load(types::I64, trusted(), host, host_ctx::FUNC as i32);
    b.ins()
        .call_indirect(hsig, f, &[host, caller_vmctx, values]);
    let mut results = Vec::new();
    for (i, t) in ft.results.iter().enumerate() {
        results.push(b.ins().load(
            ir_type(*t),
            value_flags(),
            values,
            (i as u32 * VALUE_SLOT) as i32,
        ));
    }
    b.ins().return_(&results);
    b.finalize(fc);
    func
}
