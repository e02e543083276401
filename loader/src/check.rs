//! Checks every index and span of a decoded manifest, so that the runtime can index without
//! fear: a tampered file is refused here with a message, never trusted later.

use crate::LoadError;
use sowa_targets::artifact::{
    ConstExpr, ConstOp, ExternKind, ImportKind, Manifest, ManifestHeader, SegmentMode, Span,
};
use sowa_targets::types::WASM_PAGE_SIZE;
use sowa_targets::Arch;

fn corrupt(msg: impl Into<String>) -> LoadError {
    LoadError::Corrupt(msg.into())
}

fn span_ok(s: &Span, text_len: u64) -> bool {
    s.offset as u64 + s.len as u64 <= text_len
}

/// Checks the manifest against itself and the file's header and size.
pub fn manifest(m: &Manifest, h: &ManifestHeader, _file_len: u64) -> Result<(), LoadError> {
    let ntypes = m.types.len() as u32;
    let nfuncs = m.func_types.len() as u32;
    let counts = m.vm_counts();
    if m.func_types.iter().any(|t| *t >= ntypes) {
        return Err(corrupt("function type index out of range"));
    }
    let imported = m.num_imported_funcs();
    if m.functions.len() as u32 != nfuncs.saturating_sub(imported) {
        return Err(corrupt("function count mismatch"));
    }
    for imp in &m.imports {
        if let ImportKind::Func(t) = imp.kind {
            if t >= ntypes {
                return Err(corrupt("import type index out of range"));
            }
        }
    }
    if m.functions.iter().any(|f| !span_ok(&f.body, h.text_len)) {
        return Err(corrupt("function code outside the text"));
    }
    for (t, s) in m.entry_trampolines.iter().chain(&m.host_bridges) {
        if *t >= ntypes || !span_ok(s, h.text_len) {
            return Err(corrupt("trampoline out of range"));
        }
    }
    // Every defined function's type needs an entry trampoline, every imported one a bridge.
    for (i, t) in m.func_types.iter().enumerate() {
        let table = if (i as u32) < imported {
            &m.host_bridges
        } else {
            &m.entry_trampolines
        };
        if !table.iter().any(|(tt, _)| tt == t) {
            return Err(corrupt("missing trampoline"));
        }
    }
    if m.trap_sites
        .windows(2)
        .any(|w| w[0].code_offset > w[1].code_offset)
        || m.trap_sites
            .iter()
            .any(|t| t.code_offset as u64 >= h.text_len)
    {
        return Err(corrupt("trap table unsorted or outside the text"));
    }
    let check_expr = |e: &ConstExpr| -> Result<(), LoadError> {
        for op in &e.0 {
            match op {
                ConstOp::RefFunc(f) if *f >= nfuncs => return Err(corrupt("ref.func index")),
                ConstOp::GlobalGet(g) if *g >= counts.globals => {
                    return Err(corrupt("global.get index"))
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
        for item in &seg.items {
            check_expr(item)?;
        }
    }
    for seg in &m.data {
        if let SegmentMode::Active { index, offset } = &seg.mode {
            if *index >= counts.memories {
                return Err(corrupt("data segment memory index"));
            }
            check_expr(offset)?;
        }
        if seg
            .offset
            .checked_add(seg.len)
            .is_none_or(|e| e > h.data_len)
        {
            return Err(corrupt("data segment outside the data section"));
        }
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
            (0, Some(t)) if !t.memory64 && !t.shared => t.min.saturating_mul(WASM_PAGE_SIZE),
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
    if m.func_names.iter().any(|(i, _)| *i >= nfuncs.max(1)) {
        return Err(corrupt("function name index out of range"));
    }
    Ok(())
}

/// Checks that this CPU has what the code was compiled to use.
pub fn cpu_features(m: &Manifest) -> Result<(), LoadError> {
    #[cfg(target_arch = "x86_64")]
    {
        // The x86-64 baseline sowac compiles for (x86-64-v2).
        let mut missing = Vec::new();
        if !std::arch::is_x86_feature_detected!("sse4.2") {
            missing.push("sse4.2");
        }
        if !std::arch::is_x86_feature_detected!("popcnt") {
            missing.push("popcnt");
        }
        for f in &m.cpu_features {
            let present = match f.as_str() {
                "avx" => std::arch::is_x86_feature_detected!("avx"),
                "avx2" => std::arch::is_x86_feature_detected!("avx2"),
                "fma" => std::arch::is_x86_feature_detected!("fma"),
                "bmi1" => std::arch::is_x86_feature_detected!("bmi1"),
                "bmi2" => std::arch::is_x86_feature_detected!("bmi2"),
                "lzcnt" => std::arch::is_x86_feature_detected!("lzcnt"),
                _ => false,
            };
            if !present {
                missing.push(f.as_str());
            }
        }
        if !missing.is_empty() {
            return Err(LoadError::CpuFeatures(missing.join(", ")));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    if !m.cpu_features.is_empty() {
        return Err(LoadError::CpuFeatures(m.cpu_features.join(", ")));
    }
    Ok(())
}
