//! Runs Cranelift: target setup, parallel compilation of function bodies, and the layout of the
//! text section with direct calls patched (the text carries no relocations).

use crate::environ::PendingBody;
use crate::error::{CompileError, Result};
use crate::inline::Inlinable;
use crate::translate::{self, trap_kind, ModuleTranslationEnv};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir;
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, FinalizedMachExceptionHandler, FinalizedRelocTarget};
use cranelift_frontend::FunctionBuilderContext;
use sowa_targets::arch::CallReloc;
use sowa_targets::artifact::{Span, TrapSite};
use sowa_targets::cpu::Feature;
use sowa_targets::{Arch, TrapKind};
use std::sync::Mutex;

/// The Cranelift release the code generator is (the workspace pins it exactly), recorded in
/// every artifact.
pub const CRANELIFT_VERSION: &str = "0.135.8";

/// How hard Cranelift optimizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OptLevel {
    /// No optimization: fastest compile.
    None,
    /// Optimize for speed (the default).
    #[default]
    Speed,
    /// Optimize for speed and size.
    Size,
}

impl OptLevel {
    /// The name `sowac -O` takes.
    pub fn name(self) -> &'static str {
        match self {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::Size => "size",
        }
    }

    /// The level called `name` (or its number: `0`, `2`, `s`).
    pub fn from_name(name: &str) -> Option<OptLevel> {
        Some(match name {
            "none" | "0" => OptLevel::None,
            "speed" | "2" => OptLevel::Speed,
            "size" | "s" => OptLevel::Size,
            _ => return None,
        })
    }
}

/// Builds the Cranelift target for `arch`, using the CPU features `cpu` (from
/// [`sowa_targets::cpu::features`]).
pub fn isa(arch: Arch, opt: OptLevel, cpu: &[Feature]) -> Result<OwnedTargetIsa> {
    let cfg = |e: &dyn std::fmt::Display| CompileError::Config(format!("target setup: {e}"));
    let mut flags = settings::builder();
    let opt = match opt {
        OptLevel::None => "none",
        OptLevel::Speed => "speed",
        OptLevel::Size => "speed_and_size",
    };
    flags.set("opt_level", opt).map_err(|e| cfg(&e))?;
    // Frame pointers let profilers and the trap reporter walk wasm frames.
    flags
        .set("preserve_frame_pointers", "true")
        .map_err(|e| cfg(&e))?;
    flags
        .set("enable_probestack", "false")
        .map_err(|e| cfg(&e))?;
    flags.set("unwind_info", "false").map_err(|e| cfg(&e))?;
    // Results that do not fit in registers go to one stack area per caller frame, reserved by
    // Cranelift (see `translate::wasm_signature`).
    flags
        .set("enable_multi_ret_implicit_sret", "true")
        .map_err(|e| cfg(&e))?;
    flags
        .set(
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        )
        .map_err(|e| cfg(&e))?;
    let mut b = cranelift_codegen::isa::lookup_by_name(arch.triple()).map_err(|e| cfg(&e))?;
    for f in cpu {
        b.enable(f.setting).map_err(|e| cfg(&e))?;
    }
    b.finish(settings::Flags::new(flags)).map_err(|e| cfg(&e))
}

/// The code of one compiled function before layout.
pub struct CompiledFunc {
    /// Machine code.
    pub code: Vec<u8>,
    /// Alignment `code` needs (that of its constants), met even if above the target's.
    pub align: u32,
    /// Direct calls to patch: (offset in `code`, callee function index, kind).
    pub calls: Vec<(u32, u32, CallReloc)>,
    /// Traps: (offset in `code`, kind, wasm offset).
    pub traps: Vec<(u32, TrapKind, u32)>,
    /// (offset in `code`, wasm offset) where each instruction's code starts.
    pub locs: Vec<(u32, u32)>,
    /// Calls inside `try_table`s: (return address, handler, frame size), offsets in `code`.
    pub handlers: Vec<(u32, u32, u32)>,
    /// Calls with GC references live across them: (return address, frame size, stack-pointer
    /// offsets of the references), offsets in `code`.
    pub stack_maps: Vec<(u32, u32, Vec<u32>)>,
}

fn compile_one(
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    ctx: &mut Context,
    name: &str,
    default_loc: u32,
) -> Result<CompiledFunc> {
    let codegen_err = |message: String| CompileError::Codegen {
        func: name.to_string(),
        message,
    };
    let mut ctrl = Default::default();
    let names = ctx.func.params.user_named_funcs().clone();
    let code = ctx
        .compile(isa, &mut ctrl)
        .map_err(|e| codegen_err(format!("{:?}", e.inner)))?;
    let buffer = &code.buffer;
    let srclocs = buffer.get_srclocs_sorted();
    let mut traps = Vec::new();
    for t in buffer.traps() {
        let kind = trap_kind(t.code).ok_or_else(|| codegen_err(format!("trap code {}", t.code)))?;
        let i = srclocs.partition_point(|s| s.end <= t.offset);
        let loc = srclocs
            .get(i)
            .filter(|s| s.start <= t.offset && !s.loc.is_default())
            .map(|s| s.loc.bits())
            .unwrap_or(default_loc);
        traps.push((t.offset, kind, loc));
    }
    let mut locs: Vec<(u32, u32)> = Vec::new();
    for s in srclocs
        .iter()
        .filter(|s| !s.loc.is_default() && s.start < s.end)
    {
        if locs.last().map(|l| l.1) != Some(s.loc.bits()) {
            locs.push((s.start, s.loc.bits()));
        }
    }
    // Every handler sowa emits is a catch-all landing pad (the tags are compared in the pad),
    // so a call site has at most one.
    let mut handlers = Vec::new();
    for site in buffer.call_sites() {
        let pad = site.exception_handlers.iter().find_map(|h| match h {
            FinalizedMachExceptionHandler::Default(off) => Some(*off),
            _ => None,
        });
        if let Some(pad) = pad {
            let frame = site
                .frame_offset
                .ok_or_else(|| codegen_err("a handler without a frame offset".into()))?;
            handlers.push((site.ret_addr, pad, frame));
        }
    }
    // Every stack map entry is an 8-byte reference (the translator declares only I64 values).
    // The frame's size is the function's: Cranelift reserves outgoing arguments in the frame,
    // so the stack pointer does not move between the prologue and the epilogue.
    let frame = buffer.frame_layout().map_or(0, |l| l.frame_to_fp_offset);
    let stack_maps = buffer
        .user_stack_maps()
        .iter()
        .map(|(ret, _, map)| (*ret, frame, map.entries().map(|(_, off)| off).collect()))
        .collect();
    let mut calls = Vec::new();
    for r in buffer.relocs() {
        let kind = match r.kind {
            Reloc::X86CallPCRel4 | Reloc::X86PCRel4 => CallReloc::X86PcRel4 { addend: r.addend },
            Reloc::Arm64Call => CallReloc::Arm64Call,
            other => return Err(codegen_err(format!("unexpected relocation {other:?}"))),
        };
        let callee = match &r.target {
            FinalizedRelocTarget::ExternalName(ir::ExternalName::User(n)) => names[*n].index,
            other => {
                return Err(codegen_err(format!(
                    "unexpected relocation target {other:?}"
                )))
            }
        };
        calls.push((r.offset, callee, kind));
    }
    Ok(CompiledFunc {
        code: buffer.data().to_vec(),
        align: buffer.alignment,
        calls,
        traps,
        locs,
        handlers,
        stack_maps,
    })
}

/// Translates and compiles every body, on all available cores, in function order.
pub fn compile_bodies(
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    env: &ModuleTranslationEnv<'_>,
    bodies: Vec<PendingBody<'_>>,
    inlinable: &Inlinable,
    jobs: usize,
    progress: Option<fn(usize, usize)>,
) -> Result<Vec<CompiledFunc>> {
    let n = bodies.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let queue = Mutex::new(bodies.into_iter().enumerate());
    let results: Mutex<Vec<Option<Result<CompiledFunc>>>> =
        Mutex::new((0..n).map(|_| None).collect());
    let threads = match jobs {
        0 => std::thread::available_parallelism().map_or(1, |p| p.get()),
        j => j,
    }
    .min(n.max(1));
    let work = || {
        let mut ctx = Context::new();
        let mut fb = FunctionBuilderContext::new();
        let mut allocs = Default::default();
        loop {
            let Some((i, body)) = queue.lock().unwrap().next() else {
                break;
            };
            let index = body.index;
            let default_loc = body.body.range().start as u32;
            let name = env.manifest.func_name(index);
            ctx.clear();
            ctx.func.signature = translate::wasm_signature(
                env.manifest
                    .info
                    .sig(env.manifest.func_types[index as usize]),
            );
            ctx.func.name = ir::UserFuncName::user(0, index);
            let r = match translate::translate_function(
                env,
                body,
                &mut ctx.func,
                &mut fb,
                std::mem::take(&mut allocs),
            ) {
                Ok(a) => {
                    allocs = a;
                    match inlinable.inline_calls(&mut ctx) {
                        Ok(_) => compile_one(isa, &mut ctx, &name, default_loc),
                        Err(message) => Err(CompileError::Codegen {
                            func: name.clone(),
                            message,
                        }),
                    }
                }
                Err(e) => Err(e.in_function(|| name.clone())),
            };
            let failed = r.is_err();
            results.lock().unwrap()[i] = Some(r);
            if let Some(report) = progress {
                report(
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    n,
                );
            }
            if failed {
                // Stop early: the first error (in function order) is reported.
                queue.lock().unwrap().by_ref().for_each(drop);
            }
        }
    };
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let mut out = Vec::with_capacity(n);
    for r in results.into_inner().unwrap() {
        match r {
            Some(r) => out.push(r?),
            None => unreachable!("an earlier function failed"),
        }
    }
    Ok(out)
}

/// Compiles a trampoline or bridge built by [`crate::trampolines`].
pub fn compile_stub(
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    func: ir::Function,
    name: &str,
) -> Result<CompiledFunc> {
    let mut ctx = Context::for_function(func);
    compile_one(isa, &mut ctx, name, 0)
}

/// The text section with its functions, trampolines and bridges laid out.
pub struct Text {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Where each input function went, in input order.
    pub spans: Vec<Span>,
    /// Trap sites, sorted.
    pub trap_sites: Vec<TrapSite>,
    /// (text offset, wasm offset) of each instruction's code, sorted.
    pub address_map: Vec<(u32, u32)>,
    /// (return address, handler, frame size) of each call inside a `try_table`, sorted.
    pub handlers: Vec<(u32, u32, u32)>,
    /// (return address, frame size, reference offsets) of each call with live GC references,
    /// sorted.
    pub stack_maps: Vec<(u32, u32, Vec<u32>)>,
}

/// Lays out `funcs` (defined functions first, in index order, then stubs) and patches calls.
/// `first_defined` is the function index of `funcs[0]`.
pub fn layout_text(arch: Arch, funcs: &[CompiledFunc], first_defined: u32) -> Result<Text> {
    let align = arch.function_alignment() as usize;
    let mut bytes = Vec::new();
    let mut spans = Vec::with_capacity(funcs.len());
    let mut trap_sites = Vec::new();
    let mut address_map = Vec::new();
    let mut handlers = Vec::new();
    let mut stack_maps = Vec::new();
    for f in funcs {
        bytes.resize(bytes.len().next_multiple_of(align.max(f.align as usize)), 0);
        let start = bytes.len() as u32;
        bytes.extend_from_slice(&f.code);
        spans.push(Span {
            offset: start,
            len: f.code.len() as u32,
        });
        address_map.extend(f.locs.iter().map(|(off, loc)| (start + off, *loc)));
        handlers.extend(
            f.handlers
                .iter()
                .map(|(ret, pad, frame)| (start + ret, start + pad, *frame)),
        );
        stack_maps.extend(
            f.stack_maps
                .iter()
                .map(|(ret, frame, slots)| (start + ret, *frame, slots.clone())),
        );
        for (off, kind, wasm_offset) in &f.traps {
            trap_sites.push(TrapSite {
                code_offset: start + off,
                kind: *kind,
                wasm_offset: *wasm_offset,
            });
        }
    }
    for (f, span) in funcs.iter().zip(&spans) {
        for (off, callee, reloc) in &f.calls {
            let target = spans[(callee - first_defined) as usize].offset;
            arch.apply_call_reloc(
                &mut bytes,
                (span.offset + off) as u64,
                target as u64,
                *reloc,
            )
            .map_err(|e| CompileError::Config(e.to_string()))?;
        }
    }
    trap_sites.sort_by_key(|t| t.code_offset);
    handlers.sort_unstable();
    stack_maps.sort_unstable();
    Ok(Text {
        bytes,
        spans,
        trap_sites,
        address_map,
        handlers,
        stack_maps,
    })
}

/// The C calling convention of `arch` on Linux (Cranelift calls AAPCS64 `SystemV` too).
pub fn host_call_conv(_arch: Arch) -> CallConv {
    CallConv::SystemV
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_cranelift_version_is_the_one_the_workspace_pins() {
        let manifest = include_str!("../../Cargo.toml");
        let pin = format!("cranelift-codegen = {{ version = \"={CRANELIFT_VERSION}\"");
        assert!(manifest.contains(&pin), "update CRANELIFT_VERSION");
    }

    #[test]
    fn functions_are_aligned_as_cranelift_requires() {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let isa = isa(arch, OptLevel::Speed, &[]).unwrap();
            let minimum = u64::from(isa.function_alignment().minimum);
            assert_eq!(arch.function_alignment() % minimum, 0, "{arch}");
        }
    }

    #[test]
    fn a_function_whose_constants_need_more_alignment_gets_it() {
        let func = |len: usize, align: u32| CompiledFunc {
            code: vec![0xc3; len],
            align,
            calls: Vec::new(),
            traps: Vec::new(),
            locs: Vec::new(),
            handlers: Vec::new(),
            stack_maps: Vec::new(),
        };
        let funcs = [func(9, 1), func(9, 1), func(9, 64), func(3, 1)];
        let text = layout_text(Arch::X86_64, &funcs, 0).unwrap();
        let starts: Vec<u32> = text.spans.iter().map(|s| s.offset).collect();
        assert_eq!(starts, [0, 16, 64, 80]);
    }

    #[test]
    fn opt_level_names_round_trip() {
        for l in [OptLevel::None, OptLevel::Speed, OptLevel::Size] {
            assert_eq!(OptLevel::from_name(l.name()), Some(l));
        }
        assert_eq!(OptLevel::from_name("3"), None);
    }
}
