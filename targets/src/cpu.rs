//! CPU features beyond an architecture's minimum: the levels `sowac --cpu` offers, each
//! feature's Cranelift setting and the name the manifest records it by, and whether this machine
//! has it. The compiler enables a level's settings and records their names; the loader refuses a
//! module on a CPU that lacks one. One table serves both, so they cannot drift apart.
//!
//! The default is portable (x86-64-v2 runs on every x86-64 server of the last fifteen years, and
//! aarch64 code needs nothing beyond ARMv8.0); a build pipeline that knows its fleet asks for
//! more. Features change only which instructions Cranelift picks, never a result: the same
//! module gives the same answers at every level (the spec suites run at `native` too).

use crate::Arch;

/// One CPU feature compiled code may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feature {
    /// Cranelift's setting, e.g. `has_avx2`.
    pub setting: &'static str,
    /// The name recorded in the manifest and detected at load, as
    /// `is_x86_feature_detected!` spells it, e.g. `avx2`.
    pub name: &'static str,
}

const fn f(setting: &'static str, name: &'static str) -> Feature {
    Feature { setting, name }
}

/// x86-64-v2: rounding instructions without libcalls, `popcnt` in hardware.
const X86_V2: [Feature; 5] = [
    f("has_sse3", "sse3"),
    f("has_ssse3", "ssse3"),
    f("has_sse41", "sse4.1"),
    f("has_sse42", "sse4.2"),
    f("has_popcnt", "popcnt"),
];

/// What x86-64-v3 adds that Cranelift uses: VEX three-operand encodings, 256-bit integer
/// shuffles, fused multiply-add, `rorx`/`andn`/`shlx`, `lzcnt`/`tzcnt`.
const X86_V3: [Feature; 6] = [
    f("has_avx", "avx"),
    f("has_avx2", "avx2"),
    f("has_fma", "fma"),
    f("has_bmi1", "bmi1"),
    f("has_bmi2", "bmi2"),
    f("has_lzcnt", "lzcnt"),
];

/// The AVX-512 subsets Cranelift uses (for a few SIMD operators).
const X86_AVX512: [Feature; 5] = [
    f("has_avx512f", "avx512f"),
    f("has_avx512vl", "avx512vl"),
    f("has_avx512dq", "avx512dq"),
    f("has_avx512vbmi", "avx512vbmi"),
    f("has_avx512bitalg", "avx512bitalg"),
];

/// How far beyond the portable baseline compiled code may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CpuLevel {
    /// Runs on any CPU of the architecture sowa supports: x86-64-v2 (SSE4.2, POPCNT), ARMv8.0.
    #[default]
    Baseline,
    /// x86-64-v3 (Haswell, Zen and later): AVX2, FMA, BMI1/2, LZCNT.
    X86_64V3,
    /// Every feature of the compiling machine that sowa knows (x86-64-v3 and AVX-512 where
    /// present): what Wasmtime compiles for when not given a target. Only for this machine's
    /// architecture.
    Native,
}

impl CpuLevel {
    /// Every level, by the names [`CpuLevel::from_name`] takes.
    pub const NAMES: [&'static str; 3] = ["baseline", "x86-64-v3", "native"];

    /// Parses a `--cpu` value.
    pub fn from_name(name: &str) -> Option<CpuLevel> {
        match name {
            "baseline" | "x86-64-v2" => Some(CpuLevel::Baseline),
            "x86-64-v3" => Some(CpuLevel::X86_64V3),
            "native" => Some(CpuLevel::Native),
            _ => None,
        }
    }

    /// The level's name, as `--cpu` takes it.
    pub fn name(self) -> &'static str {
        match self {
            CpuLevel::Baseline => "baseline",
            CpuLevel::X86_64V3 => "x86-64-v3",
            CpuLevel::Native => "native",
        }
    }
}

/// A level that does not apply to the target.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CpuLevelError {
    /// `x86-64-v3` for another architecture.
    #[error("--cpu x86-64-v3 is for x86_64 targets, not {0}; use `baseline`")]
    NotX86(Arch),
    /// `native` while compiling for another architecture than this machine's.
    #[error("--cpu native means this machine's CPU, which is not {0}; cross-compile with `baseline`{also}", also = if *.0 == Arch::X86_64 { " or `x86-64-v3`" } else { "" })]
    NotHost(Arch),
}

/// The features code compiled for `arch` at `level` uses, beyond the architecture's minimum.
pub fn features(arch: Arch, level: CpuLevel) -> Result<Vec<Feature>, CpuLevelError> {
    let baseline: &[Feature] = match arch {
        Arch::X86_64 => &X86_V2,
        Arch::Aarch64 => &[],
    };
    let mut v = baseline.to_vec();
    match level {
        CpuLevel::Baseline => {}
        CpuLevel::X86_64V3 if arch == Arch::X86_64 => v.extend(X86_V3),
        CpuLevel::X86_64V3 => return Err(CpuLevelError::NotX86(arch)),
        CpuLevel::Native if Arch::host() == Some(arch) => {
            if arch == Arch::X86_64 {
                let more = X86_V3.iter().chain(&X86_AVX512);
                v.extend(more.filter(|f| host_has(f.name)));
            }
        }
        CpuLevel::Native => return Err(CpuLevelError::NotHost(arch)),
    }
    Ok(v)
}

/// Whether this machine's CPU has the feature a manifest names; an unknown name is missing.
/// The loader answers the baseline's names from one CPUID leaf itself (each detection macro's
/// first use runs a dozen CPUID instructions, each a trap to the hypervisor in a VM).
pub fn host_has(name: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        match name {
            "sse3" => has!("sse3"),
            "ssse3" => has!("ssse3"),
            "sse4.1" => has!("sse4.1"),
            "sse4.2" => has!("sse4.2"),
            "popcnt" => has!("popcnt"),
            "avx" => has!("avx"),
            "avx2" => has!("avx2"),
            "fma" => has!("fma"),
            "bmi1" => has!("bmi1"),
            "bmi2" => has!("bmi2"),
            "lzcnt" => has!("lzcnt"),
            "avx512f" => has!("avx512f"),
            "avx512vl" => has!("avx512vl"),
            "avx512dq" => has!("avx512dq"),
            "avx512vbmi" => has!("avx512vbmi"),
            "avx512bitalg" => has!("avx512bitalg"),
            _ => false,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = name;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_by_name() {
        for name in CpuLevel::NAMES {
            assert_eq!(CpuLevel::from_name(name).unwrap().name(), name);
        }
        assert_eq!(CpuLevel::from_name("x86-64-v2"), Some(CpuLevel::Baseline));
        assert_eq!(CpuLevel::from_name("skylake"), None);
    }

    #[test]
    fn each_level_adds_to_the_one_below() {
        let base = features(Arch::X86_64, CpuLevel::Baseline).unwrap();
        let v3 = features(Arch::X86_64, CpuLevel::X86_64V3).unwrap();
        assert_eq!(&v3[..base.len()], &base[..]);
        assert!(v3.iter().any(|f| f.name == "avx2"));
        assert!(features(Arch::Aarch64, CpuLevel::Baseline)
            .unwrap()
            .is_empty());
        assert_eq!(
            features(Arch::Aarch64, CpuLevel::X86_64V3),
            Err(CpuLevelError::NotX86(Arch::Aarch64))
        );
    }

    #[test]
    fn native_is_what_this_machine_has() {
        let host = Arch::host().unwrap();
        let native = features(host, CpuLevel::Native).unwrap();
        assert!(native.iter().all(|f| host_has(f.name)));
        let other = if host == Arch::X86_64 {
            Arch::Aarch64
        } else {
            Arch::X86_64
        };
        assert_eq!(
            features(other, CpuLevel::Native),
            Err(CpuLevelError::NotHost(other))
        );
    }

    #[test]
    fn every_name_is_detectable_and_unknown_ones_are_missing() {
        assert!(!host_has("quantum-entanglement"));
        if cfg!(target_arch = "x86_64") {
            // The baseline is what the tests' own builds run on.
            for f in features(Arch::X86_64, CpuLevel::Baseline).unwrap() {
                assert!(host_has(f.name), "{}", f.name);
            }
        }
    }
}
