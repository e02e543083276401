//! Robustness fuzzing: mutated inputs must be refused with an error or handled, never crash.
//!
//! The `.so` mode mutates what the loader and runtime are responsible for checking: the ELF
//! header, the program headers, the manifest header and core (with the checksum recomputed,
//! as a deliberate editor would), the tables that name and place things (every table but the
//! code's: trap sites, names, data segments, element and funcref lists, the address map) and
//! the memory image. It leaves alone the code
//! and what says how to call it (function spans, function types, trampolines' spans), which
//! are trusted as Wasmtime trusts a `.cwasm`'s code: a mutation there can make code jump
//! anywhere, and only a signature (`sowa run --verify`) protects against that. A mutated
//! core whose types or code spans differ from the original is therefore skipped.

use super::{panic_text, smith, Dirs, Mode, Rng, Stats};
use anyhow::{anyhow, Result};
use sowa_targets::artifact::{ManifestHeader, ModuleInfo, TableId, HEADER_SIZE, MAGIC};
use std::sync::mpsc;
use std::time::Duration;

/// How long compiling one mutated module may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(60);

/// Applies 1 to 8 random edits to `bytes[range]`: bit flips, bytes set to edge values, and
/// (when `resize`) insertions and deletions.
fn mutate(bytes: &mut Vec<u8>, range: std::ops::Range<usize>, resize: bool, rng: &mut Rng) {
    if range.is_empty() {
        return;
    }
    for _ in 0..1 + rng.below(8) {
        let end = range.end.min(bytes.len());
        if end <= range.start {
            return;
        }
        let at = range.start + rng.below((end - range.start) as u64) as usize;
        match rng.below(if resize { 5 } else { 3 }) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x40][rng.below(6) as usize],
            2 => bytes[at] = rng.next() as u8,
            3 => bytes.insert(at, rng.next() as u8),
            _ => {
                bytes.remove(at);
            }
        }
    }
}

/// One `.wasm` mutation case: compile the mutated bytes on a watched thread.
pub fn wasm_case(dirs: &Dirs, seed: u64, stats: &mut Stats) -> Result<()> {
    let Ok(mut wasm) = smith::generate(seed, &dirs.imports) else {
        stats.skipped += 1;
        return Ok(());
    };
    let mut rng = Rng::new(seed ^ 0x5eed);
    let len = wasm.len();
    mutate(&mut wasm, 8..len, true, &mut rng);
    stats.compared += 1;
    let (tx, rx) = mpsc::channel();
    let input = wasm.clone();
    std::thread::spawn(move || {
        let options = sowa_compiler::Options {
            jobs: 1,
            ..Default::default()
        };
        let r = std::panic::catch_unwind(|| {
            sowa_compiler::compile(&input, &options).map(|so| {
                // What sowac writes, the loader takes.
                sowa_runtime::Module::from_bytes(&so).map(|_| ())
            })
        });
        let _ = tx.send(r.map_err(|p| panic_text(&p)));
    });
    let what = match rx.recv_timeout(HANG) {
        Ok(Ok(Ok(Ok(())))) => return Ok(()),
        Ok(Ok(Err(_))) => {
            stats.refused += 1;
            return Ok(());
        }
        Ok(Ok(Ok(Err(e)))) => format!("sowac compiled a mutated module the loader refuses: {e}"),
        Ok(Err(p)) => format!("sowac panicked on a mutated module: {p}"),
        Err(_) => format!("sowac took over {HANG:?} on a mutated module"),
    };
    let path = dirs.record(Mode::Wasm, seed, "wasm", &wasm, &what)?;
    eprintln!("FAILURE: {what}\n(written to {})", path.display());
    stats.failures.push(path);
    if what.contains("took over") {
        // The compiling thread cannot be stopped; the run ends here.
        return Err(anyhow!("{what}"));
    }
    Ok(())
}

/// Where the manifest lies in `so`: its header's offset and the header.
fn manifest(so: &[u8]) -> Option<(usize, ManifestHeader)> {
    let at = so.windows(MAGIC.len()).position(|w| w == MAGIC)?;
    let h = ManifestHeader::from_bytes(so.get(at..at + HEADER_SIZE)?).ok()?;
    Some((at, h))
}

/// The parts of a module's manifest core that describe how to call its code.
fn code_facts(core: &[u8]) -> Option<impl PartialEq> {
    let i = ModuleInfo::decode(core).ok()?;
    Some((i.types, i.entry_trampolines, i.host_bridges, i.num_funcs))
}

fn u16_at(b: &[u8], at: usize) -> usize {
    u16::from_le_bytes([b[at], b[at + 1]]) as usize
}

/// Mutates one region of `so`; says which, or `None` when the mutation was skipped (see the
/// module comment).
fn mutate_so(so: &mut Vec<u8>, rng: &mut Rng) -> Option<String> {
    let (m, header) = manifest(so)?;
    let core_range = m + HEADER_SIZE..m + HEADER_SIZE + header.core_len as usize;
    match rng.below(5) {
        0 => {
            mutate(so, 0..64, false, rng);
            Some("ELF header".into())
        }
        1 => {
            let phoff = u64::from_le_bytes(so[32..40].try_into().unwrap()) as usize;
            let len = u16_at(so, 54) * u16_at(so, 56);
            mutate(so, phoff..phoff + len, false, rng);
            Some("program headers".into())
        }
        2 => {
            let before = code_facts(&so[core_range.clone()]);
            // Header fields after the magic, version and arch (those are checked as such),
            // the directory, and the core.
            let which = rng.below(3);
            match which {
                0 => mutate(so, m + 16..m + 48, false, rng),
                1 => mutate(so, m + 80..m + HEADER_SIZE, false, rng),
                _ => mutate(so, core_range.clone(), false, rng),
            }
            let what = ["manifest header", "table directory", "manifest core"][which as usize];
            let Ok(mut h) = ManifestHeader::from_bytes(&so[m..m + HEADER_SIZE]) else {
                return Some(what.into());
            };
            let end = m + HEADER_SIZE + h.core_len as usize;
            let Some(core) = so.get(m + HEADER_SIZE..end) else {
                return Some(what.into());
            };
            if code_facts(core).is_some_and(|after| Some(after) != before) {
                return None;
            }
            h.digest = h.compute_digest(core);
            so[m..m + HEADER_SIZE].copy_from_slice(&h.to_bytes());
            Some(format!("{what} (checksum recomputed)"))
        }
        3 => {
            // Stack maps are trusted as the code is (they say which stack slots the code keeps
            // references in; the collector writes its mark through them).
            let open: Vec<TableId> = TableId::ALL
                .into_iter()
                .filter(|t| {
                    !matches!(
                        t,
                        TableId::FuncTypes
                            | TableId::Functions
                            | TableId::StackMaps
                            | TableId::StackSlots
                    )
                })
                .collect();
            let t = open[rng.below(open.len() as u64) as usize];
            let (off, len) = header.tables[t as usize];
            let start = m + off as usize;
            mutate(so, start..start + len as usize, false, rng);
            Some(format!("table {t:?}"))
        }
        _ => {
            let start = header.data_offset as usize;
            mutate(so, start..start + header.data_len as usize, false, rng);
            Some("data".into())
        }
    }
}

/// One `.so` mutation case: load, instantiate and run the mutated module in this process.
pub fn so_case(
    dirs: &Dirs,
    seed: u64,
    epoch: &sowa_runtime::Epoch,
    stats: &mut Stats,
) -> Result<()> {
    let Ok(wasm) = smith::generate(seed, &dirs.imports) else {
        stats.skipped += 1;
        return Ok(());
    };
    let Ok(mut so) = sowa_compiler::compile(
        &wasm,
        &sowa_compiler::Options {
            jobs: 1,
            ..Default::default()
        },
    ) else {
        stats.skipped += 1;
        return Ok(());
    };
    let mut rng = Rng::new(seed ^ 0x50);
    let Some(region) = mutate_so(&mut so, &mut rng) else {
        stats.skipped += 1;
        return Ok(());
    };
    stats.compared += 1;
    // Written before it runs: if it takes the process down, the input is there.
    let current = dirs.root.join("current.so");
    std::fs::write(&current, &so)?;
    std::fs::write(
        dirs.root.join("current.txt"),
        format!("fuzz --mode so --seed {seed} --count 1\nmutated: {region}\n"),
    )?;
    let plan = smith::plan(&wasm, seed).unwrap_or_default();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        smith::run_sowa(&so, &plan, epoch)
    }));
    match r {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => stats.refused += 1,
        Err(p) => {
            let what = format!(
                "the runtime panicked on a .so with a mutated {region}: {}",
                panic_text(&p)
            );
            let path = dirs.record(Mode::So, seed, "so", &so, &what)?;
            eprintln!("FAILURE: {what}\n(written to {})", path.display());
            stats.failures.push(path);
        }
    }
    Ok(())
}
