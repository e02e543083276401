//! The memory image: the initial pages of memory 0 with every active data segment applied,
//! built at compile time so that instantiation maps them from the file copy-on-write (see
//! `sowa_targets::artifact::MemoryImage` for when a module gets one).

use sowa_targets::artifact::{ConstOp, Manifest, SegmentMode};
use sowa_targets::types::WASM_PAGE_SIZE;

/// Zeros an image may carry between and around its segments beyond `SMALL_IMAGE`: a module
/// whose data lies sparse and far apart keeps copying its segments rather than carry megabytes
/// of zeros in its file. Dense data of any size is imaged: a 100 MB segment copied at every
/// instantiation cost 208 MB of peak RSS, mapped it costs what the program touches.
const MAX_ZEROS: u64 = 16 << 20;
/// An image this small is built whatever its zeros.
const SMALL_IMAGE: u64 = 64 << 20;

/// The image of memory 0 aligned to `page`: (offset in memory, bytes), or `None` when the
/// module does not qualify. `data` holds each segment's bytes, in manifest order.
pub fn build(manifest: &Manifest, data: &[&[u8]], page: u64) -> Option<(u64, Vec<u8>)> {
    if manifest.info.num_imported_memories() != 0 {
        return None;
    }
    let mem = manifest.info.memories.first()?;
    // Custom page sizes leave the image out: a memory of a few bytes gains nothing from it.
    if mem.memory64 || mem.shared || mem.page_size() != WASM_PAGE_SIZE {
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
    let covered: u64 = placed.iter().map(|p| p.1.len() as u64).sum();
    let zeros = (hi - lo).saturating_sub(covered);
    if hi <= lo || (hi - lo > SMALL_IMAGE && zeros > MAX_ZEROS) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use sowa_targets::artifact::{ConstExpr, DataSegment, ModuleInfo};
    use sowa_targets::MemoryType;

    fn module(pages: u64, at: &[u32], lens: &[usize]) -> (Manifest, Vec<Vec<u8>>) {
        let data = at
            .iter()
            .map(|a| DataSegment {
                mode: SegmentMode::Active {
                    index: 0,
                    offset: ConstExpr(vec![ConstOp::I32Const(*a as i32)]),
                },
                offset: 0,
                len: 0,
            })
            .collect();
        let m = Manifest {
            info: ModuleInfo {
                memories: vec![MemoryType::new(pages, None)],
                ..Default::default()
            },
            data,
            ..Default::default()
        };
        (m, lens.iter().map(|l| vec![7u8; *l]).collect())
    }

    #[test]
    fn dense_data_of_any_size_is_imaged_and_sparse_large_data_is_not() {
        // One 100 MB segment: dense, imaged.
        let (m, d) = module(2000, &[4096], &[100 << 20]);
        let refs: Vec<&[u8]> = d.iter().map(|v| &v[..]).collect();
        let (lo, img) = build(&m, &refs, 4096).expect("imaged");
        assert_eq!(lo, 4096);
        assert_eq!(img.len(), 100 << 20);
        // Two small segments 100 MB apart: mostly zeros, copied instead.
        let (m, d) = module(2000, &[0, 100 << 20], &[16, 16]);
        let refs: Vec<&[u8]> = d.iter().map(|v| &v[..]).collect();
        assert!(build(&m, &refs, 4096).is_none());
        // The same 1 MB apart: a small image, zeros and all.
        let (m, d) = module(2000, &[0, 1 << 20], &[16, 16]);
        let refs: Vec<&[u8]> = d.iter().map(|v| &v[..]).collect();
        assert!(build(&m, &refs, 4096).is_some());
    }
}
