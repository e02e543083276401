//! Alias regions: which memory accesses can touch the same bytes, told to Cranelift's alias
//! analysis so that a store to linear memory does not make it forget a global it has loaded,
//! nor a `global.set` the memory it has read (store-to-load forwarding and redundant-load
//! elimination across them).
//!
//! Cranelift's contract: two accesses to the same byte carry the same region, and an access with
//! no region is one region of its own ("other"), whose stores are fences for every region. So a
//! region is given only to a kind of storage that every access in compiled code reaches through
//! one place in the translator:
//!
//! - linear memory, every memory of the module (`heap_flags`): two imports may be one memory,
//!   so memories are not told apart;
//! - each defined global's cell in the context (`global.get` / `global.set`);
//! - the cells of imported globals, together: two imports may be one global.
//!
//! Everything else (the context's other fields, tables, GC objects, exception records) keeps no
//! region; the runtime touches any of these only inside calls, which are fences. The ids are
//! the same in every function of a module, so the inliner merges a callee's regions with its
//! caller's rather than keeping two names for one storage.

use cranelift_codegen::ir::{AliasRegion, AliasRegionData, Function};

const LINEAR_MEMORY: u32 = 1;
const IMPORTED_GLOBALS: u32 = 2;
const DEFINED_GLOBAL_0: u32 = 3;

fn region(func: &mut Function, user_id: u32, description: &'static str) -> AliasRegion {
    func.dfg.alias_regions.insert(AliasRegionData {
        user_id,
        description: description.into(),
    })
}

/// The region of every linear memory's bytes.
pub fn linear_memory(func: &mut Function) -> AliasRegion {
    region(func, LINEAR_MEMORY, "linear memory")
}

/// The region of the cell of global `index` (in the module's index space, imports first).
pub fn global(func: &mut Function, index: u32, imported: u32) -> AliasRegion {
    match index.checked_sub(imported) {
        None => region(func, IMPORTED_GLOBALS, "imported globals"),
        Some(defined) => region(
            func,
            DEFINED_GLOBAL_0.saturating_add(defined),
            "defined global",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_share_a_region_and_defined_globals_do_not() {
        let mut f = Function::new();
        let (a, b) = (global(&mut f, 0, 2), global(&mut f, 1, 2));
        assert_eq!(a, b, "two imported globals may be one global");
        let (c, d) = (global(&mut f, 2, 2), global(&mut f, 3, 2));
        assert_ne!(c, d);
        assert_ne!(a, c);
        let m = linear_memory(&mut f);
        assert!(m != a && m != c && m != d);
        assert_eq!(linear_memory(&mut f), m, "one region, inserted once");
    }
}
