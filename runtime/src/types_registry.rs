//! Process-wide canonical ids for function types, so that `call_indirect` can compare a
//! callee's type with one integer comparison, across modules, and imports match structurally.
//!
//! A type that names other types (`(func (param (ref $t)))`) is registered with those names
//! replaced by their canonical ids, so two modules' types are equal when their structures are,
//! whatever their indices. Without GC's recursion groups a type names only types defined
//! before it (the loader checks this), so a module's types canonicalise in one pass in order.

use sowa_targets::FuncType;
use std::collections::BTreeMap;
use std::sync::Mutex;

// A BTreeMap rather than a HashMap: no random hash keys to fetch from the kernel at start-up,
// and a process sees a few hundred signatures at most.
static IDS: Mutex<BTreeMap<FuncType, u32>> = Mutex::new(BTreeMap::new());

/// The id of `ty`, whose concrete references are already canonical ids; the same for every
/// structurally equal type.
pub(crate) fn canonical_id(ty: &FuncType) -> u32 {
    let mut map = IDS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(id) = map.get(ty) {
        return *id;
    }
    let next = map.len() as u32 + 1;
    map.insert(ty.clone(), next);
    next
}

/// A module's types in canonical form (concrete references renumbered to canonical ids),
/// with the canonical id of each.
pub(crate) fn register_module(types: &[FuncType]) -> (Vec<FuncType>, Vec<u32>) {
    let mut ids: Vec<u32> = Vec::with_capacity(types.len());
    let mut canonical = Vec::with_capacity(types.len());
    for t in types {
        // An index not before this type only in a damaged module, which the loader refuses;
        // id 0 is never given out, so such a reference would match nothing.
        let c = t.map_concrete(|i| ids.get(i as usize).copied().unwrap_or(0));
        ids.push(canonical_id(&c));
        canonical.push(c);
    }
    (canonical, ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sowa_targets::{HeapType, RefType, ValType};

    fn typed(i: u32) -> ValType {
        ValType::Ref(RefType {
            nullable: false,
            heap: HeapType::Concrete(i),
        })
    }

    #[test]
    fn types_that_name_equal_types_are_equal_whatever_their_indices() {
        let leaf = FuncType {
            params: vec![ValType::I32],
            results: vec![ValType::F32],
        };
        let unrelated = FuncType {
            params: vec![ValType::I64],
            results: vec![],
        };
        let user = |i| FuncType {
            params: vec![typed(i)],
            results: vec![],
        };
        // Module A: leaf at 0; module B: leaf at 1 after an unrelated type.
        let (a_types, a) = register_module(&[leaf.clone(), user(0)]);
        let (_, b) = register_module(&[unrelated.clone(), leaf.clone(), user(1)]);
        assert_eq!(a[0], b[1]);
        assert_eq!(a[1], b[2], "(ref $leaf) params are the same type in both");
        assert_ne!(b[0], b[2]);
        assert_eq!(a_types[1].params[0], typed(a[0]));
        // Naming the unrelated type instead makes another type.
        let (_, c) = register_module(&[unrelated, leaf, user(0)]);
        assert_ne!(c[2], a[1]);
    }
}
