//! Process-wide canonical ids for function signatures, so that `call_indirect` can compare a
//! callee's signature with one integer comparison, across modules.

use sowa_targets::FuncType;
use std::collections::BTreeMap;
use std::sync::Mutex;

// A BTreeMap rather than a HashMap: no random hash keys to fetch from the kernel at start-up,
// and a process sees a few hundred signatures at most.
static IDS: Mutex<BTreeMap<FuncType, u32>> = Mutex::new(BTreeMap::new());

/// The id of `ty`, the same for every structurally equal signature.
pub(crate) fn canonical_id(ty: &FuncType) -> u32 {
    let mut map = IDS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(id) = map.get(ty) {
        return *id;
    }
    let next = map.len() as u32 + 1;
    map.insert(ty.clone(), next);
    next
}
