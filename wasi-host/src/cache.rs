//! Compiles `.wasm` files given to `sowa run` once, into a cache keyed by the module's hash, the
//! target and the compiler version, so that later runs only map the cached `.so`.

use std::path::PathBuf;

/// Where compiled modules are kept: `$SOWA_CACHE_DIR`, else `$XDG_CACHE_HOME/sowa`, else
/// `~/.cache/sowa`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SOWA_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("sowa");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
    PathBuf::from(home).join(".cache").join("sowa")
}

/// Returns the path of the compiled `.so` for `wasm`, compiling it first if not cached (or if
/// `refresh`, when a cached file turned out to be unusable).
pub fn compiled(wasm: &[u8], refresh: bool) -> Result<PathBuf, String> {
    let options = sowa_compiler::Options::default();
    let hash: String = sowa_compiler::wasm_hash(wasm)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = cache_dir();
    let path = dir.join(format!(
        "{hash}-{}-v{}-{}.so",
        options.arch,
        sowa_targets::FORMAT_VERSION,
        env!("CARGO_PKG_VERSION")
    ));
    if path.exists() && !refresh {
        return Ok(path);
    }
    let so = sowa_compiler::compile(wasm, &options).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("cache {}: {e}", dir.display()))?;
    // Unique temporary name, then rename: concurrent runs never see a partial file.
    let tmp = dir.join(format!("{hash}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, &so).map_err(|e| format!("cache {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("cache {}: {e}", path.display()))?;
    Ok(path)
}
