//! The post-2.0 proposals sowa compiles, named as Wasmtime's `-W` names them, with Wasmtime's
//! defaults: `sowac --wasm` turns them on and off, the artifact records which were on, and the
//! validator is configured from them.

use wasmparser::WasmFeatures;

/// One proposal: its name, the validator feature behind it, and whether Wasmtime enables it
/// by default (sowa's default follows: Wasmtime 48 enables WebAssembly 3.0, wasmparser's
/// `WASM3`, of which sowa compiles these).
struct Proposal {
    name: &'static str,
    feature: WasmFeatures,
    default: bool,
    /// Part of WebAssembly 2.0 (on in [`Proposals::NONE`]): listed so that it can be turned
    /// off, as Wasmtime's `-W reference-types=n` does (the threads proposal's scripts were
    /// written before it and expect one table at most).
    in_wasm2: bool,
}

/// Every proposal sowa compiles, in the order they are listed and recorded.
const KNOWN: [Proposal; 12] = [
    Proposal {
        name: "reference-types",
        feature: WasmFeatures::REFERENCE_TYPES,
        default: true,
        in_wasm2: true,
    },
    Proposal {
        name: "extended-const",
        feature: WasmFeatures::EXTENDED_CONST,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "tail-call",
        feature: WasmFeatures::TAIL_CALL,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "multi-memory",
        feature: WasmFeatures::MULTI_MEMORY,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "relaxed-simd",
        feature: WasmFeatures::RELAXED_SIMD,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "function-references",
        feature: WasmFeatures::FUNCTION_REFERENCES,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "exceptions",
        feature: WasmFeatures::EXCEPTIONS,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "threads",
        feature: WasmFeatures::THREADS,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "wide-arithmetic",
        feature: WasmFeatures::WIDE_ARITHMETIC,
        default: false,
        in_wasm2: false,
    },
    Proposal {
        name: "memory64",
        feature: WasmFeatures::MEMORY64,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "gc",
        feature: WasmFeatures::GC,
        default: true,
        in_wasm2: false,
    },
    Proposal {
        name: "custom-page-sizes",
        feature: WasmFeatures::CUSTOM_PAGE_SIZES,
        default: false,
        in_wasm2: false,
    },
];

/// A set of post-2.0 proposals a module may use (bit `i` stands for the `i`th proposal of the
/// list above).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposals(u32);

impl Default for Proposals {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Proposals {
    /// Every proposal sowa compiles.
    pub const ALL: Proposals = Proposals((1 << KNOWN.len()) - 1);
    /// None: exactly WebAssembly 2.0 (the spec runner checks 2.0 with this: some encodings
    /// that are malformed in 2.0 are valid with proposals).
    pub const NONE: Proposals = Self::those(false);
    /// What Wasmtime enables by default.
    pub const DEFAULT: Proposals = Self::those(true);

    /// The proposals on by default (`defaults`), or those of WebAssembly 2.0.
    const fn those(defaults: bool) -> Proposals {
        let mut bits = 0;
        let mut i = 0;
        while i < KNOWN.len() {
            if (defaults && KNOWN[i].default) || (!defaults && KNOWN[i].in_wasm2) {
                bits |= 1 << i;
            }
            i += 1;
        }
        Proposals(bits)
    }

    /// The enabled proposals beyond WebAssembly 2.0 by name, and any part of 2.0 turned off
    /// as `NAME=n`.
    pub fn names(self) -> Vec<String> {
        KNOWN
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match (self.0 & (1 << i) != 0, p.in_wasm2) {
                (true, false) => Some(p.name.to_string()),
                (false, true) => Some(format!("{}=n", p.name)),
                _ => None,
            })
            .collect()
    }

    /// The names of every proposal sowa compiles.
    pub fn known() -> impl Iterator<Item = &'static str> {
        KNOWN.iter().map(|p| p.name)
    }

    /// Whether proposal `name` is enabled (false for a name sowa does not know).
    pub fn contains(self, name: &str) -> bool {
        KNOWN
            .iter()
            .position(|p| p.name == name)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// This set changed as `spec` says: comma-separated `NAME` or `NAME=y` to enable, `NAME=n`
    /// to disable, `all` or `all=n` for every proposal, applied left to right (as Wasmtime's
    /// `-W` reads them); `all` leaves WebAssembly 2.0's own alone.
    pub fn with(self, spec: &str) -> Result<Proposals, String> {
        let mut bits = self.0;
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item.split_once('=').unwrap_or((item, "y"));
            let on = match value {
                "y" | "yes" | "true" => true,
                "n" | "no" | "false" => false,
                _ => return Err(format!("--wasm {item}: write {name}=y or {name}=n")),
            };
            let mask = if name == "all" {
                Self::ALL.0 & !Self::NONE.0
            } else {
                let i = KNOWN.iter().position(|p| p.name == name).ok_or_else(|| {
                    format!(
                        "--wasm: unknown proposal '{name}' (sowa compiles: {})",
                        Self::known().collect::<Vec<_>>().join(", ")
                    )
                })?;
                1 << i
            };
            bits = if on { bits | mask } else { bits & !mask };
        }
        Ok(Proposals(bits))
    }

    /// The validator features: WebAssembly 2.0 (SIMD included) plus the enabled proposals.
    pub fn features(self) -> WasmFeatures {
        let mut f = WasmFeatures::WASM2;
        for (i, p) in KNOWN.iter().enumerate() {
            f.set(p.feature, self.0 & (1 << i) != 0);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_wasmtime_and_specs_apply_left_to_right() {
        let d = Proposals::DEFAULT;
        assert!(d.contains("tail-call") && !d.contains("wide-arithmetic"));
        assert!(d.contains("function-references") && d.contains("memory64"));
        let p = d.with("wide-arithmetic,tail-call=n").unwrap();
        assert!(p.contains("wide-arithmetic") && !p.contains("tail-call"));
        assert_eq!(d.with("all").unwrap(), Proposals::ALL);
        assert_eq!(
            d.with("all=n,multi-memory").unwrap().names(),
            ["multi-memory"]
        );
        assert!(d.contains("gc"));
        assert!(d
            .with("stack-switching")
            .unwrap_err()
            .contains("unknown proposal"));
        assert!(d.with("tail-call=maybe").is_err());
        let no_refs = Proposals::NONE.with("threads,reference-types=n").unwrap();
        assert_eq!(no_refs.names(), ["reference-types=n", "threads"]);
        assert!(!no_refs.features().contains(WasmFeatures::REFERENCE_TYPES));
        assert!(Proposals::NONE.names().is_empty());
        let f = Proposals::NONE.features();
        assert!(!f.contains(WasmFeatures::TAIL_CALL) && f.contains(WasmFeatures::SIMD));
    }
}
