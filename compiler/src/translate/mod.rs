//! Translation of one WebAssembly function body to Cranelift IR.
//!
//! The translator keeps the wasm operand stack as a stack of SSA values and the control stack as
//! [`Frame`]s whose exits are Cranelift blocks with parameters. The operators are split the way the
//! spec groups them: `control`, `numeric`, `memory`, `calls` (calls, tables, references),
//! `variables` (locals and globals) and `simd` (the `v128` operators).

mod atomic;
mod calls;
mod control;
mod exceptions;
mod gc;
mod memory;
mod numeric;
mod regions;
mod relaxed;
mod simd;
mod variables;

use crate::environ::PendingBody;
use crate::error::{CompileError, Result};
use cranelift_codegen::ir::{
    self, types, AbiParam, ArgumentPurpose, InstBuilder, MemFlagsData, Signature, TrapCode, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use sowa_targets::artifact::Manifest;
use sowa_targets::builtins::{BType, Builtin};
use sowa_targets::vmctx::{self, VMOffsets};
use sowa_targets::{FuncType, TrapKind, ValType};
use std::collections::HashMap;
use wasmparser::{FuncValidatorAllocations, Operator};

pub use control::Frame;

/// Module-wide facts every function translation needs.
pub struct ModuleTranslationEnv<'m> {
    /// The module's manifest (types, imports, globals, ...).
    pub manifest: &'m Manifest,
    /// vmctx layout.
    pub offsets: VMOffsets,
    /// Number of imported functions.
    pub imported_funcs: u32,
    /// Type of every global, imported first.
    pub global_types: Vec<ValType>,
    /// Pointer width and the like, for the IR builder.
    pub frontend_config: cranelift_codegen::isa::TargetFrontendConfig,
    /// The target's C calling convention, for builtins and trampolines.
    pub host_call_conv: CallConv,
}

/// The Cranelift type that carries a wasm value.
pub fn ir_type(t: ValType) -> ir::Type {
    match t {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::Ref(_) => types::I64,
    }
}

/// The signature every wasm function has: callee vmctx, caller vmctx, the wasm params; its
/// results as Cranelift returns them (those that do not fit in registers go to a stack area the
/// caller reserves once per frame, `enable_multi_ret_implicit_sret`, so a frame calling
/// multi-value functions is hardly larger than any other).
pub fn wasm_signature(ft: &FuncType) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    sig.params
        .extend(ft.params.iter().map(|t| AbiParam::new(ir_type(*t))));
    sig.returns
        .extend(ft.results.iter().map(|t| AbiParam::new(ir_type(*t))));
    sig
}

/// The Cranelift trap code that stands for `kind`.
pub fn trap_code(kind: TrapKind) -> TrapCode {
    match kind {
        TrapKind::StackOverflow => TrapCode::STACK_OVERFLOW,
        TrapKind::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
        TrapKind::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
        TrapKind::IntegerDivideByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
        TrapKind::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
        other => TrapCode::unwrap_user(other as u8),
    }
}

/// The trap kind a Cranelift trap code stands for.
pub fn trap_kind(code: TrapCode) -> Option<TrapKind> {
    TrapKind::ALL
        .iter()
        .copied()
        .find(|k| trap_code(*k) == code)
}

/// Flags for loads of runtime data that cannot fault (vmctx fields, runtime records).
pub fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Flags for loads of runtime data that never changes during an instance's life.
pub fn trusted_readonly() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// State of the translation of one function.
pub struct FuncTranslator<'a, 'f> {
    env: &'a ModuleTranslationEnv<'a>,
    b: FunctionBuilder<'f>,
    vmctx: Value,
    stack: Vec<Value>,
    control: Vec<Frame>,
    locals: Vec<(Variable, ir::Type)>,
    reachable: bool,
    /// Depth of blocks opened while unreachable, skipped until their `end`.
    unreachable_depth: u32,
    mem_bases: Vec<Value>,
    /// Flags of every access to linear memory: little-endian, trapping as out of bounds, in the
    /// linear-memory alias region.
    heap_flags: MemFlagsData,
    /// Landing pads of the enclosing `try_table`s, innermost last: calls made inside one
    /// unwind to its pad.
    handlers: Vec<ir::Block>,
    /// The catch clauses of each open `try_table`, filled into its pad at its `end`.
    try_catches: Vec<Vec<wasmparser::Catch>>,
    /// Type of each memory, imports first.
    mem_types: Vec<sowa_targets::MemoryType>,
    callees: HashMap<u32, ir::FuncRef>,
    sigs: HashMap<u32, ir::SigRef>,
    builtin_sigs: HashMap<u32, ir::SigRef>,
    func_index: u32,
    offset: u64,
}

/// Translates `body` into `func`, validating it on the way.
pub fn translate_function(
    env: &ModuleTranslationEnv<'_>,
    pending: PendingBody<'_>,
    func: &mut ir::Function,
    fb_ctx: &mut FunctionBuilderContext,
    allocs: FuncValidatorAllocations,
) -> Result<FuncValidatorAllocations> {
    let mut validator = pending.validator.into_validator(allocs);
    let ft = env
        .manifest
        .info
        .sig(env.manifest.func_types[pending.index as usize]);
    let mut b = FunctionBuilder::new(func, fb_ctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let vmctx = b.block_params(entry)[0];
    let params: Vec<Value> = b.block_params(entry)[2..2 + ft.params.len()].to_vec();

    let vmctx_gv = b.create_global_value(ir::GlobalValueData::VMContext);
    let ro = b
        .func
        .dfg
        .mem_flags
        .insert(trusted_readonly())
        .expect("few flag sets");
    let flags = b
        .func
        .dfg
        .mem_flags
        .insert(trusted())
        .expect("few flag sets");
    let limits = b.create_global_value(ir::GlobalValueData::Load {
        base: vmctx_gv,
        offset: (vmctx::LIMITS as i32).into(),
        global_type: types::I64,
        flags: ro,
    });
    let limit = b.create_global_value(ir::GlobalValueData::Load {
        base: limits,
        offset: (vmctx::limits::STACK_LIMIT as i32).into(),
        global_type: types::I64,
        flags,
    });
    b.func.stack_limit = Some(limit);
    let heap_region = regions::linear_memory(b.func);

    let mut t = FuncTranslator {
        env,
        b,
        vmctx,
        stack: Vec::new(),
        control: Vec::new(),
        locals: Vec::new(),
        reachable: true,
        unreachable_depth: 0,
        mem_bases: Vec::new(),
        heap_flags: FuncTranslator::heap_flags_in(heap_region),
        handlers: Vec::new(),
        try_catches: Vec::new(),
        mem_types: Vec::new(),
        callees: HashMap::new(),
        sigs: HashMap::new(),
        builtin_sigs: HashMap::new(),
        func_index: pending.index,
        offset: pending.body.range().start,
    };
    let space = &env.manifest.info.types[..];
    for (i, p) in params.iter().enumerate() {
        let ty = ir_type(ft.params[i]);
        let var = t.b.declare_var(ty);
        t.b.def_var(var, *p);
        if ft.params[i].is_gc_ref(space) {
            t.b.declare_var_needs_stack_map(var);
        }
        t.locals.push((var, ty));
    }
    let mut reader = pending.body.get_binary_reader();
    reader.set_features(pending.features);
    let local_groups = reader.read_var_u32()?;
    for _ in 0..local_groups {
        let offset = reader.original_position();
        let count = reader.read_var_u32()?;
        let ty = reader.read()?;
        validator.define_locals(offset, count, ty)?;
        let ty = crate::environ::val_type(ty, offset)?;
        let irt = ir_type(ty);
        for _ in 0..count {
            let var = t.b.declare_var(irt);
            let zero = t.zero(irt);
            t.b.def_var(var, zero);
            if ty.is_gc_ref(space) {
                t.b.declare_var_needs_stack_map(var);
            }
            t.locals.push((var, irt));
        }
    }
    t.load_memory_bases();
    t.push_function_frame(ft);

    // Only a module that has GC references (any, extern and their subtypes) pays for finding
    // them on the operand stack.
    let gc = env.manifest.info.uses_gc_refs();
    let mut ops = wasmparser::OperatorsReader::new(reader);
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset()?;
        validator.op(offset, &op)?;
        t.offset = offset;
        t.b.set_srcloc(ir::SourceLoc::new(offset as u32));
        t.translate(&op)?;
        if gc && t.reachable {
            t.declare_gc_operands(&validator)?;
        }
    }
    ops.finish()?;
    t.b.finalize(env.frontend_config);
    Ok(validator.into_allocations())
}

impl<'a, 'f> FuncTranslator<'a, 'f> {
    /// Declares every GC reference on the operand stack as needing a stack map, so that
    /// Cranelift spills it around calls and records where: the collector finds them there.
    fn declare_gc_operands(
        &mut self,
        validator: &wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    ) -> Result<()> {
        let n = self.stack.len();
        if validator.operand_stack_height() as usize != n {
            return Ok(());
        }
        use wasmparser::WasmModuleResources;
        for depth in 0..n {
            let Some(Some(wasmparser::ValType::Ref(r))) = validator.get_operand_type(depth) else {
                continue;
            };
            // The validator's concrete types are its canonical ids: asked of it, not of ours.
            let gc = match r.heap_type() {
                wasmparser::HeapType::Concrete(i) | wasmparser::HeapType::Exact(i) => {
                    match i.as_core_type_id() {
                        Some(id) => !matches!(
                            validator
                                .resources()
                                .sub_type_at_id(id)
                                .composite_type
                                .inner,
                            wasmparser::CompositeInnerType::Func(_)
                        ),
                        None => true,
                    }
                }
                wasmparser::HeapType::Abstract { ty, .. } => {
                    use wasmparser::AbstractHeapType as A;
                    !matches!(
                        ty,
                        A::Func | A::NoFunc | A::Exn | A::NoExn | A::Cont | A::NoCont
                    )
                }
            };
            if gc {
                let v = self.stack[n - 1 - depth];
                self.b.declare_value_needs_stack_map(v);
            }
        }
        Ok(())
    }

    fn translate(&mut self, op: &Operator<'_>) -> Result<()> {
        if !self.reachable {
            return self.translate_unreachable(op);
        }
        if self.translate_control(op)?
            || self.translate_variable(op)?
            || self.translate_memory(op)?
            || self.translate_call(op)?
            || self.translate_atomic(op)?
            || self.translate_exception(op)?
            || self.translate_gc(op)?
            || self.translate_numeric(op)?
            || self.translate_simd(op)?
            || self.translate_relaxed_simd(op)?
        {
            Ok(())
        } else {
            Err(self.unsupported(format!("instruction {op:?}")))
        }
    }

    fn unsupported(&self, message: String) -> CompileError {
        CompileError::Unsupported {
            offset: self.offset,
            func: Some(self.env.manifest.func_name(self.func_index)),
            message,
        }
    }

    fn pop(&mut self) -> Value {
        self.stack.pop().expect("validated operand stack")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    fn pop3(&mut self) -> (Value, Value, Value) {
        let c = self.pop();
        let (a, b) = self.pop2();
        (a, b, c)
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn peekn(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    fn zero(&mut self, ty: ir::Type) -> Value {
        match ty {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            types::I8X16 => {
                let c = self.b.func.dfg.constants.insert(vec![0u8; 16].into());
                self.b.ins().vconst(types::I8X16, c)
            }
            _ => self.b.ins().iconst(ty, 0),
        }
    }

    /// Returns `values` from this function.
    fn emit_return(&mut self, values: &[Value]) {
        self.b.ins().return_(values);
    }

    fn trap(&mut self, kind: TrapKind) {
        self.b.ins().trap(trap_code(kind));
    }

    /// Loads the vmctx field at `offset` (a pointer or integer of type `ty`).
    fn vmctx_load(&mut self, ty: ir::Type, offset: u32, readonly: bool) -> Value {
        let flags = if readonly {
            trusted_readonly()
        } else {
            trusted()
        };
        self.b.ins().load(ty, flags, self.vmctx, offset as i32)
    }

    /// The signature and address of a runtime builtin.
    fn builtin_target(&mut self, builtin: Builtin) -> (ir::SigRef, Value) {
        let sig = match self.builtin_sigs.get(&(builtin as u32)) {
            Some(s) => *s,
            None => {
                let mut sig = Signature::new(self.env.host_call_conv);
                sig.params.push(AbiParam::new(types::I64));
                let bt = |t: &BType| match t {
                    BType::I32 => types::I32,
                    BType::I64 | BType::Ptr => types::I64,
                };
                sig.params
                    .extend(builtin.params().iter().map(|t| AbiParam::new(bt(t))));
                sig.returns
                    .extend(builtin.results().iter().map(|t| AbiParam::new(bt(t))));
                let s = self.b.import_signature(sig);
                self.builtin_sigs.insert(builtin as u32, s);
                s
            }
        };
        let table = self.vmctx_load(types::I64, vmctx::BUILTINS, true);
        let f = self.b.ins().load(
            types::I64,
            trusted_readonly(),
            table,
            builtin.table_offset() as i32,
        );
        (sig, f)
    }

    /// Calls a runtime builtin; returns its results.
    fn call_builtin(&mut self, builtin: Builtin, args: &[Value]) -> Vec<Value> {
        let (sig, f) = self.builtin_target(builtin);
        let mut full = vec![self.vmctx];
        full.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, f, &full);
        self.b.inst_results(call).to_vec()
    }

    /// Calls a builtin that returns a status, trapping with `kind` when it is nonzero.
    fn call_builtin_checked(&mut self, builtin: Builtin, args: &[Value], kind: TrapKind) {
        let status = self.call_builtin(builtin, args)[0];
        self.b.ins().trapnz(status, trap_code(kind));
    }

    fn i32const(&mut self, v: u32) -> Value {
        self.b.ins().iconst(types::I32, v as i64)
    }
}
