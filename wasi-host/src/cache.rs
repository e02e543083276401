//! Compiles `.wasm` files given to `sowa run` once, into a per-user cache keyed by the module's
//! hash, the artifact format, sowa's version and the compile options, so that later runs only
//! map the cached `.so`.
//!
//! The cache holds native code that the runner executes, so whoever can write into it can run
//! code as the user. Hence: it lives only in the user's own cache directory (`$SOWA_CACHE_DIR`,
//! else `$XDG_CACHE_HOME/sowa`, else `$HOME/.cache/sowa`; never a shared place such as `/tmp`),
//! the directory is created private (0700), and a directory or file that another user owns, or
//! that others may write to, is not used. Without a usable directory the module is compiled in
//! memory and run without caching: slower, never less safe.

use sowa_runtime::Module;
use std::ffi::OsString;
use std::fs::Metadata;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The cache directory the environment names, if any: `SOWA_CACHE_DIR`, then
/// `XDG_CACHE_HOME/sowa` (only if absolute, as the XDG rules require), then `HOME/.cache/sowa`.
pub fn cache_dir_from(
    sowa_cache_dir: Option<OsString>,
    xdg_cache_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    if let Some(d) = sowa_cache_dir.filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = xdg_cache_home
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
    {
        return Some(d.join("sowa"));
    }
    home.map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .map(|h| h.join(".cache").join("sowa"))
}

/// This process's cache directory (see [`cache_dir_from`]).
pub fn cache_dir() -> Option<PathBuf> {
    cache_dir_from(
        std::env::var_os("SOWA_CACHE_DIR"),
        std::env::var_os("XDG_CACHE_HOME"),
        std::env::var_os("HOME"),
    )
}

/// Whether a cache directory or file may be trusted: ours, and writable by no one else.
fn trusted(meta: &Metadata) -> bool {
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    meta.uid() == me && meta.mode() & 0o022 == 0
}

/// The directory, created private if missing, when it can be trusted.
fn usable_dir(dir: &Path) -> Option<&Path> {
    let _ = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir);
    let meta = std::fs::symlink_metadata(dir).ok()?;
    (meta.is_dir() && trusted(&meta)).then_some(dir)
}

/// The cache file name for `wasm` compiled with `options`.
fn key(wasm: &[u8], options: &sowa_compiler::Options) -> String {
    let hex = |b: [u8; 32]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let opts = hex(sowa_compiler::wasm_hash(format!("{options:?}").as_bytes()));
    format!(
        "{}-{}-v{}-{}-{}.so",
        hex(sowa_compiler::wasm_hash(wasm)),
        options.arch,
        sowa_targets::FORMAT_VERSION,
        env!("CARGO_PKG_VERSION"),
        &opts[..16]
    )
}

/// The module for `wasm`: from the cache when a trusted, loadable entry exists; else compiled
/// (and cached when the directory can be trusted).
pub fn load(wasm: &[u8]) -> Result<Module, String> {
    load_in(cache_dir().as_deref(), wasm)
}

/// [`load`] with the cache in `dir` (none: compile in memory).
pub fn load_in(dir: Option<&Path>, wasm: &[u8]) -> Result<Module, String> {
    let options = sowa_compiler::Options::default();
    let dir = dir.and_then(usable_dir);
    let path = dir.map(|d| d.join(key(wasm, &options)));
    if let Some(p) = &path {
        let cached = std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file() && trusted(&m));
        if cached {
            // A damaged entry is rebuilt below rather than reported.
            if let Ok(m) = Module::from_file(p) {
                return Ok(m);
            }
        }
    }
    let so = sowa_compiler::compile(wasm, &options).map_err(|e| e.to_string())?;
    if let (Some(dir), Some(path)) = (dir, &path) {
        // A private temporary file, then a rename: concurrent runs never see a partial file,
        // and a failed write leaves nothing behind.
        let tmp = dir.join(format!(".{}.tmp", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| std::io::Write::write_all(&mut f, &so))
            .and_then(|_| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    Module::from_bytes(&so).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn os(s: &str) -> Option<OsString> {
        Some(s.into())
    }

    #[test]
    fn directory_follows_the_xdg_rules_and_never_falls_back_to_a_shared_place() {
        assert_eq!(
            cache_dir_from(os("/c"), os("/x"), os("/h")),
            Some(PathBuf::from("/c"))
        );
        assert_eq!(
            cache_dir_from(None, os("/x"), os("/h")),
            Some(PathBuf::from("/x/sowa"))
        );
        // A relative XDG_CACHE_HOME is to be ignored.
        assert_eq!(
            cache_dir_from(None, os("rel"), os("/h")),
            Some(PathBuf::from("/h/.cache/sowa"))
        );
        assert_eq!(cache_dir_from(None, None, None), None);
        assert_eq!(cache_dir_from(os(""), None, os("relative")), None);
    }

    const WAT: &str = r#"(module (func (export "f") (result i32) (i32.const 7)))"#;

    #[test]
    fn modules_are_cached_privately_and_reused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        let wasm = wat::parse_str(WAT).unwrap();
        load_in(Some(&dir), &wasm).unwrap();
        let meta = std::fs::metadata(&dir).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o700);
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "one entry, no temporary left");
        let entry = files[0].path();
        assert_eq!(std::fs::metadata(&entry).unwrap().mode() & 0o777, 0o600);
        // A damaged entry is replaced, not obeyed.
        std::fs::write(&entry, b"garbage").unwrap();
        load_in(Some(&dir), &wasm).unwrap();
        assert!(std::fs::read(&entry).unwrap().starts_with(b"\x7fELF"));
    }

    #[test]
    fn a_directory_others_may_write_is_not_used() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("shared");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let wasm = wat::parse_str(WAT).unwrap();
        load_in(Some(&dir), &wasm).unwrap();
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "nothing cached"
        );
    }

    #[test]
    fn a_planted_entry_writable_by_others_is_not_loaded() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("c");
        let wasm = wat::parse_str(WAT).unwrap();
        load_in(Some(&dir), &wasm).unwrap();
        let entry = std::fs::read_dir(&dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        // Someone else's module under the right name: loadable, but not ours to trust.
        let other = sowa_compiler::compile(
            &wat::parse_str(r#"(module (func (export "f") (result i32) (i32.const 666)))"#)
                .unwrap(),
            &Default::default(),
        )
        .unwrap();
        std::fs::write(&entry, other).unwrap();
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
        let m = load_in(Some(&dir), &wasm).unwrap();
        let store = sowa_runtime::Store::default();
        let i = sowa_runtime::Linker::new().instantiate(&store, &m).unwrap();
        let r = i.get_func("f").unwrap().call(&[]).unwrap();
        assert_eq!(r, vec![sowa_runtime::Val::I32(7)]);
    }
}
