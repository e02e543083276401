//! The manifest's tables: lists that grow with the module's code (a record per function, per
//! trap site, per data segment), stored as fixed-size little-endian records and read in place
//! from the mapped file, so that loading never decodes or copies them.
//!
//! ```text
//! FuncTypes     u32 type index                        per function, imported first
//! Functions     u32 text offset, u32 length            per defined function, by offset
//! TrapSites     u32 text offset, u32 wasm offset, u32 kind   sorted by text offset
//! FuncNames     u32 function index, u32 start, u32 length in Names   sorted by index
//! Names         UTF-8 bytes
//! DataSegments  u64 offset in the data section, u64 length, u64 flags (bit 0: active)
//! ElemFuncs     u32 funcref slot                       elements of `ElemItems::Funcs`
//! FuncRefs      u32 function index                     defined functions that need a funcref
//! AddressMap    u32 text offset, u32 wasm offset       where the code of each wasm instruction
//!                                                      starts, sorted by text offset
//! Handlers      u32 return address, u32 handler, u32 frame offset   the calls inside
//!                                                      `try_table`s, sorted by return address
//! StackMaps     u32 return address, u32 frame offset, u32 first, u32 count   the calls at
//!                                                      which GC references are live, sorted
//! StackSlots    u32 offset from the stack pointer      `count` per stack map from `first`
//! ```
//!
//! Nothing here trusts a value it reads: every record is fetched with a bounds check, and a
//! value out of range is the caller's to refuse. Sortedness is not checked either; a table that
//! is not sorted makes a search miss, never read outside the table.

use super::{Span, TableDir, TrapSite};
use crate::trapcode::TrapKind;

/// The tables, in directory order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableId {
    /// Type index of every function.
    FuncTypes,
    /// Code span of every defined function.
    Functions,
    /// Trap sites.
    TrapSites,
    /// Function names: index and place in `Names`.
    FuncNames,
    /// The bytes of the names.
    Names,
    /// Where each data segment's bytes are.
    DataSegments,
    /// Function indices of element segments.
    ElemFuncs,
    /// The defined functions whose funcref record instantiation fills in: those a reference
    /// can be taken to (exported, in element segments or initializers) and the start function.
    /// Direct calls need no record, so for most functions of a large program none is made.
    FuncRefs,
    /// The wasm offset of the code at each text offset: how a guest interrupted anywhere (not
    /// only at a trap site) is reported with its place in the `.wasm`.
    AddressMap,
    /// Where an exception thrown below a call inside a `try_table` resumes: the handler's
    /// text offset and the size of the frame (frame pointer minus stack pointer at the call).
    Handlers,
    /// Where the GC references live across each call are (Cranelift's user stack maps): the
    /// frame's size and a run of `StackSlots`.
    StackMaps,
    /// Stack-pointer offsets of 8-byte GC references, in runs per stack map.
    StackSlots,
}

impl TableId {
    /// Number of tables.
    pub const COUNT: usize = 12;
    /// Every table, in directory order.
    pub const ALL: [TableId; Self::COUNT] = [
        TableId::FuncTypes,
        TableId::Functions,
        TableId::TrapSites,
        TableId::FuncNames,
        TableId::Names,
        TableId::DataSegments,
        TableId::ElemFuncs,
        TableId::FuncRefs,
        TableId::AddressMap,
        TableId::Handlers,
        TableId::StackMaps,
        TableId::StackSlots,
    ];

    /// Size of one record in bytes.
    pub const fn record_size(self) -> usize {
        match self {
            TableId::FuncTypes | TableId::ElemFuncs | TableId::FuncRefs | TableId::StackSlots => 4,
            TableId::StackMaps => 16,
            TableId::Functions | TableId::AddressMap => 8,
            TableId::TrapSites | TableId::FuncNames | TableId::Handlers => 12,
            TableId::Names => 1,
            TableId::DataSegments => 24,
        }
    }
}

/// Collects table records while encoding.
#[derive(Default)]
pub(crate) struct TablesBuilder {
    tables: [Vec<u8>; TableId::COUNT],
}

impl TablesBuilder {
    pub fn u32s(&mut self, t: TableId, v: &[u32]) {
        self.tables[t as usize].extend(v.iter().flat_map(|x| x.to_le_bytes()));
    }
    pub fn u64s(&mut self, t: TableId, v: &[u64]) {
        self.tables[t as usize].extend(v.iter().flat_map(|x| x.to_le_bytes()));
    }
    pub fn bytes(&mut self, t: TableId, v: &[u8]) {
        self.tables[t as usize].extend_from_slice(v);
    }
    pub fn len(&self, t: TableId) -> usize {
        self.tables[t as usize].len()
    }
    pub fn finish(self) -> [Vec<u8>; TableId::COUNT] {
        self.tables
    }
}

/// Where a data segment's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataRecord {
    /// Offset in the data section.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Applied at instantiation (and so dropped once instantiation is done).
    pub active: bool,
}

/// The tables of one manifest, borrowed from the mapped file.
#[derive(Clone, Copy, Debug)]
pub struct Tables<'a> {
    slices: [&'a [u8]; TableId::COUNT],
}

fn u32_at(r: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(r[4 * i..4 * i + 4].try_into().unwrap())
}

fn u64_at(r: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(r[8 * i..8 * i + 8].try_into().unwrap())
}

/// The first index in `0..n` for which `pred` is false (`pred` true on a prefix).
fn partition_point(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

impl<'a> Tables<'a> {
    /// The tables of the manifest whose bytes (from the header's start) are `manifest`, as the
    /// directory places them; refused when a table lies outside those bytes or is not a whole
    /// number of records.
    pub fn new(manifest: &'a [u8], dir: &TableDir) -> Result<Tables<'a>, super::FormatError> {
        let mut slices: [&'a [u8]; TableId::COUNT] = [&[]; TableId::COUNT];
        for (t, (s, (off, len))) in TableId::ALL.iter().zip(slices.iter_mut().zip(dir)) {
            let range = usize::try_from(*off)
                .ok()
                .zip(usize::try_from(*len).ok())
                .and_then(|(o, l)| Some(o..o.checked_add(l)?));
            *s = range
                .and_then(|r| manifest.get(r))
                .filter(|s| s.len() % t.record_size() == 0)
                .ok_or(super::FormatError::Truncated("table outside the manifest"))?;
        }
        Ok(Tables { slices })
    }

    /// Number of records in table `t`.
    pub fn count(&self, t: TableId) -> usize {
        self.slices[t as usize].len() / t.record_size()
    }

    fn record(&self, t: TableId, i: usize) -> Option<&'a [u8]> {
        let n = t.record_size();
        self.slices[t as usize].get(i.checked_mul(n)?..i.checked_mul(n)? + n)
    }

    /// The record of table `t` (sorted by its first field) whose first field is `key`, and its
    /// position.
    fn find(&self, t: TableId, key: u32) -> Option<(usize, &'a [u8])> {
        let at = |i: usize| self.record(t, i).map_or(u32::MAX, |r| u32_at(r, 0));
        let i = partition_point(self.count(t), |i| at(i) < key);
        let r = self.record(t, i)?;
        (u32_at(r, 0) == key).then_some((i, r))
    }

    /// Type index of function `index` (imported or defined).
    pub fn func_type(&self, index: u32) -> Option<u32> {
        Some(u32_at(self.record(TableId::FuncTypes, index as usize)?, 0))
    }

    /// Code span of defined function `defined`.
    pub fn function(&self, defined: u32) -> Option<Span> {
        let r = self.record(TableId::Functions, defined as usize)?;
        Some(Span {
            offset: u32_at(r, 0),
            len: u32_at(r, 1),
        })
    }

    /// The defined function whose code contains text offset `offset`, as a defined index.
    pub fn func_at(&self, offset: u32) -> Option<u32> {
        let n = self.count(TableId::Functions);
        let at = |i: usize| self.function(i as u32).map_or(u32::MAX, |s| s.offset);
        let i = partition_point(n, |i| at(i) <= offset).checked_sub(1)?;
        let s = self.function(i as u32)?;
        (offset - s.offset < s.len).then_some(i as u32)
    }

    /// The wasm offset of the instruction whose code covers text offset `offset`, if the map
    /// has an entry at or before it (the caller checks that entry lies in the same function).
    /// Allocates nothing and takes no lock.
    pub fn wasm_offset_at(&self, offset: u32) -> Option<(u32, u32)> {
        let t = TableId::AddressMap;
        let at = |i: usize| self.record(t, i).map_or(u32::MAX, |r| u32_at(r, 0));
        let i = partition_point(self.count(t), |i| at(i) <= offset).checked_sub(1)?;
        let r = self.record(t, i)?;
        Some((u32_at(r, 0), u32_at(r, 1)))
    }

    /// The first address-map entry at or after text offset `offset`: where a function's first
    /// wasm instruction is, for a place in its prologue (which maps to no instruction).
    pub fn wasm_offset_from(&self, offset: u32) -> Option<(u32, u32)> {
        let t = TableId::AddressMap;
        let at = |i: usize| self.record(t, i).map_or(u32::MAX, |r| u32_at(r, 0));
        let r = self.record(t, partition_point(self.count(t), |i| at(i) < offset))?;
        Some((u32_at(r, 0), u32_at(r, 1)))
    }

    /// The trap site at text offset `offset`, if any. Allocates nothing and takes no lock, so
    /// the signal handler may call it.
    pub fn trap_site(&self, offset: u32) -> Option<TrapSite> {
        let (_, r) = self.find(TableId::TrapSites, offset)?;
        Some(TrapSite {
            code_offset: offset,
            wasm_offset: u32_at(r, 1),
            // A kind this build does not know is still a fault at a trap site.
            kind: TrapKind::from_code(u32_at(r, 2).try_into().unwrap_or(0))
                .unwrap_or(TrapKind::MemoryOutOfBounds),
        })
    }

    /// The handler of the call returning to text offset `ret`, if that call is inside a
    /// `try_table`: (handler text offset, frame size). Allocates nothing.
    pub fn handler(&self, ret: u32) -> Option<(u32, u32)> {
        let (_, r) = self.find(TableId::Handlers, ret)?;
        Some((u32_at(r, 1), u32_at(r, 2)))
    }

    /// The stack map of the call returning to text offset `ret`, if GC references are live
    /// across it: the frame's size (frame pointer minus stack pointer) and the stack-pointer
    /// offsets of the references. Allocates nothing.
    pub fn stack_map(&self, ret: u32) -> Option<(u32, impl Iterator<Item = u32> + 'a)> {
        let (_, r) = self.find(TableId::StackMaps, ret)?;
        let (first, count) = (u32_at(r, 2) as usize, u32_at(r, 3) as usize);
        let slots = self.slices[TableId::StackSlots as usize]
            .get(first.checked_mul(4)?..first.checked_add(count)?.checked_mul(4)?)?;
        Some((u32_at(r, 1), slots.chunks_exact(4).map(|c| u32_at(c, 0))))
    }

    /// Function `index`'s name from the name section, if it has a valid one.
    pub fn func_name(&self, index: u32) -> Option<&'a str> {
        let (_, r) = self.find(TableId::FuncNames, index)?;
        let start = u32_at(r, 1) as usize;
        let bytes = self.slices[TableId::Names as usize]
            .get(start..start.checked_add(u32_at(r, 2) as usize)?)?;
        std::str::from_utf8(bytes).ok()
    }

    /// Where data segment `index`'s bytes are.
    pub fn data_segment(&self, index: u32) -> Option<DataRecord> {
        let r = self.record(TableId::DataSegments, index as usize)?;
        Some(DataRecord {
            offset: u64_at(r, 0),
            len: u64_at(r, 1),
            active: u64_at(r, 2) & 1 != 0,
        })
    }

    /// Entry `i` of the element function table: a funcref slot.
    pub fn elem_func(&self, i: u32) -> Option<u32> {
        Some(u32_at(self.record(TableId::ElemFuncs, i as usize)?, 0))
    }

    /// The functions whose funcref records instantiation fills in, in slot order.
    pub fn funcref_funcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.slices[TableId::FuncRefs as usize]
            .chunks_exact(4)
            .map(|r| u32_at(r, 0))
    }

    /// The funcref slot of function `index` ([`crate::vmctx::funcref_slot`]).
    pub fn funcref_slot(&self, index: u32, imported: u32) -> Option<u32> {
        crate::vmctx::funcref_slot(index, imported, |f| {
            self.find(TableId::FuncRefs, f).map(|(i, _)| i as u32)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::{DataSegment, FunctionCode, Manifest, SegmentMode, HEADER_SIZE};

    fn encoded(m: &Manifest) -> (Vec<u8>, TableDir) {
        let e = m.encode();
        let mut bytes = vec![0u8; HEADER_SIZE];
        bytes.extend(e.body());
        (bytes, e.directory())
    }

    fn sample() -> Manifest {
        Manifest {
            func_types: vec![3, 0, 1],
            functions: [(0, 16), (32, 8)]
                .iter()
                .map(|&(offset, len)| FunctionCode {
                    body: Span { offset, len },
                })
                .collect(),
            func_names: vec![(0, "imp".into()), (2, "second".into())],
            trap_sites: [(4, 100), (36, 200), (37, 201)]
                .iter()
                .map(|&(code_offset, wasm_offset)| TrapSite {
                    code_offset,
                    wasm_offset,
                    kind: TrapKind::IntegerDivideByZero,
                })
                .collect(),
            data: vec![
                DataSegment {
                    mode: SegmentMode::Passive,
                    offset: 4096,
                    len: 5,
                },
                DataSegment {
                    mode: SegmentMode::Active {
                        index: 0,
                        offset: crate::artifact::ConstExpr(vec![]),
                    },
                    offset: 0,
                    len: 0,
                },
            ],
            elem_funcs: vec![2, 1],
            address_map: vec![(2, 90), (6, 95), (34, 190)],
            ..Default::default()
        }
    }

    #[test]
    fn every_table_reads_back_in_place() {
        let (bytes, dir) = encoded(&sample());
        let t = Tables::new(&bytes, &dir).unwrap();
        assert_eq!(t.count(TableId::FuncTypes), 3);
        assert_eq!(t.func_type(0), Some(3));
        assert_eq!(t.func_type(3), None);
        assert_eq!(t.function(1), Some(Span { offset: 32, len: 8 }));
        assert_eq!(t.func_at(0), Some(0));
        assert_eq!(t.func_at(15), Some(0));
        assert_eq!(t.func_at(16), None, "padding between functions");
        assert_eq!(t.func_at(39), Some(1));
        assert_eq!(t.func_at(40), None);
        assert_eq!(t.trap_site(36).map(|s| s.wasm_offset), Some(200));
        assert_eq!(
            t.trap_site(37).map(|s| s.kind),
            Some(TrapKind::IntegerDivideByZero)
        );
        assert_eq!(t.trap_site(5), None);
        assert_eq!(t.trap_site(1000), None);
        assert_eq!(t.wasm_offset_at(0), None, "before the first instruction");
        assert_eq!(t.wasm_offset_at(2), Some((2, 90)));
        assert_eq!(t.wasm_offset_at(5), Some((2, 90)));
        assert_eq!(
            t.wasm_offset_at(33),
            Some((6, 95)),
            "the caller checks the function"
        );
        assert_eq!(t.wasm_offset_at(39), Some((34, 190)));
        assert_eq!(
            t.wasm_offset_from(32),
            Some((34, 190)),
            "a prologue: the first after"
        );
        assert_eq!(t.wasm_offset_from(2), Some((2, 90)));
        assert_eq!(t.wasm_offset_from(40), None);
        assert_eq!(t.func_name(2), Some("second"));
        assert_eq!(t.func_name(0), Some("imp"));
        assert_eq!(t.func_name(1), None);
        assert_eq!(
            t.data_segment(0),
            Some(DataRecord {
                offset: 4096,
                len: 5,
                active: false
            })
        );
        assert!(t.data_segment(1).unwrap().active);
        assert_eq!(t.elem_func(1), Some(1));
        assert_eq!(t.elem_func(2), None);
    }

    #[test]
    fn tables_outside_the_manifest_or_ragged_are_refused() {
        let (bytes, dir) = encoded(&sample());
        let mut past = dir;
        past[TableId::TrapSites as usize].0 = bytes.len() as u64 - 4;
        assert!(Tables::new(&bytes, &past).is_err());
        let mut ragged = dir;
        ragged[TableId::Functions as usize].1 -= 1;
        assert!(Tables::new(&bytes, &ragged).is_err());
        let mut huge = dir;
        huge[TableId::Names as usize] = (u64::MAX, 2);
        assert!(Tables::new(&bytes, &huge).is_err());
    }

    #[test]
    fn garbage_tables_give_answers_never_out_of_bounds_reads() {
        let (mut bytes, dir) = encoded(&sample());
        for b in bytes.iter_mut().skip(HEADER_SIZE) {
            *b = 0xff;
        }
        let t = Tables::new(&bytes, &dir).unwrap();
        assert_eq!(t.func_name(2), None);
        assert_eq!(t.trap_site(4), None);
        assert!(t.trap_site(u32::MAX).is_some());
        assert_eq!(t.func_at(7), None);
    }
}
