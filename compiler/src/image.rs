//! The memory image: the initial pages of memory 0 with every active data segment applied,
//! built at compile time so that instantiation maps them from the file copy-on-write (see
//! `sowa_targets::artifact::MemoryImage` for when a module gets one).

use sowa_targets::artifact::{ConstOp, Manifest, SegmentMode};
use sowa_targets::types::WASM_PAGE_SIZE;

/// Largest image built; a module whose segments span more (sparse data far apart) keeps
/// copying its segments rather than carry megabytes of zeros in its file.
const MAX_IMAGE: u64 = 64 << 20;

/// The image of memory 0 aligned to `page`: (offset in memory, bytes), or `None` when the
/// module does not qualify. `data` holds each segment's bytes, in manifest order.
pub fn build(manifest: &Manifest, data: &[&[u8]], page: u64) -> Option<(u64, Vec<u8>)> {
    if manifest.info.num_imported_memories() != 0 {
        return None;
    }
    let mem = manifest.info.memories.first()?;
    if mem.memory64 || mem.shared {
        return None;
    }
    let size = mem.min.checked_mul(WASM_PAGE_SIZE)?;
    let mut placed = Vec::new();
    for (seg, bytes) in manifest.data.iter().zip(data) {
        let SegmentMode::Active { index, offset } = &seg.mode else {
            continue;
        };
        if *index != 0 {
            continue;
        }
        let [ConstOp::I32Const(at)] = offset.0[..] else {
            return None;
        };
        let start = at as u32 as u64;
        if start + bytes.len() as u64 > size {
            // Applying it would trap: instantiation must see that, so no shortcut.
            return None;
        }
        placed.push((start, *bytes));
    }
    let lo = placed.iter().map(|p| p.0).min()? / page * page;
    let hi = placed
        .iter()
        .map(|p| p.0 + p.1.len() as u64)
        .max()?
        .next_multiple_of(page);
    // Memory is a whole number of wasm pages (64 KiB), a multiple of any page size.
    if hi - lo > MAX_IMAGE || hi <= lo {
        return None;
    }
    let mut image = vec![0u8; (hi - lo) as usize];
    // In order: a later segment overwrites an earlier one, as applying them would.
    for (start, bytes) in placed {
        let at = (start - lo) as usize;
        image[at..at + bytes.len()].copy_from_slice(bytes);
    }
    Some((lo, image))
}
