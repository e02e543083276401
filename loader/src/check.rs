//! Checks every index and span of a decoded manifest core, so that the runtime can index it
//! without fear: a tampered file is refused here with a message, never trusted later. The
//! tables are only checked for their sizes here (their records are checked where they are
//! used: see `sowa_targets::artifact::tables`), so this costs the same for any code size.

use crate::LoadError;
use sowa_targets::artifact::{
    ConstExpr, ConstOp, ElemItems, ExternKind, ImportKind, ManifestHeader, ModuleInfo, SegmentMode,
    Span, TableId, Tables,
};
use sowa_targets::types::DEFAULT_PAGE_SIZE_LOG2;
use sowa_targets::{Arch, CompositeKind, HeapType, RefType, ValType};

fn corrupt(msg: impl Into<String>) -> LoadError {
    LoadError::Corrupt(msg.into())
}

fn span_ok(s: &Span, text_len: u64) -> bool {
    s.offset as u64 + s.len as u64 <= text_len
}

/// Checks the core against itself, the tables' sizes and the file's header.
pub fn manifest(m: &ModuleInfo, t: &Tables<'_>, h: &ManifestHeader) -> Result<(), LoadError> {
    let ntypes = m.types.len() as u32;
    let nfuncs = m.num_funcs;
    let counts = m.vm_counts();
    let imported = m.num_imported_funcs();
    if t.count(TableId::FuncTypes) != nfuncs as usize
        || t.count(TableId::Functions) != nfuncs.saturating_sub(imported) as usize
        || imported > nfuncs
    {
        return Err(corrupt("function count mismatch"));
    }
    if m.num_funcrefs as usize != imported as usize + t.count(TableId::FuncRefs) {
        return Err(corrupt("funcref slot count mismatch"));
    }
    if t.count(TableId::DataSegments) != m.num_data as usize {
        return Err(corrupt("data segment count mismatch"));
    }
    // A type names only types of its own recursion group or earlier ones, and declares an
    // earlier supertype of its own kind: what lets the runtime canonicalise a group at a time
    // and walk supertype chains that end.
    if m.rec_groups.iter().map(|n| *n as u64).sum::<u64>() != ntypes as u64 {
        return Err(corrupt("recursion groups do not cover the types"));
    }
    let mut end = 0usize;
    for &n in &m.rec_groups {
        let start = end;
        end += n as usize;
        for i in start..end {
            let ty = &m.types[i];
            if ty.type_refs().iter().any(|r| *r as usize >= end)
                || ty
                    .supertype
                    .is_some_and(|s| s as usize >= i || m.types[s as usize].kind() != ty.kind())
            {
                return Err(corrupt(
                    "type names a type after its recursion group, or a bad supertype",
                ));
            }
        }
    }
    let func_type = |t: u32| m.func_type(t).is_some();
    let known = |t: ValType| match t {
        ValType::Ref(RefType {
            heap: HeapType::Concrete(i),
            ..
        }) => i < ntypes,
        _ => true,
    };
    for imp in &m.imports {
        let ok = match imp.kind {
            ImportKind::Func(t) => func_type(t),
            ImportKind::Table(t) => known(ValType::Ref(t.elem)),
            ImportKind::Global(g) => known(g.ty),
            ImportKind::Memory(_) => true,
            ImportKind::Tag(t) => func_type(t),
        };
        if !ok {
            return Err(corrupt("import type index out of range"));
        }
    }
    if !m.tables.iter().all(|t| known(ValType::Ref(t.ty.elem)))
        || !m.globals.iter().all(|g| known(g.ty.ty))
        || !m.elements.iter().all(|e| known(ValType::Ref(e.ty)))
        || m.tags.iter().any(|t| !func_type(*t))
    {
        return Err(corrupt("type index out of range"));
    }
    // The code's bounds checks and the runtime's arithmetic assume the page sizes WebAssembly
    // allows, and sizes its index space can hold.
    for t in m.memory_types() {
        if ![0, DEFAULT_PAGE_SIZE_LOG2].contains(&t.page_size_log2)
            || t.min > t.max_pages_by_index()
            || t.max
                .is_some_and(|x| x > t.max_pages_by_index() || x < t.min)
        {
            return Err(corrupt("memory type"));
        }
    }
    for (t, s) in m.entry_trampolines.iter().chain(&m.host_bridges) {
        if *t >= ntypes || !span_ok(s, h.text_len) {
            return Err(corrupt("trampoline out of range"));
        }
    }
    let check_expr = |e: &ConstExpr| -> Result<(), LoadError> {
        for op in &e.0 {
            match op {
                ConstOp::RefFunc(f) if *f >= nfuncs => return Err(corrupt("ref.func index")),
                ConstOp::GlobalGet(g) if *g >= counts.globals => {
                    return Err(corrupt("global.get index"))
                }
                ConstOp::StructNew(t) | ConstOp::StructNewDefault(t)
                    if m.types.get(*t as usize).map(|t| t.kind())
                        != Some(CompositeKind::Struct) =>
                {
                    return Err(corrupt("struct.new of a type that is not a structure"))
                }
                ConstOp::ArrayNew(t)
                | ConstOp::ArrayNewDefault(t)
                | ConstOp::ArrayNewFixed(t, _)
                    if m.types.get(*t as usize).map(|t| t.kind()) != Some(CompositeKind::Array) =>
                {
                    return Err(corrupt("array.new of a type that is not an array"))
                }
                _ => {}
            }
        }
        Ok(())
    };
    for g in &m.globals {
        check_expr(&g.init)?;
    }
    for t in &m.tables {
        if let Some(e) = &t.init {
            check_expr(e)?;
        }
    }
    for e in &m.exports {
        let limit = match e.kind {
            ExternKind::Func => nfuncs,
            ExternKind::Table => counts.tables,
            ExternKind::Memory => counts.memories,
            ExternKind::Global => counts.globals,
            ExternKind::Tag => counts.tags,
        };
        if e.index >= limit {
            return Err(corrupt(format!("export `{}` index out of range", e.name)));
        }
    }
    if m.start.is_some_and(|s| s >= nfuncs) {
        return Err(corrupt("start function index out of range"));
    }
    for seg in &m.elements {
        if let SegmentMode::Active { index, offset } = &seg.mode {
            if *index >= counts.tables {
                return Err(corrupt("element segment table index"));
            }
            check_expr(offset)?;
        }
        match &seg.items {
            ElemItems::Funcs { start, len } => {
                if start
                    .checked_add(*len)
                    .is_none_or(|e| e as usize > t.count(TableId::ElemFuncs))
                {
                    return Err(corrupt("element segment outside its table"));
                }
            }
            ElemItems::Exprs(items) => {
                for item in items {
                    check_expr(item)?;
                }
            }
        }
    }
    for d in &m.active_data {
        if d.segment >= m.num_data || d.memory >= counts.memories {
            return Err(corrupt("data segment index"));
        }
        check_expr(&d.offset)?;
    }
    if let Some(img) = &m.memory_image {
        // The runtime maps it into memory 0 without further checks of its own: it must lie
        // inside the data section and inside memory 0's initial size, on page boundaries.
        let page = Arch::from_u32(h.arch).map_or(u64::MAX, |a| a.max_page_size());
        let in_data = img
            .data_offset
            .checked_add(img.len)
            .is_some_and(|e| e <= h.data_len);
        let mem_size = match (m.num_imported_memories(), m.memories.first()) {
            (0, Some(t)) if !t.memory64 && !t.shared => t.min.saturating_mul(t.page_size()),
            _ => 0,
        };
        let in_memory = img
            .offset
            .checked_add(img.len)
            .is_some_and(|e| e <= mem_size);
        let aligned = [img.offset, img.data_offset, img.len, h.data_offset]
            .iter()
            .all(|v| v % page == 0);
        if !(in_data && in_memory && aligned && img.len > 0) {
            return Err(corrupt("memory image"));
        }
    }
    Ok(())
}

/// Checks that this CPU has the features the code was compiled to use (the manifest lists them:
/// those of the `--cpu` level it was compiled at, see [`sowa_targets::cpu`]).
pub fn cpu_features(m: &ModuleInfo) -> Result<(), LoadError> {
    if m.cpu_features.is_empty() {
        return Ok(());
    }
    // CPUID leaf 1 exists on every x86-64 processor.
    #[cfg(target_arch = "x86_64")]
    let leaf1_ecx = std::arch::x86_64::__cpuid(1).ecx;
    #[cfg(not(target_arch = "x86_64"))]
    let leaf1_ecx = 0;
    let missing: Vec<&str> = m
        .cpu_features
        .iter()
        .map(String::as_str)
        .filter(|f| !has_feature(f, leaf1_ecx))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(LoadError::CpuFeatures(missing.join(", ")))
    }
}

/// Whether this CPU has `feature` (a name the compiler records), given its CPUID leaf 1 ECX;
/// an unknown name is missing.
fn has_feature(feature: &str, leaf1_ecx: u32) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // The baseline's features are all in CPUID leaf 1's ECX: one CPUID instruction, where
        // the standard library's detection runs a dozen (each a trap to the hypervisor in a
        // virtual machine, microseconds apiece) before the first answer.
        let leaf1_ecx_bit = match feature {
            "sse3" => Some(0),
            "ssse3" => Some(9),
            "sse4.1" => Some(19),
            "sse4.2" => Some(20),
            "popcnt" => Some(23),
            _ => None,
        };
        if let Some(bit) = leaf1_ecx_bit {
            return leaf1_ecx & (1 << bit) != 0;
        }
        sowa_targets::cpu::host_has(feature)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (feature, leaf1_ecx);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_has_its_own_features_and_unknown_features_are_missing() {
        let host = Arch::host().unwrap();
        let mut m = ModuleInfo {
            cpu_features: sowa_targets::cpu::features(host, sowa_targets::CpuLevel::Native)
                .unwrap()
                .iter()
                .map(|f| f.name.to_string())
                .collect(),
            ..Default::default()
        };
        assert!(cpu_features(&m).is_ok());
        m.cpu_features.push("quantum-entanglement".into());
        let e = cpu_features(&m).unwrap_err().to_string();
        assert!(e.contains("quantum-entanglement"), "{e}");
    }
}
