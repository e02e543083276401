//! A loaded module: the mapped artifact plus what instantiation needs precomputed.

use crate::traps::{register_code, CodeInfo, CodeRegistration};
use crate::types_registry;
use sowa_loader::{Artifact, LoadError, PublicKey};
use sowa_targets::artifact::{ExternKind, ModuleInfo, Tables};
use sowa_targets::vmctx::VMOffsets;
use sowa_targets::{FuncType, RefType, ValType};
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
    pub offsets: VMOffsets,
    /// Canonical signature id of each module type.
    pub type_ids: Vec<u32>,
    /// Each module type with its concrete references renumbered to canonical ids: the form
    /// the runtime's types take, so that those of different modules compare.
    pub canonical_types: Vec<sowa_targets::SubType>,
    /// What the runtime knows of each module type (field offsets, supertypes), by module
    /// index: what allocation and casts read without taking the registry's lock.
    pub type_infos: Vec<std::sync::Arc<types_registry::TypeInfo>>,
    /// Entry trampoline address per module type index (0 where none).
    pub entry_trampolines: Vec<usize>,
    /// Host bridge address per module type index (0 where none).
    pub host_bridges: Vec<usize>,
}

impl Module {
    /// Loads the artifact at `path`: maps it (its code is shared with every other process
    /// that maps the same file) and checks it. A file for another architecture, a damaged
    /// one, or one this runtime's format version cannot read is refused with an error that
    /// says so and what to do.
    ///
    /// ```
    /// use sowa_runtime::Module;
    /// let wasm = wat::parse_str(r#"(module (func (export "f")))"#)?;
    /// let so = sowa_compiler::compile(&wasm, &Default::default())?;
    /// let path = std::env::temp_dir().join(format!("sowa-doc-{}.so", std::process::id()));
    /// std::fs::write(&path, &so)?;
    /// let module = Module::from_file(&path)?;
    /// assert!(module.exports().any(|(name, _)| name == "f"));
    /// // Damage is found at load, not when the code runs.
    /// std::fs::write(&path, &so[..so.len() / 2])?;
    /// let err = Module::from_file(&path).err().unwrap();
    /// assert!(err.to_string().contains("truncated"), "{err}");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Module, LoadError> {
        Ok(Self::new(Artifact::open(path.as_ref(), None)?))
    }

    /// Loads an artifact from its bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Module, LoadError> {
        Ok(Self::new(Artifact::from_bytes(bytes, None)?))
    }

    /// Loads the `.so` at `path` only if all of it is signed by `key` (`sowa compile --sign`).
    ///
    /// ```
    /// use sowa_runtime::{Module, PublicKey};
    /// use sowa_targets::artifact::signature::SecretKey;
    /// let wasm = wat::parse_str("(module)")?;
    /// let secret = SecretKey::from_seed([9; 32]); // `sowa compile --generate-key` makes one
    /// let signed = secret.sign(&sowa_compiler::compile(&wasm, &Default::default())?);
    /// let public = PublicKey::from_text(&secret.public().to_text())?;
    /// assert!(Module::from_bytes_verified(&signed, &public).is_ok());
    /// let other = SecretKey::from_seed([1; 32]).public();
    /// assert!(Module::from_bytes_verified(&signed, &other).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file_verified(
        path: impl AsRef<Path>,
        key: &PublicKey,
    ) -> Result<Module, LoadError> {
        Ok(Self::new(Artifact::open(path.as_ref(), Some(key))?))
    }

    /// Loads an artifact from its bytes only if all of them are signed by `key`.
    pub fn from_bytes_verified(bytes: &[u8], key: &PublicKey) -> Result<Module, LoadError> {
        Ok(Self::new(Artifact::from_bytes(bytes, Some(key))?))
    }

    fn new(artifact: Artifact) -> Module {
        let info = artifact.info();
        let text = artifact.text().start() as usize;
        let (canonical_types, type_ids) =
            types_registry::register_module(&info.types, &info.rec_groups);
        let type_infos = type_ids
            .iter()
            .filter_map(|id| types_registry::info(*id))
            .collect();
        let mut entry_trampolines = vec![0; info.types.len()];
        for (t, span) in &info.entry_trampolines {
            entry_trampolines[*t as usize] = text + span.offset as usize;
        }
        let mut host_bridges = vec![0; info.types.len()];
        for (t, span) in &info.host_bridges {
            host_bridges[*t as usize] = text + span.offset as usize;
        }
        // SAFETY: the registration is the first field of ModuleInner, so it is dropped (and the
        // text unregistered) before the artifact whose mapping these tables borrow is unmapped.
        let tables =
            unsafe { std::mem::transmute::<Tables<'_>, Tables<'static>>(artifact.tables()) };
        let registration = register_code(CodeInfo {
            start: text,
            len: artifact.text().len(),
            tables,
            imported_funcs: info.num_imported_funcs(),
        });
        Module {
            inner: Arc::new(ModuleInner {
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                offsets: VMOffsets::new(info.vm_counts()),
                type_ids,
                canonical_types,
                type_infos,
                entry_trampolines,
                host_bridges,
                artifact,
                _registration: registration,
            }),
        }
    }

    /// What the module declares: types, imports, exports, memories, tables, globals, segments.
    pub fn info(&self) -> &ModuleInfo {
        self.inner.info()
    }

    /// Names and kinds of the module's imports.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str)> {
        self.info()
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str()))
    }

    /// Names and kinds of the module's exports.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternKind)> {
        self.info()
            .exports
            .iter()
            .map(|e| (e.name.as_str(), e.kind))
    }

    /// The type of the function exported as `name`, if there is one: what a host checks
    /// before it relies on an entry point, without instantiating the module.
    pub fn export_func_type(&self, name: &str) -> Option<&FuncType> {
        let e = self
            .info()
            .exports
            .iter()
            .find(|e| e.name == name && e.kind == ExternKind::Func)?;
        let t = self.inner.tables().func_type(e.index)?;
        self.info().func_type(t)
    }
}

impl ModuleInner {
    /// `t` with its concrete reference (if any) renumbered from this module's type indices to
    /// canonical ids.
    pub fn canonical(&self, t: ValType) -> ValType {
        t.map_concrete(|i| self.type_ids.get(i as usize).copied().unwrap_or(0))
    }

    /// A table or global type of this module in canonical form.
    pub fn canonical_ref(&self, t: RefType) -> RefType {
        match self.canonical(ValType::Ref(t)) {
            ValType::Ref(r) => r,
            _ => t,
        }
    }

    /// The decoded manifest core.
    pub fn info(&self) -> &ModuleInfo {
        self.artifact.info()
    }

    /// The manifest's tables, in place.
    pub fn tables(&self) -> Tables<'_> {
        self.artifact.tables()
    }
}

/// Name of function `index` for reports: the name section's, else `func[index]`.
pub(crate) fn func_name(tables: &Tables<'_>, index: u32) -> String {
    tables
        .func_name(index)
        .map_or_else(|| format!("func[{index}]"), str::to_string)
}
