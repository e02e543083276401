//! The manifest's contents: [`ModuleInfo`], the part every load decodes, and [`Manifest`], the
//! compiler's complete description of a module, which [`Manifest::encode`] splits into that core
//! and the in-place [`super::tables`].

use super::tables::{TableId, TablesBuilder};
use crate::gc::SubType;
use crate::trapcode::TrapKind;
use crate::types::{GlobalType, MemoryType, RefType, TableType};
use serde::{Deserialize, Serialize};

/// What a load decodes: everything bounded by what the module declares (types, imports,
/// exports, memories, tables, globals, element segments, the data segments instantiation must
/// copy) rather than by its code size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// SHA-256 of the `.wasm` the artifact was compiled from.
    pub wasm_sha256: [u8; 32],
    /// Which compiler made the artifact and how (for `sowa inspect`; nothing at load reads it).
    pub compiled_by: CompiledBy,
    /// CPU features the code requires (e.g. `sse4.2`), by their `is_x86_feature_detected!` names.
    pub cpu_features: Vec<String>,
    /// The type section.
    pub types: Vec<SubType>,
    /// The size of each recursion group, in order: the groups partition `types`.
    pub rec_groups: Vec<u32>,
    /// Imports, in index order within each kind.
    pub imports: Vec<Import>,
    /// Number of functions, imported and defined.
    pub num_funcs: u32,
    /// Number of funcref slots in the context (see [`crate::vmctx::funcref_slot`]).
    pub num_funcrefs: u32,
    /// Host-to-wasm entry trampolines, by module type index.
    pub entry_trampolines: Vec<(u32, Span)>,
    /// Wasm-to-host bridges, by module type index.
    pub host_bridges: Vec<(u32, Span)>,
    /// Defined memories.
    pub memories: Vec<MemoryType>,
    /// Defined tables, with their initial value.
    pub tables: Vec<TableDef>,
    /// Defined globals.
    pub globals: Vec<GlobalDef>,
    /// Exports.
    pub exports: Vec<Export>,
    /// Type index of each defined tag (exceptions): its parameters are the values an
    /// exception of the tag carries.
    pub tags: Vec<u32>,
    /// Start function index.
    pub start: Option<u32>,
    /// Element segments.
    pub elements: Vec<ElementSegment>,
    /// Number of data segments (their places are in the data segment table).
    pub num_data: u32,
    /// The active data segments that instantiation copies (those the memory image lacks).
    pub active_data: Vec<ActiveData>,
    /// The initial contents of memory 0, ready to map, when every active data segment allows.
    pub memory_image: Option<MemoryImage>,
}

impl ModuleInfo {
    /// Encodes the core.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("manifest encoding cannot fail")
    }

    /// Decodes the core.
    pub fn decode(bytes: &[u8]) -> Result<ModuleInfo, super::FormatError> {
        postcard::from_bytes(bytes).map_err(|e| super::FormatError::Corrupt(e.to_string()))
    }

    /// The signature of type `index`, if that is a function type.
    pub fn func_type(&self, index: u32) -> Option<&crate::FuncType> {
        self.types.get(index as usize)?.as_func()
    }

    /// Whether the module has GC references anywhere (a type, import, table, global or
    /// element segment of the `any` or `extern` hierarchies): only such a module can hold a
    /// GC object (a local of such a type holds one only if one of these gave it, i31s and
    /// null aside), so the compiler finds references in stack frames only for such modules.
    pub fn uses_gc_refs(&self) -> bool {
        use crate::{CompositeType, ValType};
        let space = &self.types[..];
        let gc = |t: &ValType| t.is_gc_ref(space);
        self.types.iter().any(|t| match &t.composite {
            CompositeType::Func(f) => f.params.iter().chain(&f.results).any(gc),
            CompositeType::Struct(_) | CompositeType::Array(_) => true,
        }) || self.table_types().any(|t| gc(&ValType::Ref(t.elem)))
            || self.globals.iter().any(|g| gc(&g.ty.ty))
            || self
                .imports
                .iter()
                .any(|i| matches!(i.kind, ImportKind::Global(g) if gc(&g.ty)))
            || self.elements.iter().any(|e| gc(&ValType::Ref(e.ty)))
    }

    /// The signature of type `index`, known to be a function type: the compiler's view, after
    /// validation (the runtime uses [`Self::func_type`], since an artifact may be damaged).
    pub fn sig(&self, index: u32) -> &crate::FuncType {
        self.func_type(index)
            .expect("the validator checked that this type is a function type")
    }

    /// Number of imported functions.
    pub fn num_imported_funcs(&self) -> u32 {
        self.count_imports(|k| matches!(k, ImportKind::Func(_)))
    }
    /// The type of every memory in the memory index space: imported ones first.
    pub fn memory_types(&self) -> impl Iterator<Item = MemoryType> + '_ {
        let imported = self.imports.iter().filter_map(|i| match &i.kind {
            ImportKind::Memory(t) => Some(*t),
            _ => None,
        });
        imported.chain(self.memories.iter().copied())
    }
    /// The type of every table in the table index space: imported ones first.
    pub fn table_types(&self) -> impl Iterator<Item = TableType> + '_ {
        let imported = self.imports.iter().filter_map(|i| match &i.kind {
            ImportKind::Table(t) => Some(*t),
            _ => None,
        });
        imported.chain(self.tables.iter().map(|t| t.ty))
    }
    /// The type index of tag `index` (imported tags first), if there is such a tag.
    pub fn tag_type(&self, index: u32) -> Option<u32> {
        let imported = self.imports.iter().filter_map(|i| match i.kind {
            ImportKind::Tag(t) => Some(t),
            _ => None,
        });
        imported
            .chain(self.tags.iter().copied())
            .nth(index as usize)
    }
    /// Number of imported memories.
    pub fn num_imported_memories(&self) -> u32 {
        self.count_imports(|k| matches!(k, ImportKind::Memory(_)))
    }
    /// Number of imported tables.
    pub fn num_imported_tables(&self) -> u32 {
        self.count_imports(|k| matches!(k, ImportKind::Table(_)))
    }
    /// Number of imported globals.
    pub fn num_imported_globals(&self) -> u32 {
        self.count_imports(|k| matches!(k, ImportKind::Global(_)))
    }
    fn count_imports(&self, f: impl Fn(&ImportKind) -> bool) -> u32 {
        self.imports.iter().filter(|i| f(&i.kind)).count() as u32
    }

    /// The counts that fix this module's vmctx layout.
    pub fn vm_counts(&self) -> crate::vmctx::VMCounts {
        let im = self.num_imported_memories();
        let it = self.num_imported_tables();
        let ig = self.num_imported_globals();
        crate::vmctx::VMCounts {
            types: self.types.len() as u32,
            funcrefs: self.num_funcrefs,
            memories: im + self.memories.len() as u32,
            imported_memories: im,
            tables: it + self.tables.len() as u32,
            imported_tables: it,
            globals: ig + self.globals.len() as u32,
            imported_globals: ig,
            tags: self.count_imports(|k| matches!(k, ImportKind::Tag(_))) + self.tags.len() as u32,
        }
    }
}

/// A module as the compiler describes it: the core plus every per-function and per-segment
/// list, in owned vectors. [`Manifest::encode`] turns it into what the artifact holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Manifest {
    /// The decoded-at-load part.
    pub info: ModuleInfo,
    /// Type index of every function, imported first.
    pub func_types: Vec<u32>,
    /// Code of each defined function.
    pub functions: Vec<FunctionCode>,
    /// Function names (from the name section) by function index, sorted and unique.
    pub func_names: Vec<(u32, String)>,
    /// Every instruction that may trap, sorted by code offset.
    pub trap_sites: Vec<TrapSite>,
    /// Data segments.
    pub data: Vec<DataSegment>,
    /// What element segments of the [`ElemItems::Funcs`] form hold: function indices as the
    /// parser reads them, funcref slots once [`Manifest::assign_funcref_slots`] has run.
    pub elem_funcs: Vec<u32>,
    /// Defined functions that need a funcref record (see [`super::TableId::FuncRefs`]).
    pub funcref_funcs: Vec<u32>,
    /// (text offset, wasm offset) where the code of each wasm instruction starts, sorted.
    pub address_map: Vec<(u32, u32)>,
    /// (return address, handler, frame size) of each call inside a `try_table`, text offsets,
    /// sorted (see [`super::TableId::Handlers`]).
    pub handlers: Vec<(u32, u32, u32)>,
    /// (return address, frame size, stack-pointer offsets of live GC references) of each call
    /// that has any, text offsets, sorted (see [`super::TableId::StackMaps`]).
    pub stack_maps: Vec<(u32, u32, Vec<u32>)>,
}

/// The compiler and the options an artifact was made with: what a user who finds a `.so` on a
/// device needs in order to make the same one again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompiledBy {
    /// The compiler and its code generator, e.g. `sowac 0.1.0 (cranelift 0.135.8)`.
    pub compiler: String,
    /// Optimization level, as `sowac -O` spells it (`none`, `speed`, `size`).
    pub opt_level: String,
    /// The proposals the module was validated with, as `sowac --wasm` spells them.
    pub proposals: Vec<String>,
}

/// A manifest in its artifact form: the encoded core and the bytes of each table.
pub struct EncodedManifest {
    /// The encoded [`ModuleInfo`].
    pub core: Vec<u8>,
    /// Each table's records, in [`TableId`] order.
    pub tables: [Vec<u8>; TableId::COUNT],
}

impl EncodedManifest {
    /// Where the tables go when core and tables follow the header, each table 8-aligned.
    pub fn directory(&self) -> super::TableDir {
        let mut dir = [(0, 0); TableId::COUNT];
        let mut at = (super::HEADER_SIZE + self.core.len()) as u64;
        for (d, t) in dir.iter_mut().zip(&self.tables) {
            at = at.next_multiple_of(8);
            *d = (at, t.len() as u64);
            at += t.len() as u64;
        }
        dir
    }

    /// Everything after the header: the core, then the tables where [`Self::directory`] puts
    /// them.
    pub fn body(&self) -> Vec<u8> {
        let dir = self.directory();
        let end = dir.iter().map(|(o, l)| o + l).max().unwrap_or(0) as usize;
        let mut out = vec![0u8; end.max(super::HEADER_SIZE + self.core.len()) - super::HEADER_SIZE];
        out[..self.core.len()].copy_from_slice(&self.core);
        for ((off, len), t) in dir.iter().zip(&self.tables) {
            let at = *off as usize - super::HEADER_SIZE;
            out[at..at + *len as usize].copy_from_slice(t);
        }
        out
    }
}

impl Manifest {
    /// Splits the manifest into its core and tables.
    pub fn encode(&self) -> EncodedManifest {
        let mut info = self.info.clone();
        info.num_funcs = self.func_types.len() as u32;
        info.num_funcrefs = self.vm_counts().funcrefs;
        info.num_data = self.data.len() as u32;
        let mut b = TablesBuilder::default();
        for t in &self.func_types {
            b.u32s(TableId::FuncTypes, &[*t]);
        }
        for f in &self.functions {
            b.u32s(TableId::Functions, &[f.body.offset, f.body.len]);
        }
        for t in &self.trap_sites {
            b.u32s(
                TableId::TrapSites,
                &[t.code_offset, t.wasm_offset, t.kind as u32],
            );
        }
        for (index, name) in &self.func_names {
            let start = b.len(TableId::Names) as u32;
            b.bytes(TableId::Names, name.as_bytes());
            b.u32s(TableId::FuncNames, &[*index, start, name.len() as u32]);
        }
        for d in &self.data {
            let active = matches!(d.mode, SegmentMode::Active { .. });
            b.u64s(TableId::DataSegments, &[d.offset, d.len, active as u64]);
        }
        b.u32s(TableId::ElemFuncs, &self.elem_funcs);
        b.u32s(TableId::FuncRefs, &self.funcref_funcs);
        for (code, wasm) in &self.address_map {
            b.u32s(TableId::AddressMap, &[*code, *wasm]);
        }
        for (ret, handler, frame) in &self.handlers {
            b.u32s(TableId::Handlers, &[*ret, *handler, *frame]);
        }
        for (ret, frame, slots) in &self.stack_maps {
            let first = (b.len(TableId::StackSlots) / 4) as u32;
            b.u32s(
                TableId::StackMaps,
                &[*ret, *frame, first, slots.len() as u32],
            );
            b.u32s(TableId::StackSlots, slots);
        }
        EncodedManifest {
            core: info.encode(),
            tables: b.finish(),
        }
    }

    /// Number of imported functions.
    pub fn num_imported_funcs(&self) -> u32 {
        self.info.num_imported_funcs()
    }

    /// The counts that fix this module's vmctx layout.
    pub fn vm_counts(&self) -> crate::vmctx::VMCounts {
        crate::vmctx::VMCounts {
            funcrefs: self.num_imported_funcs() + self.funcref_funcs.len() as u32,
            ..self.info.vm_counts()
        }
    }

    /// The funcref slot of function `index` ([`crate::vmctx::funcref_slot`]), once
    /// `funcref_funcs` is set.
    pub fn funcref_slot(&self, index: u32) -> Option<u32> {
        crate::vmctx::funcref_slot(index, self.num_imported_funcs(), |f| {
            self.funcref_funcs.binary_search(&f).ok().map(|p| p as u32)
        })
    }

    /// The defined functions a reference can be taken to, and the start function: every
    /// function index the module names outside function bodies (exports, element segments,
    /// global and table initializers; WebAssembly's `ref.func` may only name these), sorted.
    pub fn referenced_functions(&self) -> Vec<u32> {
        let i = &self.info;
        let exprs = i
            .globals
            .iter()
            .map(|g| &g.init)
            .chain(i.tables.iter().filter_map(|t| t.init.as_ref()))
            .chain(i.elements.iter().flat_map(|e| match &e.items {
                ElemItems::Exprs(x) => x.iter().collect(),
                ElemItems::Funcs { .. } => Vec::new(),
            }));
        let in_exprs = exprs.flat_map(|e| {
            e.0.iter().filter_map(|op| match op {
                ConstOp::RefFunc(f) => Some(*f),
                _ => None,
            })
        });
        let exported = i
            .exports
            .iter()
            .filter(|e| e.kind == ExternKind::Func)
            .map(|e| e.index);
        let imported = self.num_imported_funcs();
        let mut v: Vec<u32> = exported
            .chain(in_exprs)
            .chain(self.elem_funcs.iter().copied())
            .chain(i.start)
            .filter(|f| *f >= imported)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Lists the functions that get funcref records ([`Manifest::referenced_functions`]) and
    /// turns the element function table's entries into their slots, so that instantiation
    /// fills a table from it without a search per element.
    pub fn assign_funcref_slots(&mut self) {
        self.funcref_funcs = self.referenced_functions();
        let slots: Vec<u32> = self
            .elem_funcs
            .iter()
            .map(|f| {
                self.funcref_slot(*f)
                    .expect("every element function is referenced")
            })
            .collect();
        self.elem_funcs = slots;
    }

    /// Name of function `index` for reports: the name section's, else `func[index]`.
    pub fn func_name(&self, index: u32) -> String {
        match self.func_names.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(i) => self.func_names[i].1.clone(),
            Err(_) => format!("func[{index}]"),
        }
    }
}

/// A range of the text section.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Offset from the text start.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

/// A defined function's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCode {
    /// Where its code is.
    pub body: Span,
}

/// An import.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// What is imported.
    pub kind: ImportKind,
}

/// What an import brings in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ImportKind {
    /// A function of this module type index.
    Func(u32),
    /// A memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
    /// A global.
    Global(GlobalType),
    /// A tag (exceptions) of this module type index (its parameters are the exception's
    /// values).
    Tag(u32),
}

/// An export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// Kind of the exported item.
    pub kind: ExternKind,
    /// Index in the kind's index space.
    pub index: u32,
}

/// The four kinds of importable and exportable items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExternKind {
    /// Function.
    Func,
    /// Table.
    Table,
    /// Memory.
    Memory,
    /// Global.
    Global,
    /// Tag.
    Tag,
}

/// A defined table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    /// Its type.
    pub ty: TableType,
    /// Initial value of every element (null when absent).
    pub init: Option<ConstExpr>,
}

/// A defined global.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalDef {
    /// Its type.
    pub ty: GlobalType,
    /// Initializer.
    pub init: ConstExpr,
}

/// A constant expression, evaluated at instantiation with a small stack machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstExpr(pub Vec<ConstOp>);

/// One operator of a constant expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstOp {
    /// Push an i32.
    I32Const(i32),
    /// Push an i64.
    I64Const(i64),
    /// Push an f32 by its bits.
    F32Const(u32),
    /// Push an f64 by its bits.
    F64Const(u64),
    /// Push a v128.
    V128Const(u128),
    /// Push a null reference.
    RefNull(RefType),
    /// Push a reference to function `index`.
    RefFunc(u32),
    /// Push the value of global `index`.
    GlobalGet(u32),
    /// i32 addition (extended-const).
    I32Add,
    /// i32 subtraction.
    I32Sub,
    /// i32 multiplication.
    I32Mul,
    /// i64 addition.
    I64Add,
    /// i64 subtraction.
    I64Sub,
    /// i64 multiplication.
    I64Mul,
    /// `ref.i31` (GC).
    RefI31,
    /// `struct.new` of a module type: pops a value per field.
    StructNew(u32),
    /// `struct.new_default` of a module type.
    StructNewDefault(u32),
    /// `array.new` of a module type: pops the value and the length.
    ArrayNew(u32),
    /// `array.new_default` of a module type: pops the length.
    ArrayNewDefault(u32),
    /// `array.new_fixed` of a module type with this many elements, popped.
    ArrayNewFixed(u32, u32),
    /// `any.convert_extern` or `extern.convert_any`: nothing changes.
    Convert,
}

impl ConstOp {
    /// Whether it allocates a GC object (`struct.new*`, `array.new*`).
    pub fn allocates(&self) -> bool {
        matches!(
            self,
            ConstOp::StructNew(_)
                | ConstOp::StructNewDefault(_)
                | ConstOp::ArrayNew(_)
                | ConstOp::ArrayNewDefault(_)
                | ConstOp::ArrayNewFixed(..)
        )
    }
}

/// An element segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElementSegment {
    /// When it is applied.
    pub mode: SegmentMode,
    /// Element type.
    pub ty: RefType,
    /// Its elements.
    pub items: ElemItems,
}

/// The elements of a segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ElemItems {
    /// Function references, as `len` function indices from `start` in the element function
    /// table (the common form: a C program's indirect call table).
    Funcs {
        /// First entry in [`super::TableId::ElemFuncs`].
        start: u32,
        /// Number of entries.
        len: u32,
    },
    /// One constant expression per element.
    Exprs(Vec<ConstExpr>),
}

impl ElemItems {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            ElemItems::Funcs { len, .. } => *len as usize,
            ElemItems::Exprs(e) => e.len(),
        }
    }

    /// Whether the segment is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An active data segment that instantiation copies into memory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActiveData {
    /// The segment's index.
    pub segment: u32,
    /// The memory it initialises.
    pub memory: u32,
    /// Where in that memory.
    pub offset: ConstExpr,
}

/// The pages of memory 0 that its active data segments initialise, laid out in the data section
/// exactly as they must appear in memory, so that instantiation maps them copy-on-write from
/// the file instead of copying segments. Present only when memory 0 is defined (not imported),
/// 32-bit and unshared, and every active segment for it has a constant offset and fits within
/// its initial size (so applying segments could not trap); the runtime then skips those
/// segments. `offset`, `data_offset` and `len` are multiples of the target's largest page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryImage {
    /// Where the image starts in linear memory, in bytes.
    pub offset: u64,
    /// Where it starts within the data section.
    pub data_offset: u64,
    /// Its length in bytes.
    pub len: u64,
}

/// A data segment as the compiler sees it; its bytes are at `offset..offset+len` of the data
/// section. The artifact keeps its place in [`super::TableId::DataSegments`] and, when
/// instantiation must copy it, its target in [`ModuleInfo::active_data`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSegment {
    /// When it is applied.
    pub mode: SegmentMode,
    /// Offset of its bytes within the data section (page-aligned).
    pub offset: u64,
    /// Length of its bytes.
    pub len: u64,
}

/// Whether a segment is applied at instantiation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SegmentMode {
    /// Applied to table or memory `index` at `offset` during instantiation.
    Active {
        /// Table or memory index.
        index: u32,
        /// Where in it.
        offset: ConstExpr,
    },
    /// Used by `table.init` / `memory.init`.
    Passive,
    /// Declares functions for `ref.func`; dropped at once.
    Declared,
}

/// An instruction that may trap, and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrapSite {
    /// Offset of the instruction from the text start.
    pub code_offset: u32,
    /// What the trap means.
    pub kind: TrapKind,
    /// Byte offset of the originating instruction in the `.wasm` file.
    pub wasm_offset: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ValType;

    #[test]
    fn referenced_functions_are_those_named_outside_bodies_and_defined() {
        let global = |f| GlobalDef {
            ty: GlobalType {
                ty: ValType::Ref(RefType::FUNCREF),
                mutable: false,
            },
            init: ConstExpr(vec![ConstOp::RefFunc(f)]),
        };
        let m = Manifest {
            info: ModuleInfo {
                imports: vec![Import {
                    module: "m".into(),
                    name: "f".into(),
                    kind: ImportKind::Func(0),
                }],
                exports: vec![
                    Export {
                        name: "a".into(),
                        kind: ExternKind::Func,
                        index: 2,
                    },
                    Export {
                        name: "imp".into(),
                        kind: ExternKind::Func,
                        index: 0,
                    },
                ],
                globals: vec![global(4)],
                elements: vec![ElementSegment {
                    mode: SegmentMode::Declared,
                    ty: RefType::FUNCREF,
                    items: ElemItems::Exprs(vec![ConstExpr(vec![ConstOp::RefFunc(2)])]),
                }],
                start: Some(5),
                ..Default::default()
            },
            func_types: vec![0; 8],
            elem_funcs: vec![3, 3],
            ..Default::default()
        };
        // The import (0) needs no record of the module's making; 1, 6 and 7 are only called.
        assert_eq!(m.referenced_functions(), vec![2, 3, 4, 5]);
    }
}
