//! A loaded module: the mapped artifact plus what instantiation needs precomputed.

use crate::traps::{register_code, CodeInfo, CodeRegistration};
use crate::types_registry;
use sowa_loader::{Artifact, LoadError};
use sowa_targets::artifact::{ExternKind, Manifest};
use sowa_targets::vmctx::VMOffsets;
use std::path::Path;
use std::sync::Arc;

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A compiled module, loaded once and instantiated any number of times (on any thread).
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

pub(crate) struct ModuleInner {
    /// Dropped first (fields drop in order): the text leaves the trap registry before it is
    /// unmapped with the artifact.
    _registration: CodeRegistration,
    /// Unique for the life of the process (never reused, unlike an address).
    pub id: u64,
    pub artifact: Artifact,
    pub manifest: Arc<Manifest>,
    pub offsets: VMOffsets,
    /// Canonical signature id of each module type.
    pub type_ids: Vec<u32>,
    /// Entry trampoline address per module type index (0 where none).
    pub entry_trampolines: Vec<usize>,
    /// Host bridge address per module type index (0 where none).
    pub host_bridges: Vec<usize>,
}

impl Module {
    /// Loads the artifact at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Module, LoadError> {
        Ok(Self::new(Artifact::open(path.as_ref())?))
    }

    /// Loads an artifact from its bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Module, LoadError> {
        Ok(Self::new(Artifact::from_bytes(bytes)?))
    }

    fn new(artifact: Artifact) -> Module {
        let manifest = Arc::new(artifact.manifest().clone());
        let text = artifact.text().start() as usize;
        let type_ids = manifest
            .types
            .iter()
            .map(types_registry::canonical_id)
            .collect();
        let mut entry_trampolines = vec![0; manifest.types.len()];
        for (t, span) in &manifest.entry_trampolines {
            entry_trampolines[*t as usize] = text + span.offset as usize;
        }
        let mut host_bridges = vec![0; manifest.types.len()];
        for (t, span) in &manifest.host_bridges {
            host_bridges[*t as usize] = text + span.offset as usize;
        }
        let registration = register_code(CodeInfo {
            start: text,
            len: artifact.text().len(),
            manifest: manifest.clone(),
        });
        Module {
            inner: Arc::new(ModuleInner {
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                offsets: VMOffsets::new(manifest.vm_counts()),
                manifest,
                artifact,
                type_ids,
                entry_trampolines,
                host_bridges,
                _registration: registration,
            }),
        }
    }

    /// The module's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// Names and kinds of the module's imports.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .manifest
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str()))
    }

    /// Names and kinds of the module's exports.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternKind)> {
        self.inner
            .manifest
            .exports
            .iter()
            .map(|e| (e.name.as_str(), e.kind))
    }
}
