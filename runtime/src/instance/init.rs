//! Instantiation: import checks, context set-up, initializers, segments and the start function,
//! in the order the specification gives.

use super::{Extern, Instance, InstanceData};
use crate::exception::TagData;
use crate::func::{FuncKind, VMFuncRef};
use crate::global::{mask, read_cell_raw, write_cell};
use crate::memory::{ImageSource, MemoryData};
use crate::module::Module;
use crate::store::{list, Store};
use crate::table::TableData;
use crate::traps::Trap;
use crate::types_registry::Canonical;
use sowa_targets::artifact::{
    ConstExpr, ConstOp, ElemItems, ElementSegment, ImportKind, ModuleInfo, SegmentMode, Tables,
};
use sowa_targets::gc::{self, i31};
use sowa_targets::vmctx;
use sowa_targets::{
    CompositeType, GlobalType, MemoryType, TableType, TrapKind, TypeSpace, ValType,
};
use std::alloc::Layout;

/// Why instantiation failed.
#[derive(Debug, thiserror::Error)]
pub enum InstantiateError {
    /// An import is missing or has the wrong type.
    #[error("{0}")]
    Link(String),
    /// A resource (memory, table) could not be created.
    #[error("{0}")]
    Resource(String),
    /// A segment or the start function trapped.
    #[error("{0}")]
    Trap(#[from] Trap),
    /// A record of the module's manifest tables points outside what it should (the tables
    /// are checked as they are used, not at load).
    #[error("corrupt module: {0}")]
    Corrupt(String),
}

/// Type of global `index` (imported or defined).
pub(crate) fn global_type(m: &ModuleInfo, index: u32) -> GlobalType {
    let mut imported = m.imports.iter().filter_map(|i| match &i.kind {
        ImportKind::Global(g) => Some(*g),
        _ => None,
    });
    let n = m.num_imported_globals();
    if index < n {
        imported.nth(index as usize).expect("checked index")
    } else {
        m.globals[(index - n) as usize].ty
    }
}

fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match max {
            None => true,
            Some(m) => actual_max.is_some_and(|a| a <= m),
        }
}

fn memory_matches(actual: &MemoryType, want: &MemoryType) -> bool {
    actual.shared == want.shared
        && actual.memory64 == want.memory64
        && actual.page_size_log2 == want.page_size_log2
        && limits_match(actual.min, actual.max, want.min, want.max)
}

/// Table types match when their element types are equal (both canonical) and limits fit.
fn table_matches(actual: &TableType, want: &TableType) -> bool {
    actual.elem == want.elem
        && actual.table64 == want.table64
        && limits_match(actual.min, actual.max, want.min, want.max)
}

/// A global matches an import of the same mutability whose type is the same (mutable) or a
/// supertype (immutable); both canonical.
fn global_matches(actual: &GlobalType, want: &GlobalType) -> bool {
    actual.mutable == want.mutable
        && if want.mutable {
            actual.ty == want.ty
        } else {
            actual.ty.is_subtype_of(want.ty, &Canonical)
        }
}

/// Evaluates a constant expression in the instance being built, to the slot encoding of a
/// value of type `ty` (references are this store's by construction).
pub(crate) fn eval(inst: &InstanceData, e: &ConstExpr, ty: ValType) -> Result<u128, Trap> {
    let mut stack: Vec<u128> = Vec::with_capacity(4);
    let m = inst.module.info();
    for op in &e.0 {
        let v = match *op {
            ConstOp::I32Const(v) => v as u32 as u128,
            ConstOp::I64Const(v) => v as u64 as u128,
            ConstOp::F32Const(b) => b as u128,
            ConstOp::F64Const(b) => b as u128,
            ConstOp::V128Const(v) => v,
            ConstOp::RefNull(_) => 0,
            // A function without a slot only in a damaged module: a null reference then.
            ConstOp::RefFunc(f) => inst.funcref_of(f).map_or(0, |p| p as usize as u128),
            ConstOp::GlobalGet(g) => {
                let gt = global_type(m, g);
                // SAFETY: global cells are set up before any expression is evaluated.
                unsafe { read_cell_raw(inst.globals[g as usize], gt.ty) }
            }
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let b = stack.pop().unwrap_or(0) as u32;
                let a = stack.pop().unwrap_or(0) as u32;
                (match op {
                    ConstOp::I32Add => a.wrapping_add(b),
                    ConstOp::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }) as u128
            }
            ConstOp::RefI31 => i31::encode(stack.pop().unwrap_or(0) as i32) as u128,
            ConstOp::Convert => stack.pop().unwrap_or(0),
            ConstOp::StructNew(_)
            | ConstOp::StructNewDefault(_)
            | ConstOp::ArrayNew(_)
            | ConstOp::ArrayNewDefault(_)
            | ConstOp::ArrayNewFixed(..) => new_object(inst, op, &mut stack)
                .ok_or_else(|| Trap::wasm(TrapKind::GcHeapExhausted))?
                as u128,
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let b = stack.pop().unwrap_or(0) as u64;
                let a = stack.pop().unwrap_or(0) as u64;
                (match op {
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }) as u128
            }
        };
        stack.push(v);
    }
    Ok(mask(stack.pop().unwrap_or(0), ty))
}

/// Allocates the object a constant expression's `struct.new` or `array.new` makes, taking its
/// operands from `stack`; `None` when the GC heap has no room (or the type is not what the
/// operator needs, in a damaged module).
fn new_object(inst: &InstanceData, op: &ConstOp, stack: &mut Vec<u128>) -> Option<u64> {
    let mi = &inst.module.inner;
    let mut pop = || stack.pop().unwrap_or(0);
    // `fill`: one value for every element (`array.new`), never a list as long as the array
    // (its length is the guest's, and the heap's limit must refuse it first).
    let mut fill = None;
    let (t, values, n) = match *op {
        ConstOp::StructNew(t) => {
            let fields = match &mi.type_infos.get(t as usize)?.sub.composite {
                CompositeType::Struct(f) => f.len(),
                _ => return None,
            };
            let mut v: Vec<u128> = (0..fields).map(|_| pop()).collect();
            v.reverse();
            (t, v, 0)
        }
        ConstOp::StructNewDefault(t) => (t, vec![], 0),
        ConstOp::ArrayNew(t) => {
            let n = pop() as u32;
            fill = Some(pop());
            (t, vec![], n)
        }
        ConstOp::ArrayNewDefault(t) => (t, vec![], pop() as u32),
        ConstOp::ArrayNewFixed(t, n) => {
            let mut v: Vec<u128> = (0..n).map(|_| pop()).collect();
            v.reverse();
            (t, v, n)
        }
        _ => return None,
    };
    let info = mi.type_infos.get(t as usize)?;
    let mut heap = inst.store().gc.borrow_mut();
    let write = |p: *mut u8, v: u128, offset: u32, size: u32| {
        // SAFETY: callers pass a place inside the fresh object `p` (its layout says so).
        unsafe {
            std::ptr::copy_nonoverlapping(
                v.to_le_bytes().as_ptr(),
                p.add(offset as usize),
                size as usize,
            )
        };
    };
    match &info.sub.composite {
        CompositeType::Struct(fields) => {
            let layout = info.layout.as_ref()?;
            let p = heap.alloc(layout.size as u64, info.supers[0])?;
            for ((v, f), o) in values.iter().zip(fields).zip(&layout.offsets) {
                write(p, *v, *o, f.storage.byte_size());
            }
            Some(p as u64)
        }
        CompositeType::Array(elem) => {
            let p = heap.alloc(gc::array_size(*elem, n), info.supers[0])?;
            // SAFETY: a fresh array object: its length goes after the header.
            unsafe { *(p.add(gc::object::ARRAY_LEN as usize) as *mut u32) = n };
            let size = elem.storage.byte_size();
            for k in 0..n {
                let v = fill.unwrap_or_else(|| values.get(k as usize).copied().unwrap_or(0));
                write(p, v, gc::object::ARRAY_ELEMS + k * size, size);
            }
            Some(p as u64)
        }
        CompositeType::Func(_) => None,
    }
}

/// The value of element `k` of segment `index` in the instance, or `None` when the manifest's
/// element function table is damaged (an entry past it, or naming no function), or an
/// allocation in an expression finds the GC heap full.
pub(crate) fn elem_item(
    inst: &InstanceData,
    tables: &Tables<'_>,
    index: u32,
    k: usize,
) -> Option<usize> {
    if let Ok(i) = inst.elem_objects.binary_search_by_key(&index, |(i, _)| *i) {
        return inst.elem_objects[i].1.get(k).copied();
    }
    let seg = inst.module.info().elements.get(index as usize)?;
    match &seg.items {
        ElemItems::Funcs { start, .. } => {
            let slot = tables.elem_func(start.checked_add(u32::try_from(k).ok()?)?)?;
            inst.funcref_in(slot).map(|p| p as usize)
        }
        ElemItems::Exprs(items) => eval(inst, items.get(k)?, ValType::Ref(seg.ty))
            .ok()
            .map(|v| v as usize),
    }
}

/// Whether evaluating the segment's items allocates: then they are evaluated once, at
/// instantiation, as the specification says they all are (so every `array.new_elem` and
/// `array.init_elem` sees the same objects); other items are evaluated where used, which
/// gives the same values without work in proportion to the segment at instantiation.
fn allocates(seg: &ElementSegment) -> bool {
    match &seg.items {
        ElemItems::Funcs { .. } => false,
        ElemItems::Exprs(items) => items.iter().flat_map(|e| &e.0).any(ConstOp::allocates),
    }
}

impl Instance {
    /// Instantiates `module` in `store` with `imports` given in the module's import order.
    pub fn new(
        store: &Store,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance, InstantiateError> {
        let mi = &module.inner;
        let m = mi.info();
        let tables = mi.tables();
        if imports.len() != m.imports.len() {
            return Err(InstantiateError::Link(format!(
                "expected {} imports, got {}",
                m.imports.len(),
                imports.len()
            )));
        }
        let offsets = mi.offsets;
        let layout = Layout::from_size_align(offsets.size() as usize, 16).expect("vmctx layout");
        // Context and lists from a reset store's last instances when there are some (see
        // `Store::reset`); the lists sized once, as each regrowth is an allocation.
        let data = {
            let mut r = store.inner.recycled.borrow_mut();
            InstanceData {
                module: module.clone(),
                vmctx: r.context(layout),
                layout,
                memories: list(&mut r.memory_lists, offsets.counts.memories as usize),
                tables: list(&mut r.table_lists, offsets.counts.tables as usize),
                globals: list(&mut r.global_lists, offsets.counts.globals as usize),
                tags: Vec::with_capacity(offsets.counts.tags as usize),
                dropped_passive_data: Vec::new(),
                dropped_elems: vec![false; m.elements.len()],
                elem_objects: Vec::new(),
            }
        };
        let vmctx = data.vmctx;
        // The instance joins the store at once: even if a segment traps later, its functions may
        // already be referenced from imported tables.
        let ptr = store.inner.keep(data, |o| &mut o.instances);
        // SAFETY: freshly stored; no other reference exists yet.
        let inst = unsafe { &mut *ptr };
        let handle = Instance {
            store: store.inner.clone(),
            ptr,
        };
        // SAFETY: all writes below are to fields of the fresh context, at offsets from its layout.
        unsafe {
            *inst.vmctx_field::<*mut u8>(vmctx::LIMITS) = store.inner.vm_limits.get() as *mut u8;
            *inst.vmctx_field::<*const *const ()>(vmctx::BUILTINS) =
                crate::builtins::TABLE.0.as_ptr();
            *inst.vmctx_field::<*mut InstanceData>(vmctx::INSTANCE) = ptr;
            for (i, id) in mi.type_ids.iter().enumerate() {
                *inst.vmctx_field::<u32>(offsets.type_id(i as u32)) = *id;
            }
        }

        // Imports, checked and wired in index order per kind.
        let mut func_index = 0u32;
        for (imp, ext) in m.imports.iter().zip(imports) {
            // Contexts keep raw pointers to what they import: an object of another store would
            // dangle once that store is dropped.
            if !std::rc::Rc::ptr_eq(ext.store(), &store.inner) {
                return Err(InstantiateError::Link(format!(
                    "import `{}`.`{}` belongs to another store: create it in the store the \
                     module is instantiated in",
                    imp.module, imp.name
                )));
            }
            let bad = || {
                let want = match &imp.kind {
                    ImportKind::Func(t) => format!("function {}", m.types[*t as usize]),
                    ImportKind::Memory(t) => format!("memory {t}"),
                    ImportKind::Table(t) => format!("table {t}"),
                    ImportKind::Global(t) => format!("global {t}"),
                    ImportKind::Tag(t) => format!("tag {}", m.types[*t as usize]),
                };
                let found = match ext {
                    Extern::Func(f) => format!("function {}", f.ty),
                    Extern::Memory(x) => format!("memory {}", x.ty()),
                    Extern::Table(x) => format!("table {}", x.ty()),
                    Extern::Global(x) => format!("global {}", x.ty()),
                    Extern::Tag(x) => format!("tag {}", x.ty()),
                };
                InstantiateError::Link(format!(
                    "incompatible import type for `{}`.`{}`: the module expects {want}, the \
                     definition is {found}",
                    imp.module, imp.name
                ))
            };
            match (&imp.kind, ext) {
                (ImportKind::Func(t), Extern::Func(f)) => {
                    // A function of the type asked for or of a subtype of it.
                    if !Canonical.is_sub(f.type_id(), mi.type_ids[*t as usize]) {
                        return Err(bad());
                    }
                    let rec = match (f.kind, f.host()) {
                        (FuncKind::Ref(r), None) => {
                            // SAFETY: funcref records live in contexts of the same store.
                            unsafe { *r }
                        }
                        (_, Some(h)) => VMFuncRef {
                            wasm_call: mi.host_bridges[*t as usize],
                            vmctx: h as *mut u8,
                            // SAFETY: host functions live in the store.
                            type_id: unsafe { (*h).type_id },
                            _pad: 0,
                            array_call: 0,
                        },
                        (FuncKind::Host(_), None) => unreachable!(),
                    };
                    // SAFETY: writing this instance's own funcref slot.
                    unsafe { *inst.funcref(func_index) = rec };
                    func_index += 1;
                }
                (ImportKind::Memory(want), Extern::Memory(mem)) => {
                    if !memory_matches(&mem.ty(), want) {
                        return Err(bad());
                    }
                    inst.memories.push(mem.ptr);
                }
                (ImportKind::Table(want), Extern::Table(t)) => {
                    let want = TableType {
                        elem: mi.canonical_ref(want.elem),
                        ..*want
                    };
                    if !table_matches(&t.ty(), &want) {
                        return Err(bad());
                    }
                    inst.tables.push(t.ptr);
                }
                (ImportKind::Global(want), Extern::Global(g)) => {
                    let want = GlobalType {
                        ty: mi.canonical(want.ty),
                        ..*want
                    };
                    if !global_matches(&g.ty, &want) {
                        return Err(bad());
                    }
                    inst.globals.push(g.cell);
                }
                (ImportKind::Tag(t), Extern::Tag(tag)) => {
                    // SAFETY: the record lives in the store (checked above).
                    if unsafe { (*tag.ptr).type_id } != mi.type_ids[*t as usize] {
                        return Err(bad());
                    }
                    inst.tags.push(tag.ptr);
                }
                _ => return Err(bad()),
            }
        }

        // Defined functions: a record only for those a reference can be taken to (the
        // compiler lists them); direct calls need none.
        let text = mi.artifact.text().start() as usize;
        let text_len = mi.artifact.text().len() as u64;
        for (slot, index) in (func_index..).zip(tables.funcref_funcs()) {
            let body = index
                .checked_sub(func_index)
                .and_then(|i| tables.function(i))
                .filter(|b| b.offset as u64 + b.len as u64 <= text_len);
            let t = tables.func_type(index).map(|t| t as usize);
            let (Some(body), Some(t)) = (body, t.filter(|t| *t < m.types.len())) else {
                return Err(InstantiateError::Corrupt(format!(
                    "function {index}'s record"
                )));
            };
            if mi.entry_trampolines[t] == 0 {
                return Err(InstantiateError::Corrupt(format!(
                    "no entry trampoline for function {index}'s type"
                )));
            }
            if slot >= offsets.counts.funcrefs {
                return Err(InstantiateError::Corrupt("funcref slot count".into()));
            }
            // SAFETY: writing this instance's own funcref slot, within the context (checked).
            unsafe {
                *inst.funcref(slot) = VMFuncRef {
                    wasm_call: text + body.offset as usize,
                    vmctx,
                    type_id: mi.type_ids[t],
                    _pad: 0,
                    array_call: mi.entry_trampolines[t],
                };
            }
        }

        // Defined memories.
        for (i, ty) in m.memories.iter().enumerate() {
            // Memory 0's image, when the module has one (only if memory 0 is defined).
            let image = match (i, &m.memory_image, mi.artifact.memory_image()) {
                (0, Some(img), Some((file, file_offset))) => Some(ImageSource {
                    module: mi.id,
                    file,
                    file_offset,
                    offset: img.offset,
                    len: img.len,
                }),
                _ => None,
            };
            let md = MemoryData::new(*ty, store.inner.limits.max_memory_pages, image)
                .map_err(|e| InstantiateError::Resource(e.to_string()))?;
            inst.memories
                .push(store.inner.keep(md, |o| &mut o.memories));
        }
        for (i, mem) in inst.memories.iter().enumerate() {
            // SAFETY: this instance's own memory pointer and base slots; the record lives in
            // the store, and its base never changes while the memory exists (its whole range
            // is reserved up front), so the copy stays true.
            unsafe {
                *inst.vmctx_field::<*mut u8>(offsets.memory_ptr(i as u32)) =
                    &raw mut (**mem).vm as *mut u8;
                *inst.vmctx_field::<*mut u8>(offsets.memory_base(i as u32)) = (**mem).vm.base;
            }
        }

        // Defined globals, in order (an initializer may read imported globals).
        for (i, g) in m.globals.iter().enumerate() {
            let cell = inst.vmctx_field::<u8>(offsets.defined_global(i as u32));
            inst.globals.push(cell);
            let v = eval(inst, &g.init, g.ty.ty)?;
            // SAFETY: the cell is this instance's inline global storage.
            unsafe { write_cell(cell, v) };
        }
        for (i, cell) in inst.globals.iter().enumerate() {
            // SAFETY: this instance's own global pointer slot.
            unsafe { *inst.vmctx_field::<*mut u8>(offsets.global_ptr(i as u32)) = *cell };
        }

        // Defined tags: each instantiation makes new ones.
        for t in &m.tags {
            let Some(ty) = mi.canonical_types[*t as usize].as_func().cloned() else {
                continue;
            };
            let type_id = mi.type_ids[*t as usize];
            inst.tags
                .push(store.inner.keep(TagData { ty, type_id }, |o| &mut o.tags));
        }
        for (i, t) in inst.tags.iter().enumerate() {
            // SAFETY: this instance's own tag slot.
            unsafe { *inst.vmctx_field::<*const TagData>(offsets.tag_ptr(i as u32)) = *t };
        }

        // Defined tables.
        for t in &m.tables {
            let init = match &t.init {
                Some(e) => eval(inst, e, ValType::Ref(t.ty.elem))? as usize,
                None => 0,
            };
            let storage = list(&mut store.inner.recycled.borrow_mut().elements, 0);
            let ty = TableType {
                elem: mi.canonical_ref(t.ty.elem),
                ..t.ty
            };
            let td = TableData::new_in(ty, init, storage).ok_or_else(|| {
                InstantiateError::Resource(format!("table of {} elements is too large", t.ty.min))
            })?;
            inst.tables.push(store.inner.keep(td, |o| &mut o.tables));
        }
        for (i, t) in inst.tables.iter().enumerate() {
            // SAFETY: this instance's own table pointer slot; the record lives in the store.
            unsafe {
                *inst.vmctx_field::<*mut u8>(offsets.table_ptr(i as u32)) =
                    &raw mut (**t).vm as *mut u8;
            }
        }

        // Element segments, then data segments; active and declared ones are dropped after use.
        for (i, seg) in m.elements.iter().enumerate() {
            match &seg.mode {
                SegmentMode::Active { index, offset } => {
                    // SAFETY: tables live in the store; no wasm runs concurrently.
                    let off = if unsafe { (*inst.tables[*index as usize]).ty.table64 } {
                        eval(inst, offset, ValType::I64)? as u64
                    } else {
                        eval(inst, offset, ValType::I32)? as u32 as u64
                    };
                    let items = (0..seg.items.len())
                        .map(|k| elem_item(inst, &tables, i as u32, k))
                        .collect::<Option<Vec<usize>>>()
                        .ok_or_else(|| {
                            InstantiateError::Corrupt(format!("element segment {i}'s items"))
                        })?;
                    // SAFETY: tables live in the store; no wasm runs concurrently.
                    let table = unsafe { &mut *inst.tables[*index as usize] };
                    let end = off.saturating_add(items.len() as u64);
                    if end > table.len() {
                        return Err(Trap::wasm(TrapKind::TableOutOfBounds).into());
                    }
                    table.elements[off as usize..end as usize].copy_from_slice(&items);
                    inst.dropped_elems[i] = true;
                }
                SegmentMode::Declared => inst.dropped_elems[i] = true,
                SegmentMode::Passive if allocates(seg) => {
                    let items = (0..seg.items.len())
                        .map(|k| elem_item(inst, &tables, i as u32, k))
                        .collect::<Option<Vec<usize>>>()
                        .ok_or_else(|| Trap::wasm(TrapKind::GcHeapExhausted))?;
                    inst.elem_objects.push((i as u32, items));
                }
                SegmentMode::Passive => {}
            }
        }
        // Only the segments memory images do not hold: for a module whose memory 0 has an
        // image, none of that memory's (already in place, mapped from the file).
        for d in &m.active_data {
            // SAFETY: memories live in the store; no wasm runs concurrently.
            let memory64 = unsafe { (*inst.memories[d.memory as usize]).ty.memory64 };
            let off = if memory64 {
                eval(inst, &d.offset, ValType::I64)? as u64
            } else {
                eval(inst, &d.offset, ValType::I32)? as u32 as u64
            };
            let off = usize::try_from(off).unwrap_or(usize::MAX);
            let bytes = tables
                .data_segment(d.segment)
                .and_then(|r| mi.artifact.data(&r))
                .ok_or_else(|| InstantiateError::Corrupt(format!("data segment {}", d.segment)))?;
            // SAFETY: memories live in the store; no wasm of this store runs meanwhile (other
            // threads' in a shared memory race with the segment as the spec lets them).
            let mem = unsafe { (*inst.memories[d.memory as usize]).bytes_mut() };
            let dst = mem
                .get_mut(off..off.saturating_add(bytes.len()))
                .filter(|_| off.checked_add(bytes.len()).is_some())
                .ok_or_else(|| InstantiateError::from(Trap::wasm(TrapKind::MemoryOutOfBounds)))?;
            dst.copy_from_slice(bytes);
        }

        if let Some(start) = m.start {
            let f = inst
                .func(&store.inner, start)
                .ok_or_else(|| InstantiateError::Corrupt("start function's record".into()))?;
            f.call(&[])?;
        }
        Ok(handle)
    }
}
