//! Generated modules run under sowa and under Wasmtime.
//!
//! `wasm-smith` builds a module from seeded bytes with every feature sowa compiles, memories
//! and tables bounded, NaNs canonicalised, imports only of the [`HOST_IMPORTS`] both sides
//! define, and every item exported; its `ensure_termination` bounds every loop and recursion
//! with a fuel global, so both runtimes stop at the same point. A [`Plan`] derived from the
//! module and the seed fixes the calls (every exported function, arguments from the seed);
//! each runtime then instantiates and follows it, recording an [`Event`] per step.

use super::outcome::{hash, Event, Run, Stop, V};
use super::Rng;
use anyhow::{anyhow, Context, Result};
use std::cell::RefCell;
use std::rc::Rc;

/// The host functions generated modules may import, as a module that imports them (the form
/// `wasm-smith` takes them in). Both runtimes implement them in [`run_sowa`] and [`run_wasmtime`].
pub const HOST_IMPORTS: &str = r#"(module
  (import "host" "log_i32" (func (param i32)))
  (import "host" "log_i64" (func (param i64)))
  (import "host" "log_f32" (func (param f32)))
  (import "host" "log_f64" (func (param f64)))
  (import "host" "add" (func (param i32 i32) (result i32))))"#;

/// Fuel of the generator's termination check: loop iterations and calls per module.
const FUEL: u32 = 20_000;

/// The generator's settings: sowa's features, nothing it lacks; GC (and with it typed function
/// references) when `gc`, which every other seed asks for, so that half the modules keep to
/// the features without it.
fn config(imports: &[u8], gc: bool) -> wasm_smith::Config {
    wasm_smith::Config {
        available_imports: Some(imports.to_vec()),
        export_everything: true,
        canonicalize_nans: true,
        allow_start_export: true,
        max_memories: 2,
        max_memory32_bytes: 4 << 16,
        max_memory64_bytes: 4 << 16,
        memory_max_size_required: true,
        max_tables: 2,
        max_table_elements: 200,
        table_max_size_required: true,
        max_funcs: 30,
        max_instructions: 200,
        max_data_segments: 8,
        max_element_segments: 8,
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        reference_types_enabled: true,
        simd_enabled: true,
        tail_call_enabled: true,
        extended_const_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        // Relaxed SIMD is left out: sowa's deterministic choices (no fused multiply-add) are
        // not Wasmtime's, and the proposal allows both (see compiler/src/translate/relaxed.rs).
        relaxed_simd_enabled: false,
        exceptions_enabled: true,
        gc_enabled: gc,
        // 64-bit memories and tables.
        memory64_enabled: true,
        threads_enabled: false,
        wide_arithmetic_enabled: true,
        custom_page_sizes_enabled: true,
        compact_imports_enabled: false,
        ..Default::default()
    }
}

/// The module generated from `seed`; `imports` is [`HOST_IMPORTS`] in binary form.
pub fn generate(seed: u64, imports: &[u8]) -> Result<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let len = 1024 + (rng.next() % 8192) as usize;
    let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    let mut u = arbitrary::Unstructured::new(&bytes);
    let mut m = wasm_smith::Module::new(config(imports, seed.is_multiple_of(2)), &mut u)
        .map_err(|e| anyhow!("wasm-smith: {e}"))?;
    m.ensure_termination(FUEL)
        .map_err(|e| anyhow!("wasm-smith: {e}"))?;
    Ok(m.to_bytes())
}

/// The value types of the functions a plan calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
    /// A reference of the `any` hierarchy (GC).
    AnyRef,
    /// An exception reference.
    ExnRef,
}

/// One planned call: the export's name, its arguments with their types, its result count.
pub type Call = (String, Vec<(Ty, V)>, usize);

/// What both runtimes do with a module: calls of exported functions with fixed arguments, then
/// a look at every exported global, memory and table.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub calls: Vec<Call>,
    pub globals: Vec<String>,
    pub memories: Vec<String>,
    pub tables: Vec<String>,
}

/// The plan's type for a parameter of type `t`, or `None` for one no argument can be made for
/// (a non-nullable reference: the plan passes only null references). `is_func(i)` says whether
/// module type `i` is a function type.
fn ty(t: wasmparser::ValType, is_func: &dyn Fn(u32) -> bool) -> Result<Option<Ty>> {
    use wasmparser::{AbstractHeapType as A, HeapType as H, ValType as W};
    Ok(Some(match t {
        W::I32 => Ty::I32,
        W::I64 => Ty::I64,
        W::F32 => Ty::F32,
        W::F64 => Ty::F64,
        W::V128 => Ty::V128,
        W::Ref(r) if !r.is_nullable() => return Ok(None),
        W::Ref(r) => match r.heap_type() {
            H::Abstract { ty, .. } => match ty {
                A::Func | A::NoFunc => Ty::FuncRef,
                A::Extern | A::NoExtern => Ty::ExternRef,
                A::Exn | A::NoExn => Ty::ExnRef,
                A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None => Ty::AnyRef,
                other => return Err(anyhow!("heap type {other:?} is not generated")),
            },
            H::Concrete(i) | H::Exact(i) => {
                let i = i.as_module_index().context("a type index of the module")?;
                if is_func(i) {
                    Ty::FuncRef
                } else {
                    Ty::AnyRef
                }
            }
        },
    }))
}

/// An argument of type `t`: often a value at an edge, otherwise any bits.
fn arg(t: Ty, rng: &mut Rng) -> V {
    let edge = rng.next().is_multiple_of(3);
    let r = rng.next();
    let pick = |edges: &[u64]| edges[(r % edges.len() as u64) as usize];
    match t {
        Ty::I32 if edge => {
            V::I32(pick(&[0, 1, 0xffff_ffff, 0x8000_0000, 0x7fff_ffff, 65536]) as u32)
        }
        Ty::I32 => V::I32(r as u32 % if r & 1 == 0 { 70_000 } else { u32::MAX }),
        Ty::I64 if edge => V::I64(pick(&[0, 1, u64::MAX, 1 << 63, (1 << 63) - 1])),
        Ty::I64 => V::I64(r),
        Ty::F32 if edge => {
            V::F32(pick(&[0, 0x8000_0000, 0x7fc0_0000, 0x7f80_0000, 0x3f80_0000]) as u32)
        }
        Ty::F32 => V::F32(r as u32),
        Ty::F64 if edge => V::F64(pick(&[
            0,
            1 << 63,
            0x7ff8 << 48,
            0x7ff0 << 48,
            0x3ff0 << 48,
        ])),
        Ty::F64 => V::F64(r),
        Ty::V128 => V::V128((r as u128) << 64 | rng.next() as u128),
        Ty::FuncRef | Ty::ExternRef | Ty::AnyRef | Ty::ExnRef => V::Ref { null: true },
    }
}

/// The plan for `wasm`, arguments drawn from `seed`.
pub fn plan(wasm: &[u8], seed: u64) -> Result<Plan> {
    use wasmparser::{ExternalKind, Payload, TypeRef};
    // Every type, then each function type's plan: a parameter may name a type defined after
    // it in its recursion group.
    let mut subs: Vec<wasmparser::SubType> = Vec::new();
    let mut funcs: Vec<u32> = Vec::new();
    let mut plan = Plan::default();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(r) => {
                for g in r {
                    subs.extend(g?.into_types());
                }
            }
            Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    if let TypeRef::Func(t) = i?.ty {
                        funcs.push(t);
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    funcs.push(t?);
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e?;
                    exports.push((e.name.to_string(), e.kind, e.index));
                }
            }
            _ => {}
        }
    }
    let is_func = |i: u32| {
        subs.get(i as usize).is_some_and(|s| {
            matches!(
                s.composite_type.inner,
                wasmparser::CompositeInnerType::Func(_)
            )
        })
    };
    // Per type: the parameters' plan types (`None`: a function no call can be made to) and
    // the number of results.
    let mut types: Vec<(Option<Vec<Ty>>, usize)> = Vec::new();
    for s in &subs {
        types.push(match &s.composite_type.inner {
            wasmparser::CompositeInnerType::Func(f) => {
                let params = f
                    .params()
                    .iter()
                    .map(|p| ty(*p, &is_func))
                    .collect::<Result<Option<Vec<Ty>>>>()?;
                (params, f.results().len())
            }
            _ => (None, 0),
        });
    }
    let mut rng = Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    for (name, kind, index) in exports {
        match kind {
            ExternalKind::Func => {
                let t = *funcs
                    .get(index as usize)
                    .context("export of an unknown function")?;
                let (params, results) = types.get(t as usize).context("unknown type")?;
                // A function taking a non-null reference is not called: only nulls are made.
                if let Some(params) = params {
                    let args = params.iter().map(|p| (*p, arg(*p, &mut rng))).collect();
                    plan.calls.push((name, args, *results));
                }
            }
            ExternalKind::Global => plan.globals.push(name),
            ExternalKind::Memory => plan.memories.push(name),
            ExternalKind::Table => plan.tables.push(name),
            _ => {}
        }
    }
    Ok(plan)
}

/// The GC heap both runtimes get (Wasmtime's through its memory limit, which its GC heap grows
/// under; the generated linear memories are far smaller).
const SOWA_GC_HEAP: u64 = 64 << 20;

/// Ticks of the fuzzer's epoch (one per [`super::TICK`]) a step may run before the safety-net
/// deadline stops it.
pub const DEADLINE_TICKS: u64 = 20;

// ---- sowa ----

fn to_sowa(t: Ty, v: V) -> sowa_runtime::Val {
    use sowa_runtime::Val;
    match (t, v) {
        (_, V::I32(x)) => Val::I32(x as i32),
        (_, V::I64(x)) => Val::I64(x as i64),
        (_, V::F32(x)) => Val::F32(x),
        (_, V::F64(x)) => Val::F64(x),
        (_, V::V128(x)) => Val::V128(x),
        (Ty::ExternRef, V::Ref { .. }) => Val::ExternRef(None),
        (Ty::AnyRef, V::Ref { .. }) => Val::AnyRef(None),
        (Ty::ExnRef, V::Ref { .. }) => Val::ExnRef(None),
        (_, V::Ref { .. }) => Val::FuncRef(None),
    }
}

fn from_sowa(v: &sowa_runtime::Val) -> V {
    use sowa_runtime::Val;
    match *v {
        Val::I32(x) => V::I32(x as u32),
        Val::I64(x) => V::I64(x as u64),
        Val::F32(x) => V::F32(x),
        Val::F64(x) => V::F64(x),
        Val::V128(x) => V::V128(x),
        Val::FuncRef(p) => V::Ref { null: p.is_none() },
        Val::ExternRef(r) => V::Ref { null: r.is_none() },
        Val::ExnRef(r) => V::Ref { null: r.is_none() },
        Val::AnyRef(r) => V::Ref { null: r.is_none() },
    }
}

fn sowa_stop(t: &sowa_runtime::Trap) -> Stop {
    use sowa_runtime::TrapKind as K;
    match t.kind() {
        Some(K::StackOverflow) => Stop::StackOverflow,
        Some(K::Interrupted) => Stop::Deadline,
        Some(K::MemoryOutOfBounds) => Stop::Trap("memory out of bounds"),
        Some(K::IntegerDivideByZero) => Stop::Trap("integer divide by zero"),
        Some(K::IntegerOverflow) => Stop::Trap("integer overflow"),
        Some(K::BadConversionToInteger) => Stop::Trap("bad conversion to integer"),
        Some(K::Unreachable) => Stop::Trap("unreachable"),
        Some(K::IndirectCallTypeMismatch) => Stop::Trap("indirect call type mismatch"),
        Some(K::UndefinedElement | K::TableOutOfBounds) => Stop::Trap("table out of bounds"),
        Some(K::UninitializedElement) => Stop::Trap("uninitialized element"),
        // Wasmtime reports both as its one null-reference trap.
        Some(
            K::NullReference
            | K::NullFunctionReference
            | K::NullExceptionReference
            | K::NullStructReference
            | K::NullArrayReference
            | K::NullI31Reference,
        ) => Stop::Trap("null reference"),
        Some(K::CastFailure) => Stop::Trap("cast failure"),
        Some(K::ArrayOutOfBounds) => Stop::Trap("array out of bounds"),
        Some(K::GcHeapExhausted) => Stop::OutOfMemory,
        Some(K::UnalignedAtomic) => Stop::Trap("unaligned atomic"),
        Some(K::AtomicWaitNonSharedMemory) => Stop::Trap("atomic wait on non-shared memory"),
        None if matches!(t.reason, sowa_runtime::TrapReason::Exception(_)) => Stop::Exception,
        None => Stop::Other(t.to_string()),
    }
}

fn sowa_linker(log: &Rc<RefCell<Vec<Event>>>) -> sowa_runtime::Linker {
    use sowa_runtime::{FuncType, ValType};
    let mut l = sowa_runtime::Linker::new();
    for (name, t) in [
        ("log_i32", ValType::I32),
        ("log_i64", ValType::I64),
        ("log_f32", ValType::F32),
        ("log_f64", ValType::F64),
    ] {
        let log = log.clone();
        let ty = FuncType {
            params: vec![t],
            results: vec![],
        };
        l.func_new("host", name, ty, move |_, args, _| {
            let args = args.iter().map(from_sowa).collect();
            log.borrow_mut().push(Event::Host(name.into(), args));
            Ok(())
        });
    }
    let log = log.clone();
    let ty = FuncType {
        params: vec![ValType::I32, ValType::I32],
        results: vec![ValType::I32],
    };
    l.func_new("host", "add", ty, move |_, args, results| {
        log.borrow_mut().push(Event::Host(
            "add".into(),
            args.iter().map(from_sowa).collect(),
        ));
        let (a, b) = (args[0].i32().unwrap_or(0), args[1].i32().unwrap_or(0));
        results[0] = sowa_runtime::Val::I32(a.wrapping_add(b));
        Ok(())
    });
    l
}

/// Follows `plan` under sowa with the `.so` bytes `so`.
pub fn run_sowa(so: &[u8], plan: &Plan, epoch: &sowa_runtime::Epoch) -> Result<Run> {
    use sowa_runtime::{Extern, Module, Store, StoreLimits};
    let module = Module::from_bytes(so)?;
    // A small GC heap: a huge array fails at once instead of being filled (and the comparison
    // ends there, see `Stop::OutOfMemory`).
    let limits = StoreLimits {
        max_gc_heap: SOWA_GC_HEAP,
        ..Default::default()
    };
    let store = Store::with_epoch(limits, epoch.clone());
    let log = Rc::new(RefCell::new(Vec::new()));
    let linker = sowa_linker(&log);
    store.set_epoch_deadline(DEADLINE_TICKS);
    let instance = match linker.instantiate(&store, &module) {
        Ok(i) => {
            log.borrow_mut().push(Event::Instantiate(Ok(())));
            i
        }
        Err(sowa_runtime::InstantiateError::Trap(t)) => {
            log.borrow_mut()
                .push(Event::Instantiate(Err(sowa_stop(&t))));
            return Ok(Run { events: log.take() });
        }
        Err(_) => {
            // Messages differ between runtimes; that both refused is what is compared.
            log.borrow_mut().push(Event::Instantiate(Err(Stop::Other(
                "not instantiated".into(),
            ))));
            return Ok(Run { events: log.take() });
        }
    };
    for (name, args, _) in &plan.calls {
        let f = instance
            .get_func(name)
            .with_context(|| format!("sowa lacks export {name}"))?;
        let vals: Vec<_> = args.iter().map(|(t, v)| to_sowa(*t, *v)).collect();
        store.set_epoch_deadline(DEADLINE_TICKS);
        let result = f
            .call(&vals)
            .map(|r| r.iter().map(from_sowa).collect())
            .map_err(|t| sowa_stop(&t));
        log.borrow_mut().push(Event::Call {
            name: name.clone(),
            args: args.iter().map(|a| a.1).collect(),
            result,
        });
    }
    let mut events = log.take();
    for name in &plan.globals {
        let g = instance.get_global(name).context("global export")?;
        events.push(Event::Global(name.clone(), from_sowa(&g.get())));
    }
    for name in &plan.memories {
        let m = instance.get_memory(name).context("memory export")?;
        let mut bytes = vec![0; m.data_size()];
        m.read(0, &mut bytes).context("reading memory")?;
        events.push(Event::Memory(name.clone(), m.pages(), hash(&bytes)));
    }
    for name in &plan.tables {
        let Some(Extern::Table(t)) = instance.get_export(name) else {
            return Err(anyhow!("table export {name}"));
        };
        let nulls = (0..t.size())
            .map(|i| {
                t.get(i)
                    .is_none_or(|v| from_sowa(&v) == V::Ref { null: true })
            })
            .collect();
        events.push(Event::Table(name.clone(), t.size(), nulls));
    }
    Ok(Run { events })
}

// ---- Wasmtime ----

/// The Wasmtime engine the fuzzer compares against: the same features, epoch interruption for
/// the safety-net deadline.
pub fn wasmtime_engine() -> Result<wasmtime::Engine> {
    let mut c = wasmtime::Config::new();
    c.epoch_interruption(true)
        .wasm_simd(true)
        .wasm_relaxed_simd(false)
        .wasm_tail_call(true)
        .wasm_multi_memory(true)
        .wasm_extended_const(true)
        .wasm_bulk_memory(true)
        .wasm_multi_value(true)
        .wasm_memory64(true)
        .wasm_exceptions(true)
        .wasm_function_references(true)
        .wasm_gc(true)
        .wasm_wide_arithmetic(true)
        .wasm_custom_page_sizes(true);
    wasmtime::Engine::new(&c).map_err(|e| anyhow!("{e}"))
}

fn to_wasmtime(t: Ty, v: V) -> wasmtime::Val {
    use wasmtime::Val;
    match (t, v) {
        (_, V::I32(x)) => Val::I32(x as i32),
        (_, V::I64(x)) => Val::I64(x as i64),
        (_, V::F32(x)) => Val::F32(x),
        (_, V::F64(x)) => Val::F64(x),
        (_, V::V128(x)) => Val::V128(x.into()),
        (Ty::ExternRef, V::Ref { .. }) => Val::ExternRef(None),
        (Ty::AnyRef, V::Ref { .. }) => Val::AnyRef(None),
        (Ty::ExnRef, V::Ref { .. }) => Val::ExnRef(None),
        (_, V::Ref { .. }) => Val::FuncRef(None),
    }
}

fn from_wasmtime(v: &wasmtime::Val) -> V {
    use wasmtime::Val;
    match v {
        Val::I32(x) => V::I32(*x as u32),
        Val::I64(x) => V::I64(*x as u64),
        Val::F32(x) => V::F32(*x),
        Val::F64(x) => V::F64(*x),
        Val::V128(x) => V::V128(x.as_u128()),
        Val::FuncRef(f) => V::Ref { null: f.is_none() },
        Val::ExternRef(r) => V::Ref { null: r.is_none() },
        Val::ExnRef(r) => V::Ref { null: r.is_none() },
        Val::AnyRef(r) => V::Ref { null: r.is_none() },
        _ => V::Ref { null: false },
    }
}

fn wasmtime_stop(e: &wasmtime::Error) -> Stop {
    use wasmtime::Trap as T;
    match e.downcast_ref::<T>() {
        Some(T::StackOverflow) => Stop::StackOverflow,
        Some(T::Interrupt) => Stop::Deadline,
        Some(T::MemoryOutOfBounds) => Stop::Trap("memory out of bounds"),
        Some(T::IntegerDivisionByZero) => Stop::Trap("integer divide by zero"),
        Some(T::IntegerOverflow) => Stop::Trap("integer overflow"),
        Some(T::BadConversionToInteger) => Stop::Trap("bad conversion to integer"),
        Some(T::UnreachableCodeReached) => Stop::Trap("unreachable"),
        Some(T::BadSignature) => Stop::Trap("indirect call type mismatch"),
        Some(T::TableOutOfBounds) => Stop::Trap("table out of bounds"),
        Some(T::IndirectCallToNull) => Stop::Trap("uninitialized element"),
        Some(T::NullReference) => Stop::Trap("null reference"),
        Some(T::HeapMisaligned) => Stop::Trap("unaligned atomic"),
        Some(T::AtomicWaitNonSharedMemory) => Stop::Trap("atomic wait on non-shared memory"),
        Some(T::CastFailure) => Stop::Trap("cast failure"),
        Some(T::ArrayOutOfBounds) => Stop::Trap("array out of bounds"),
        Some(T::AllocationTooLarge) => Stop::OutOfMemory,
        _ if e.is::<wasmtime::GcHeapOutOfMemory<()>>() => Stop::OutOfMemory,
        _ if e.is::<wasmtime::ThrownException>() => Stop::Exception,
        _ => Stop::Other(format!("{e:#}")),
    }
}

/// What a Wasmtime store of the fuzzer holds: the events, and limits as small as sowa's (a
/// huge GC array fails at once on both sides instead of being filled).
struct WData {
    events: Vec<Event>,
    limits: wasmtime::StoreLimits,
}

type WStore = wasmtime::Store<WData>;

fn wasmtime_linker(engine: &wasmtime::Engine) -> Result<wasmtime::Linker<WData>> {
    use wasmtime::Caller;
    let mut l = wasmtime::Linker::new(engine);
    let e = |e: wasmtime::Error| anyhow!("{e}");
    l.func_wrap("host", "log_i32", |mut c: Caller<'_, WData>, x: i32| {
        c.data_mut()
            .events
            .push(Event::Host("log_i32".into(), vec![V::I32(x as u32)]))
    })
    .map_err(e)?;
    l.func_wrap("host", "log_i64", |mut c: Caller<'_, WData>, x: i64| {
        c.data_mut()
            .events
            .push(Event::Host("log_i64".into(), vec![V::I64(x as u64)]))
    })
    .map_err(e)?;
    l.func_wrap("host", "log_f32", |mut c: Caller<'_, WData>, x: f32| {
        c.data_mut()
            .events
            .push(Event::Host("log_f32".into(), vec![V::F32(x.to_bits())]))
    })
    .map_err(e)?;
    l.func_wrap("host", "log_f64", |mut c: Caller<'_, WData>, x: f64| {
        c.data_mut()
            .events
            .push(Event::Host("log_f64".into(), vec![V::F64(x.to_bits())]))
    })
    .map_err(e)?;
    l.func_wrap(
        "host",
        "add",
        |mut c: Caller<'_, WData>, a: i32, b: i32| -> i32 {
            c.data_mut().events.push(Event::Host(
                "add".into(),
                vec![V::I32(a as u32), V::I32(b as u32)],
            ));
            a.wrapping_add(b)
        },
    )
    .map_err(e)?;
    Ok(l)
}

/// Follows `plan` under Wasmtime.
pub fn run_wasmtime(engine: &wasmtime::Engine, wasm: &[u8], plan: &Plan) -> Result<Run> {
    let module = wasmtime::Module::new(engine, wasm).map_err(|e| anyhow!("{e:?}"))?;
    let linker = wasmtime_linker(engine)?;
    let data = WData {
        events: Vec::new(),
        limits: wasmtime::StoreLimitsBuilder::new()
            .memory_size(SOWA_GC_HEAP as usize)
            .build(),
    };
    let mut store: WStore = wasmtime::Store::new(engine, data);
    store.limiter(|d| &mut d.limits);
    store.set_epoch_deadline(DEADLINE_TICKS);
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(i) => {
            store.data_mut().events.push(Event::Instantiate(Ok(())));
            i
        }
        Err(e) => {
            let stop = match wasmtime_stop(&e) {
                Stop::Other(_) => Stop::Other("not instantiated".into()),
                s => s,
            };
            store.data_mut().events.push(Event::Instantiate(Err(stop)));
            return Ok(Run {
                events: std::mem::take(&mut store.data_mut().events),
            });
        }
    };
    for (name, args, results) in &plan.calls {
        let f = instance
            .get_func(&mut store, name)
            .with_context(|| format!("Wasmtime lacks export {name}"))?;
        let vals: Vec<_> = args.iter().map(|(t, v)| to_wasmtime(*t, *v)).collect();
        let mut out = vec![wasmtime::Val::I32(0); *results];
        store.set_epoch_deadline(DEADLINE_TICKS);
        let result = f
            .call(&mut store, &vals, &mut out)
            .map(|()| out.iter().map(from_wasmtime).collect())
            .map_err(|e| wasmtime_stop(&e));
        store.data_mut().events.push(Event::Call {
            name: name.clone(),
            args: args.iter().map(|a| a.1).collect(),
            result,
        });
    }
    let mut events = std::mem::take(&mut store.data_mut().events);
    for name in &plan.globals {
        let g = instance
            .get_global(&mut store, name)
            .context("global export")?;
        events.push(Event::Global(
            name.clone(),
            from_wasmtime(&g.get(&mut store)),
        ));
    }
    for name in &plan.memories {
        let m = instance
            .get_memory(&mut store, name)
            .context("memory export")?;
        let pages = m.size(&store);
        events.push(Event::Memory(name.clone(), pages, hash(m.data(&store))));
    }
    for name in &plan.tables {
        let t = instance
            .get_table(&mut store, name)
            .context("table export")?;
        let size = t.size(&store);
        let nulls = (0..size)
            .map(|i| t.get(&mut store, i).is_none_or(|r| r.is_null()))
            .collect();
        events.push(Event::Table(name.clone(), size, nulls));
    }
    Ok(Run { events })
}
