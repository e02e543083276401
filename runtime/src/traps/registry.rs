//! The process-wide map from code addresses to the modules whose code they are, consulted by the
//! signal handler to decide whether a fault is a wasm trap and by the trap reporter to name it.

use sowa_targets::artifact::Tables;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// What the registry knows about one mapped text.
pub(crate) struct CodeInfo {
    /// Start address of the text.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// The module's manifest tables (trap sites, function spans and names), borrowed from its
    /// mapping, which outlives the registration (see `Module::new`).
    pub tables: Tables<'static>,
    /// Number of imported functions: defined function `i` is function `imported_funcs + i`.
    pub imported_funcs: u32,
}

static REGISTRY: RwLock<BTreeMap<usize, Arc<CodeInfo>>> = RwLock::new(BTreeMap::new());

/// Keeps a text registered while alive.
pub(crate) struct CodeRegistration(Arc<CodeInfo>);

impl Drop for CodeRegistration {
    fn drop(&mut self) {
        let mut map = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
        // Only our own entry: once our text is unmapped, another module's may be mapped at the
        // same address and registered under the same key, and must stay registered.
        if map
            .get(&self.0.start)
            .is_some_and(|i| Arc::ptr_eq(i, &self.0))
        {
            map.remove(&self.0.start);
        }
    }
}

/// Registers a module's text.
pub(crate) fn register_code(info: CodeInfo) -> CodeRegistration {
    let info = Arc::new(info);
    REGISTRY
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(info.start, info.clone());
    CodeRegistration(info)
}

/// The registered text containing `pc`, if any.
pub(crate) fn lookup(pc: usize) -> Option<Arc<CodeInfo>> {
    // A poisoned or contended lock is still readable: faults in wasm code cannot happen while this
    // thread holds the write lock, so this never deadlocks in the signal handler.
    let map = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    let (_, info) = map.range(..=pc).next_back()?;
    (pc < info.start + info.len).then(|| info.clone())
}

/// Whether `pc` is a trap site; used by the signal handler (no allocation).
pub(crate) fn is_trap_site(pc: usize) -> bool {
    let map = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    let Some((_, info)) = map.range(..=pc).next_back() else {
        return false;
    };
    pc < info.start + info.len && info.tables.trap_site((pc - info.start) as u32).is_some()
}
