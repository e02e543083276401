//! Process-wide canonical ids for types, so that `call_indirect` can compare a callee's type
//! with one integer comparison across modules, imports match structurally, and a cast can ask
//! of any object's type id whether it is a subtype of another.
//!
//! The unit of canonicalisation is the recursion group, as the GC proposal defines type
//! equivalence: a group's key is its types with every reference into the group written as a
//! group-relative index ([`REC`] set) and every reference out of it as the canonical id of that
//! type (registered before, since a group names only earlier groups: the loader checks it).
//! Two groups with equal keys are the same types; a group's types get consecutive ids.
//! Entries are never removed: a process sees a bounded number of distinct types (those of the
//! modules it loads), and an id must stay valid as long as any object or funcref carries it.

use sowa_targets::gc::{struct_layout, StructLayout};
use sowa_targets::{
    CompositeKind, CompositeType, FieldType, FuncType, HeapType, StorageType, SubType, TypeSpace,
    ValType,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

/// Set in a key's type index that points into the group itself.
const REC: u32 = 1 << 31;

/// What the runtime knows of one canonical type.
#[derive(Debug)]
pub(crate) struct TypeInfo {
    /// The type with its references as canonical ids.
    pub sub: SubType,
    /// Its id, then its supertype's, and so on to the root of its chain.
    pub supers: Vec<u32>,
    /// Field offsets, for a structure type.
    pub layout: Option<StructLayout>,
    /// Offsets of the fields that hold GC references (structures), which the collector
    /// follows.
    pub ref_fields: Vec<u32>,
    /// Whether the elements hold GC references (arrays).
    pub ref_elems: bool,
}

impl TypeInfo {
    /// Whether this type is `id` or has it among its supertypes.
    pub fn is_sub_of(&self, id: u32) -> bool {
        self.supers.contains(&id)
    }
}

struct Keys {
    groups: BTreeMap<Vec<SubType>, u32>,
    next: u32,
}

static KEYS: Mutex<Keys> = Mutex::new(Keys {
    groups: BTreeMap::new(),
    next: 1,
});

/// Every registered type by id (index `id - 1`): read on casts, so behind a read-write lock
/// that registration alone writes.
static TYPES: RwLock<Vec<Arc<TypeInfo>>> = RwLock::new(Vec::new());

/// Runs `f` with every registered type (index `id - 1`), under one read lock: what the
/// collector uses to trace objects without a lock per object.
pub(crate) fn with_all<R>(f: impl FnOnce(&[Arc<TypeInfo>]) -> R) -> R {
    f(&TYPES.read().unwrap_or_else(|e| e.into_inner()))
}

/// The registered type `id`, if there is one.
pub(crate) fn info(id: u32) -> Option<Arc<TypeInfo>> {
    let types = TYPES.read().unwrap_or_else(|e| e.into_inner());
    types.get((id as usize).checked_sub(1)?).cloned()
}

/// Registers one recursion group given as its key (see the module comment); gives each type's
/// id.
fn register_group(key: Vec<SubType>) -> Vec<u32> {
    let len = key.len() as u32;
    let mut keys = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(base) = keys.groups.get(&key) {
        return (*base..*base + len).collect();
    }
    let base = keys.next;
    keys.next += len;
    keys.groups.insert(key.clone(), base);
    let mut types = TYPES.write().unwrap_or_else(|e| e.into_inner());
    for t in &key {
        let sub = t.map_concrete(|i| if i & REC != 0 { base + (i & !REC) } else { i });
        let id = types.len() as u32 + 1;
        let mut supers = vec![id];
        if let Some(s) = sub.supertype {
            // The supertype is registered (it is earlier: the loader checks it).
            if let Some(parent) = (s as usize).checked_sub(1).and_then(|p| types.get(p)) {
                supers.extend_from_slice(&parent.supers);
            }
        }
        let layout = match &sub.composite {
            CompositeType::Struct(fields) => Some(struct_layout(fields)),
            _ => None,
        };
        // What a concrete type is: one of this group's (being registered) or an earlier one.
        let kind = |id: u32| match id.checked_sub(base) {
            Some(rel) if rel < len => key[rel as usize].kind(),
            _ => (id as usize)
                .checked_sub(1)
                .and_then(|i| types.get(i))
                .map_or(CompositeKind::Func, |t| t.sub.kind()),
        };
        let is_ref = |f: &FieldType| match f.storage {
            StorageType::Val(ValType::Ref(r)) => match r.heap {
                HeapType::Concrete(i) => kind(i) != CompositeKind::Func,
                h => matches!(
                    h.top(&sowa_targets::types::FuncTypesOnly),
                    HeapType::Any | HeapType::Extern
                ),
            },
            _ => false,
        };
        let (ref_fields, ref_elems) = match (&sub.composite, &layout) {
            (CompositeType::Struct(fields), Some(l)) => (
                fields
                    .iter()
                    .zip(&l.offsets)
                    .filter(|(f, _)| is_ref(f))
                    .map(|(_, o)| *o)
                    .collect(),
                false,
            ),
            (CompositeType::Array(e), _) => (Vec::new(), is_ref(e)),
            _ => (Vec::new(), false),
        };
        types.push(Arc::new(TypeInfo {
            sub,
            supers,
            layout,
            ref_fields,
            ref_elems,
        }));
    }
    (base..base + len).collect()
}

/// The id of a final function type with no supertype (a host function's or a host tag's),
/// whose concrete references are already canonical ids; the same for every equal type.
pub(crate) fn canonical_id(ty: &FuncType) -> u32 {
    register_group(vec![SubType::func(ty.clone())])[0]
}

/// A module's types in canonical form (concrete references renumbered to canonical ids), with
/// the canonical id of each, registering its recursion groups (sizes `groups`) in order.
pub(crate) fn register_module(types: &[SubType], groups: &[u32]) -> (Vec<SubType>, Vec<u32>) {
    let mut ids: Vec<u32> = Vec::with_capacity(types.len());
    let mut start = 0usize;
    for &n in groups {
        let end = start + n as usize;
        let Some(group) = types.get(start..end) else {
            break;
        };
        // References before the group become canonical ids, those into it relative. The
        // loader has refused any other; 0 (no type) stands for one in a damaged module.
        let key: Vec<SubType> = group
            .iter()
            .map(|t| {
                t.map_concrete(|i| match i as usize {
                    i if (start..end).contains(&i) => REC | (i - start) as u32,
                    i => ids.get(i).copied().unwrap_or(0),
                })
            })
            .collect();
        ids.extend(register_group(key));
        start = end;
    }
    let canonical = types
        .iter()
        .map(|t| t.map_concrete(|i| ids.get(i as usize).copied().unwrap_or(0)))
        .collect();
    (canonical, ids)
}

/// The runtime's canonical ids as a [`TypeSpace`].
pub(crate) struct Canonical;

impl TypeSpace for Canonical {
    fn kind(&self, id: u32) -> CompositeKind {
        info(id).map_or(CompositeKind::Func, |t| t.sub.kind())
    }
    fn is_sub(&self, a: u32, b: u32) -> bool {
        a == b || info(a).is_some_and(|t| t.is_sub_of(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sowa_targets::{FieldType, HeapType, RefType, StorageType, ValType};

    fn typed(i: u32) -> ValType {
        ValType::Ref(RefType {
            nullable: false,
            heap: HeapType::Concrete(i),
        })
    }

    fn singles(n: usize) -> Vec<u32> {
        vec![1; n]
    }

    #[test]
    fn types_that_name_equal_types_are_equal_whatever_their_indices() {
        let leaf = SubType::func(FuncType {
            params: vec![ValType::I32],
            results: vec![ValType::F32],
        });
        let unrelated = SubType::func(FuncType {
            params: vec![ValType::I64],
            results: vec![],
        });
        let user = |i| {
            SubType::func(FuncType {
                params: vec![typed(i)],
                results: vec![],
            })
        };
        // Module A: leaf at 0; module B: leaf at 1 after an unrelated type.
        let (a_types, a) = register_module(&[leaf.clone(), user(0)], &singles(2));
        let (_, b) = register_module(&[unrelated.clone(), leaf.clone(), user(1)], &singles(3));
        assert_eq!(a[0], b[1]);
        assert_eq!(a[1], b[2], "(ref $leaf) params are the same type in both");
        assert_ne!(b[0], b[2]);
        assert_eq!(a_types[1].as_func().unwrap().params[0], typed(a[0]));
        // Naming the unrelated type instead makes another type.
        let (_, c) = register_module(&[unrelated, leaf, user(0)], &singles(3));
        assert_ne!(c[2], a[1]);
    }

    #[test]
    fn recursion_groups_are_equal_by_structure_and_subtypes_by_declaration() {
        // (rec (type $a (sub (struct (field (ref null $b))))) (type $b (struct (field i32))))
        let field = |t| FieldType {
            storage: StorageType::Val(t),
            mutable: false,
        };
        let nullable = |i| {
            ValType::Ref(RefType {
                nullable: true,
                heap: HeapType::Concrete(i),
            })
        };
        let group = |a: u32, b: u32| {
            vec![
                SubType {
                    is_final: false,
                    supertype: None,
                    composite: CompositeType::Struct(vec![field(nullable(b))]),
                },
                SubType {
                    is_final: true,
                    supertype: Some(a),
                    composite: CompositeType::Struct(vec![field(nullable(b)), field(ValType::I64)]),
                },
            ]
        };
        let pad = SubType::func(FuncType::default());
        let (_, x) = register_module(&group(0, 1), &[2]);
        let mut shifted = vec![pad.clone()];
        shifted.extend(group(1, 2));
        let (_, y) = register_module(&shifted, &[1, 2]);
        assert_eq!(
            &x[..],
            &y[1..],
            "the same group at another index is the same types"
        );
        // The same two types in groups of their own are other types.
        let (_, z) = register_module(&shifted, &[1, 1, 1]);
        assert_ne!(z[1], x[0]);
        assert!(Canonical.is_sub(x[1], x[0]) && !Canonical.is_sub(x[0], x[1]));
        assert_eq!(Canonical.kind(x[0]), CompositeKind::Struct);
        let info = info(x[1]).unwrap();
        assert_eq!(info.layout.as_ref().unwrap().offsets, [8, 16]);
        assert_eq!(info.supers, [x[1], x[0]]);
        assert_eq!(info.ref_fields, [8], "the reference field, not the i64");
    }
}
