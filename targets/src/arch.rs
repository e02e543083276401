//! What differs per CPU architecture on the artifact side: names, ELF machine, code alignment and
//! how direct calls between functions are patched.

use serde::{Deserialize, Serialize};

/// A supported target architecture (always Linux, 64-bit, little-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u32)]
pub enum Arch {
    /// x86-64 (baseline x86-64-v2: SSE4.2 and POPCNT).
    X86_64 = 1,
    /// 64-bit Arm.
    Aarch64 = 2,
}

/// A relocation of a direct call from one function to another in the same text section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallReloc {
    /// x86-64 `call rel32`: the 32-bit field holds `target + addend - field`.
    X86PcRel4 {
        /// Addend reported by the code generator (usually -4).
        addend: i64,
    },
    /// AArch64 `bl imm26`: the low 26 bits hold `(target - insn) / 4`.
    Arm64Call,
}

/// A call relocation could not be applied (target out of range).
#[derive(Debug, thiserror::Error)]
#[error("call at text offset {at:#x} cannot reach {target:#x}")]
pub struct RelocRangeError {
    /// Offset of the relocated field in the text.
    pub at: u64,
    /// Offset of the call target in the text.
    pub target: u64,
}

impl Arch {
    /// The architecture this program runs on.
    pub fn host() -> Option<Arch> {
        if cfg!(target_arch = "x86_64") {
            Some(Arch::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Arch::Aarch64)
        } else {
            None
        }
    }

    /// Parses a target name: `x86_64`, `aarch64` or a full triple such as
    /// `aarch64-unknown-linux-gnu`.
    pub fn from_name(name: &str) -> Option<Arch> {
        let first = name.split('-').next().unwrap_or(name);
        match first {
            "x86_64" | "x86" | "amd64" => Some(Arch::X86_64),
            "aarch64" | "arm64" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// Decodes the value stored in the artifact header.
    pub fn from_u32(v: u32) -> Option<Arch> {
        match v {
            1 => Some(Arch::X86_64),
            2 => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// Short name, as `--target` accepts it.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Target triple for the code generator.
    pub fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// ELF `e_machine` value.
    pub fn elf_machine(self) -> u16 {
        match self {
            Arch::X86_64 => 62,
            Arch::Aarch64 => 183,
        }
    }

    /// Alignment of each function in the text section (a function whose constants need more
    /// gets more). 16, not Cranelift's preferred 32 (what Wasmtime uses): where loops fall moves
    /// the same code by up to 20 % either way, and 32 is not better on average. Measured by
    /// starting every function 0, 16, 32 or 48 bytes past a 64-byte boundary (two runs of
    /// `bench --only dijkstra,floyd,quicksort,jacobi2d --quick` each): floyd's scalar build took
    /// 0.79-1.01x Wasmtime's time, its SIMD build 1.00-1.23x, dijkstra's SIMD build 1.00-1.24x,
    /// with no offset best for all; whole runs of CPython did not move. With 16, small modules'
    /// functions fall where Wasmtime's do, so the benchmark compares like with like.
    pub fn function_alignment(self) -> u64 {
        16
    }

    /// Largest page size the target's kernels use; segments are aligned to it so the file can be
    /// mapped on any of them.
    pub fn max_page_size(self) -> u64 {
        match self {
            Arch::X86_64 => 4096,
            Arch::Aarch64 => 65536,
        }
    }

    /// Patches a call at text offset `at` to reach text offset `target`.
    pub fn apply_call_reloc(
        self,
        text: &mut [u8],
        at: u64,
        target: u64,
        reloc: CallReloc,
    ) -> Result<(), RelocRangeError> {
        let err = RelocRangeError { at, target };
        let i = at as usize;
        match reloc {
            CallReloc::X86PcRel4 { addend } => {
                let delta = target as i64 + addend - at as i64;
                let v = i32::try_from(delta).map_err(|_| err)?;
                text[i..i + 4].copy_from_slice(&v.to_le_bytes());
            }
            CallReloc::Arm64Call => {
                let delta = target as i64 - at as i64;
                if delta % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&delta) {
                    return Err(err);
                }
                let mut insn = u32::from_le_bytes(text[i..i + 4].try_into().unwrap());
                insn = (insn & !0x03ff_ffff) | (((delta >> 2) as u32) & 0x03ff_ffff);
                text[i..i + 4].copy_from_slice(&insn.to_le_bytes());
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_triples() {
        assert_eq!(Arch::from_name("x86_64"), Some(Arch::X86_64));
        assert_eq!(
            Arch::from_name("aarch64-unknown-linux-gnu"),
            Some(Arch::Aarch64)
        );
        assert_eq!(Arch::from_name("riscv64"), None);
    }

    #[test]
    fn arm64_call_patch() {
        let mut text = vec![0u8; 16];
        text[4..8].copy_from_slice(&0x9400_0000u32.to_le_bytes());
        Arch::Aarch64
            .apply_call_reloc(&mut text, 4, 12, CallReloc::Arm64Call)
            .unwrap();
        assert_eq!(
            u32::from_le_bytes(text[4..8].try_into().unwrap()),
            0x9400_0002
        );
    }

    #[test]
    fn x86_call_patch() {
        let mut text = vec![0u8; 16];
        Arch::X86_64
            .apply_call_reloc(&mut text, 1, 0, CallReloc::X86PcRel4 { addend: -4 })
            .unwrap();
        assert_eq!(i32::from_le_bytes(text[1..5].try_into().unwrap()), -5);
    }
}
