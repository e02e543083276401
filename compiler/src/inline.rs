//! Inlining small leaf functions into their direct callers: what an ahead-of-time compiler with
//! the whole module in view can do and a per-function JIT does not (Wasmtime leaves inlining
//! within a module off by default). Cranelift does the splicing ([`Context::inline`]); this
//! module decides what is inlined and keeps the bodies.
//!
//! Which functions: defined functions whose wasm body is at most [`MAX_BODY_BYTES`] long and
//! whose CLIF makes no call of any kind (a leaf: no wasm call, no builtin such as
//! `memory.grow`, no `throw`) in at most [`MAX_INSTS`] instructions. A leaf calls nothing, so
//! inlining never recurses and no exception can start inside an inlined body; calls inside a
//! `try_table` (`try_call`) are kept, so that a handler's frame stays the one the unwinder
//! finds. The callee's own compiled copy stays, for exports, tables and imports from other
//! modules.
//!
//! Source locations: Cranelift gives inlined instructions none, so every instruction that came
//! from inlining gets the wasm offset of the call it replaced. A trap or an interrupt in inlined
//! code is thus reported in the caller, at the call (as a backtrace without the inlined frame
//! would show it), never at an unrelated place.

use crate::environ::PendingBody;
use crate::translate::{self, ModuleTranslationEnv};
use cranelift_codegen::inline::{Inline, InlineCommand};
use cranelift_codegen::ir::{self, SourceLoc};
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use std::borrow::Cow;
use std::collections::HashMap;
use wasmparser::FuncToValidate;

/// Wasm bodies longer than this are not considered (translating them twice is not worth it).
pub const MAX_BODY_BYTES: u64 = 96;
/// CLIF instructions a callee may have.
pub const MAX_INSTS: usize = 48;
/// Instructions a caller may grow to by inlining; past it, calls are kept.
const MAX_CALLER_INSTS: usize = 20_000;

/// The bodies of the functions that may be inlined, by function index.
#[derive(Default)]
pub struct Inlinable {
    bodies: HashMap<u32, ir::Function>,
}

impl Inlinable {
    /// Translates the small bodies among `bodies` once more and keeps the leaves. A body that
    /// fails to translate is left out here: compiling it reports the error.
    pub fn collect(env: &ModuleTranslationEnv<'_>, bodies: &[PendingBody<'_>]) -> Inlinable {
        let mut out = Inlinable::default();
        let mut fb = FunctionBuilderContext::new();
        let mut ctx = Context::new();
        for p in bodies {
            if p.body.range().end - p.body.range().start > MAX_BODY_BYTES {
                continue;
            }
            let copy = PendingBody {
                index: p.index,
                features: p.features,
                validator: FuncToValidate {
                    resources: p.validator.resources.clone(),
                    index: p.validator.index,
                    ty: p.validator.ty,
                    features: p.validator.features,
                },
                body: p.body.clone(),
            };
            ctx.clear();
            ctx.func.signature = translate::wasm_signature(
                env.manifest
                    .info
                    .sig(env.manifest.func_types[p.index as usize]),
            );
            ctx.func.name = ir::UserFuncName::user(0, p.index);
            if translate::translate_function(env, copy, &mut ctx.func, &mut fb, Default::default())
                .is_ok()
                && is_small_leaf(&ctx.func)
            {
                out.bodies.insert(
                    p.index,
                    std::mem::replace(&mut ctx.func, ir::Function::new()),
                );
            }
        }
        out
    }

    /// Inlines the calls in `ctx.func` to functions kept here; returns how many.
    pub fn inline_calls(&self, ctx: &mut Context) -> std::result::Result<usize, String> {
        if self.bodies.is_empty() {
            return Ok(0);
        }
        let mut inliner = Inliner {
            bodies: &self.bodies,
            sites: Vec::new(),
        };
        ctx.inline(&mut inliner)
            .map_err(|e| format!("inlining: {e:?}"))?;
        let sites = inliner.sites;
        // Instructions are numbered in creation order, so those made by inlining site `k` are
        // numbered from `sites[k].0` up to the next site's first.
        if let Some(first) = sites.first().map(|s| s.0) {
            let func = &mut ctx.func;
            for i in first..func.dfg.num_insts() {
                let inst = ir::Inst::from_u32(i as u32);
                if !func.srcloc(inst).is_default() {
                    continue;
                }
                let k = sites.partition_point(|s| s.0 <= i) - 1;
                if !sites[k].1.is_default() {
                    func.set_srcloc(inst, sites[k].1);
                }
            }
        }
        Ok(sites.len())
    }
}

/// Whether `func` calls nothing and is short.
fn is_small_leaf(func: &ir::Function) -> bool {
    let mut n = 0;
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            n += 1;
            if n > MAX_INSTS || func.dfg.insts[inst].opcode().is_call() {
                return false;
            }
        }
    }
    true
}

struct Inliner<'a> {
    bodies: &'a HashMap<u32, ir::Function>,
    /// Per inlined call: the number of instructions before it, and the call's location.
    sites: Vec<(usize, SourceLoc)>,
}

impl Inline for Inliner<'_> {
    fn inline(
        &mut self,
        caller: &ir::Function,
        call_inst: ir::Inst,
        call_opcode: ir::Opcode,
        callee: ir::FuncRef,
        _args: &[ir::Value],
    ) -> InlineCommand<'_> {
        if call_opcode == ir::Opcode::TryCall || caller.dfg.num_insts() > MAX_CALLER_INSTS {
            return InlineCommand::KeepCall;
        }
        let ir::ExternalName::User(name) = &caller.dfg.ext_funcs[callee].name else {
            return InlineCommand::KeepCall;
        };
        let index = caller.params.user_named_funcs()[*name].index;
        let Some(body) = self.bodies.get(&index) else {
            return InlineCommand::KeepCall;
        };
        self.sites
            .push((caller.dfg.num_insts(), caller.srcloc(call_inst)));
        InlineCommand::Inline {
            callee: Cow::Borrowed(body),
            visit_callee: false,
        }
    }
}
