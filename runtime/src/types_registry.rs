//! Process-wide canonical ids for function signatures, so that `call_indirect` can compare a
//! callee's signature with one integer comparison, across modules.

use sowa_targets::FuncType;
use std::collections::HashMap;
use std::sync::Mutex;

static IDS: Mutex<Option<HashMap<FuncType, u32>>> = Mutex::new(None);

/// The id of `ty`, the same for every structurally equal signature.
pub(crate) fn canonical_id(ty: &FuncType) -> u32 {
    let mut g = IDS.lock().unwrap_or_else(|e| e.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    let next = map.len() as u32 + 1;
    *map.entry(ty.clone()).or_insert(next)
}
