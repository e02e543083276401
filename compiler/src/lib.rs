//! sowa's ahead-of-time compiler: WebAssembly in, an ELF shared object out.
//!
//! [`compile`] validates the module ([`environ`]), translates each function to Cranelift IR
//! ([`translate`]), compiles the functions in parallel ([`codegen`]), adds the host/wasm boundary
//! stubs ([`trampolines`]) and writes the ELF file ([`elf`]). The artifact's vocabulary comes from
//! `sowa-targets`.

#![warn(missing_docs)]

pub mod cli;
pub mod codegen;
pub mod elf;
pub mod environ;
pub mod error;
pub mod image;
pub mod inline;
pub mod proposals;
pub mod trampolines;
pub mod translate;

pub use codegen::OptLevel;
pub use environ::Proposals;
pub use error::CompileError;
use error::Result;
use sha2::{Digest, Sha256};
use sowa_targets::artifact::{
    ActiveData, ExternKind, FunctionCode, ImportKind, MemoryImage, SegmentMode,
};
use sowa_targets::vmctx::VMOffsets;
use sowa_targets::Arch;
pub use sowa_targets::CpuLevel;
use std::collections::BTreeSet;

/// What to compile for.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Target architecture.
    pub arch: Arch,
    /// CPU features beyond the architecture's portable baseline the code may use; the loader
    /// refuses the module on a CPU without them.
    pub cpu: CpuLevel,
    /// Optimization level.
    pub opt: OptLevel,
    /// Inline small leaf functions into their direct callers (at `-O speed`; see
    /// [`inline`]).
    pub inline: bool,
    /// Which post-2.0 proposals modules may use.
    pub proposals: Proposals,
    /// Threads compiling functions in parallel; 0 means one per core, 1 compiles on the calling
    /// thread without spawning any.
    pub jobs: usize,
    /// Called with (functions compiled, functions in all) after each function, from whichever
    /// thread compiled it: what `sowac` draws its progress line from.
    pub progress: Option<fn(usize, usize)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            arch: Arch::host().unwrap_or(Arch::X86_64),
            cpu: CpuLevel::Baseline,
            inline: true,
            opt: OptLevel::Speed,
            proposals: Proposals::DEFAULT,
            jobs: 0,
            progress: None,
        }
    }
}

/// The SHA-256 of a module's bytes, as recorded in artifacts and used as cache key.
pub fn wasm_hash(wasm: &[u8]) -> [u8; 32] {
    Sha256::digest(wasm).into()
}

/// Compiles `wasm` (binary or, for convenience, text format is not accepted here) into the bytes
/// of a sowa shared object.
pub fn compile(wasm: &[u8], options: &Options) -> Result<Vec<u8>> {
    compile_module(wasm, options).map_err(|e| explain_missing_feature(e, wasm, options.proposals))
}

/// A refusal of a feature that was off, told as what to do: turn on the proposal sowa knows
/// that makes the module valid, or, when every proposal was on, sowa does not compile it yet.
/// (Only on this error path is the module validated again, once per proposal that was off.)
fn explain_missing_feature(e: CompileError, wasm: &[u8], enabled: Proposals) -> CompileError {
    if !e.is_missing_feature() {
        return e;
    }
    if enabled == Proposals::ALL {
        return e.as_missing_proposal();
    }
    let validates = |p: Proposals| {
        wasmparser::Validator::new_with_features(p.features())
            .validate_all(wasm)
            .is_ok()
    };
    let off = Proposals::known().filter(|n| !enabled.contains(n));
    let needed = off
        .into_iter()
        .find(|n| enabled.with(n).is_ok_and(validates));
    match needed {
        Some(name) => e.with_hint(&format!(
            "the module uses {name}, which is off: compile it with `sowa compile --wasm {name}`"
        )),
        None if validates(Proposals::ALL) => e.with_hint(
            "the module uses proposals that are off: compile it with `sowa compile --wasm all`",
        ),
        None => e.as_missing_proposal(),
    }
}

fn compile_module(wasm: &[u8], options: &Options) -> Result<Vec<u8>> {
    let env = environ::parse(wasm, options.proposals)?;
    let mut manifest = env.manifest;
    manifest.assign_funcref_slots();
    manifest.info.compiled_by = sowa_targets::artifact::CompiledBy {
        compiler: format!(
            "sowac {} (cranelift {})",
            env!("CARGO_PKG_VERSION"),
            codegen::CRANELIFT_VERSION
        ),
        opt_level: options.opt.name().to_string(),
        proposals: options
            .proposals
            .names()
            .iter()
            .map(|n| n.to_string())
            .collect(),
    };
    let cpu = sowa_targets::cpu::features(options.arch, options.cpu)
        .map_err(|e| CompileError::Config(e.to_string()))?;
    manifest.info.cpu_features = cpu.iter().map(|f| f.name.to_string()).collect();
    let isa = codegen::isa(options.arch, options.opt, &cpu)?;
    let host_cc = codegen::host_call_conv(options.arch);
    let imported_funcs = manifest.num_imported_funcs();

    let mut global_types: Vec<_> = manifest
        .info
        .imports
        .iter()
        .filter_map(|i| match &i.kind {
            ImportKind::Global(g) => Some(g.ty),
            _ => None,
        })
        .collect();
    global_types.extend(manifest.info.globals.iter().map(|g| g.ty.ty));
    let tenv = translate::ModuleTranslationEnv {
        manifest: &manifest,
        offsets: VMOffsets::new(manifest.vm_counts()),
        imported_funcs,
        global_types,
        frontend_config: isa.frontend_config(),
        host_call_conv: host_cc,
    };
    // Inlining pays at `-O speed`; `-O size` and `none` keep every call.
    let inlinable = if options.inline && options.opt == OptLevel::Speed {
        inline::Inlinable::collect(&tenv, &env.bodies)
    } else {
        Default::default()
    };
    // Hashing the module and laying out memory 0's image are serial work in proportion to the
    // module's data (tens of milliseconds for a module with 20 MB of data, as much as its
    // functions take to compile): done on a thread of their own while the functions compile,
    // except with `jobs: 1`, which promises no thread is spawned (qemu-user on some hosts hangs
    // in pthread_create; CI runs the aarch64 spec suites that way).
    let page = options.arch.max_page_size();
    let side = || (wasm_hash(wasm), image::build(&manifest, &env.data, page));
    let compile = |bodies| {
        codegen::compile_bodies(
            &*isa,
            &tenv,
            bodies,
            &inlinable,
            options.jobs,
            options.progress,
        )
    };
    let (compiled, (wasm_sha256, image)) = if options.jobs == 1 {
        (compile(env.bodies), side())
    } else {
        std::thread::scope(|s| {
            let side = s.spawn(side);
            let compiled = compile(env.bodies);
            let side = side.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (compiled, side)
        })
    };
    let mut funcs = compiled?;
    let num_defined = funcs.len();

    let entry_types: BTreeSet<u32> = manifest.func_types[imported_funcs as usize..]
        .iter()
        .copied()
        .collect();
    let bridge_types: BTreeSet<u32> = manifest.func_types[..imported_funcs as usize]
        .iter()
        .copied()
        .collect();
    for t in &entry_types {
        let f =
            trampolines::entry_trampoline(manifest.info.sig(*t), host_cc, isa.frontend_config());
        funcs.push(codegen::compile_stub(&*isa, f, "entry trampoline")?);
    }
    for t in &bridge_types {
        let f = trampolines::host_bridge(manifest.info.sig(*t), host_cc, isa.frontend_config());
        funcs.push(codegen::compile_stub(&*isa, f, "host bridge")?);
    }
    let text = codegen::layout_text(options.arch, &funcs, imported_funcs)?;
    manifest.functions = text.spans[..num_defined]
        .iter()
        .map(|s| FunctionCode { body: *s })
        .collect();
    let mut stubs = text.spans[num_defined..].iter();
    manifest.info.entry_trampolines = entry_types
        .iter()
        .map(|t| (*t, *stubs.next().unwrap()))
        .collect();
    manifest.info.host_bridges = bridge_types
        .iter()
        .map(|t| (*t, *stubs.next().unwrap()))
        .collect();
    manifest.trap_sites = text.trap_sites;
    manifest.address_map = text.address_map;
    manifest.handlers = text.handlers;
    manifest.stack_maps = text.stack_maps;

    manifest.info.wasm_sha256 = wasm_sha256;
    // Data segments: each starts on a page so that a loader can map it copy-on-write. Those
    // that memory 0's image holds need no bytes of their own: they are never read again.
    let mut data = Vec::new();
    let mut data_len = 0u64;
    for (i, (seg, bytes)) in manifest.data.iter_mut().zip(&env.data).enumerate() {
        let in_image = image.is_some() && matches!(seg.mode, SegmentMode::Active { index: 0, .. });
        if in_image {
            seg.len = 0;
            continue;
        }
        if let SegmentMode::Active { index, offset } = &seg.mode {
            manifest.info.active_data.push(ActiveData {
                segment: i as u32,
                memory: *index,
                offset: offset.clone(),
            });
        }
        seg.offset = data_len;
        data.push((data_len, *bytes));
        data_len = (data_len + bytes.len() as u64).next_multiple_of(page);
    }
    if let Some((offset, bytes)) = &image {
        manifest.info.memory_image = Some(MemoryImage {
            offset: *offset,
            data_offset: data_len,
            len: bytes.len() as u64,
        });
        data.push((data_len, bytes));
        data_len += bytes.len() as u64;
    }

    let symbol = |index: u32| {
        let s = manifest.functions[(index - imported_funcs) as usize].body;
        (s.offset as u64, s.len as u64)
    };
    let exports: Vec<elf::FuncSymbol> = manifest
        .info
        .exports
        .iter()
        .filter(|e| e.kind == ExternKind::Func && e.index >= imported_funcs)
        .map(|e| {
            let (offset, size) = symbol(e.index);
            elf::FuncSymbol {
                name: e.name.clone(),
                offset,
                size,
            }
        })
        .collect();
    let functions: Vec<elf::FuncSymbol> = (imported_funcs..imported_funcs + num_defined as u32)
        .map(|i| {
            let (offset, size) = symbol(i);
            elf::FuncSymbol {
                name: manifest.func_name(i),
                offset,
                size,
            }
        })
        .collect();
    let encoded = manifest.encode();
    Ok(elf::write(&elf::ElfInput {
        arch: options.arch,
        text: &text.bytes,
        manifest: &encoded,
        data: &data,
        data_len,
        exports: &exports,
        functions: &functions,
    }))
}

/// Describes a module without compiling it (what `sowa inspect` shows for a `.wasm`): its
/// sections are read and validated, its function bodies are not; function sizes are bytecode.
pub fn summarize(
    wasm: &[u8],
    proposals: Proposals,
) -> Result<sowa_targets::artifact::summary::ModuleSummary> {
    let env = environ::parse(wasm, proposals)?;
    let m = &env.manifest;
    Ok(sowa_targets::artifact::summary::ModuleSummary::new(
        &m.info,
        |f| m.func_types.get(f as usize).copied(),
        |f| {
            m.func_names
                .binary_search_by_key(&f, |(i, _)| *i)
                .ok()
                .map(|i| m.func_names[i].1.clone())
        },
        env.bodies.iter().map(|b| {
            let r = b.body.range();
            (b.index, r.end - r.start)
        }),
        m.data.iter().zip(&env.data).map(|(d, bytes)| {
            (
                matches!(d.mode, SegmentMode::Active { .. }),
                bytes.len() as u64,
            )
        }),
    ))
}
