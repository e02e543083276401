//! What a module holds, in the terms `sowa inspect` reports: the same summary whether it is read
//! from a `.so` (its manifest, function sizes in machine code) or from a `.wasm` (its sections,
//! function sizes in bytecode), so that the two can be compared line by line.

use super::{ElementSegment, ExternKind, ImportKind, ModuleInfo, SegmentMode};
use serde::Serialize;

/// An import or export, with its type in the text format's spelling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The module name of an import (`None` for an export).
    pub module: Option<String>,
    /// The field or export name.
    pub name: String,
    /// `func`, `memory`, `table` or `global`.
    pub kind: &'static str,
    /// Its type, e.g. `(param i32) (result i32)` or `1 16` (pages).
    pub ty: String,
}

/// A memory, table or global, defined or imported, by its index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entity {
    /// Index in its kind's index space (imports first).
    pub index: u32,
    /// Whether it is imported.
    pub imported: bool,
    /// Its type in the text format's spelling.
    pub ty: String,
    /// For a memory: its initial size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_bytes: Option<u64>,
}

/// One function's size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FunctionSize {
    /// Function index.
    pub index: u32,
    /// Name from the name section, else `func[INDEX]`.
    pub name: String,
    /// Size of its code in bytes.
    pub bytes: u64,
}

/// The functions: counts, total code and the largest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Functions {
    /// Imported functions.
    pub imported: u32,
    /// Defined functions.
    pub defined: u32,
    /// Bytes of code of all defined functions (machine code in a `.so`, bytecode in a `.wasm`).
    pub code_bytes: u64,
    /// The largest defined functions, largest first.
    pub largest: Vec<FunctionSize>,
}

/// Segments of one kind, counted by mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Segments {
    /// Applied at instantiation.
    pub active: u32,
    /// Applied by `memory.init` / `table.init`.
    pub passive: u32,
    /// Element segments that only declare functions for `ref.func`.
    pub declared: u32,
    /// Bytes of data segments the file holds (a `.so` keeps those memory 0's image covers in
    /// the image instead); elements for element segments.
    pub size: u64,
}

/// What a module declares and holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModuleSummary {
    /// Function types in the type section.
    pub types: u32,
    /// Imports, in order.
    pub imports: Vec<Item>,
    /// Exports, in order.
    pub exports: Vec<Item>,
    /// Functions.
    pub functions: Functions,
    /// Memories, imports first.
    pub memories: Vec<Entity>,
    /// Bytes of memory 0's initial contents ready to map (a `.so` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_image_bytes: Option<u64>,
    /// Tables, imports first.
    pub tables: Vec<Entity>,
    /// Globals, imports first.
    pub globals: Vec<Entity>,
    /// Tags (exceptions), imports first, by the type of their values.
    pub tags: Vec<Entity>,
    /// Data segments.
    pub data: Segments,
    /// Element segments.
    pub elements: Segments,
    /// The start function, by name.
    pub start: Option<String>,
}

/// How many of the largest functions a summary lists.
pub const LARGEST: usize = 10;

impl ModuleSummary {
    /// Summarises `info`, given each function's type index (`func_type`), its name
    /// (`func_name`, `None` when the name section has none), the code size of each defined
    /// function by index, and the (mode, length) of each data segment.
    pub fn new(
        info: &ModuleInfo,
        func_type: impl Fn(u32) -> Option<u32>,
        func_name: impl Fn(u32) -> Option<String>,
        code_sizes: impl IntoIterator<Item = (u32, u64)>,
        data: impl IntoIterator<Item = (bool, u64)>,
    ) -> ModuleSummary {
        let name = |i: u32| func_name(i).unwrap_or_else(|| format!("func[{i}]"));
        let func_ty = |i: u32| {
            func_type(i)
                .and_then(|t| info.types.get(t as usize))
                .map_or_else(|| "?".to_string(), |t| t.to_string())
        };
        let imports: Vec<Item> = info
            .imports
            .iter()
            .map(|i| {
                let (kind, ty) = match &i.kind {
                    ImportKind::Func(t) => (
                        "func",
                        info.types
                            .get(*t as usize)
                            .map_or_else(|| "?".to_string(), |t| t.to_string()),
                    ),
                    ImportKind::Memory(m) => ("memory", m.to_string()),
                    ImportKind::Table(t) => ("table", t.to_string()),
                    ImportKind::Global(g) => ("global", g.to_string()),
                    ImportKind::Tag(t) => (
                        "tag",
                        info.types
                            .get(*t as usize)
                            .map_or_else(|| "?".to_string(), |t| t.to_string()),
                    ),
                };
                Item {
                    module: Some(i.module.clone()),
                    name: i.name.clone(),
                    kind,
                    ty,
                }
            })
            .collect();
        let imported = |f: fn(&ImportKind) -> Option<String>| -> Vec<String> {
            info.imports.iter().filter_map(|i| f(&i.kind)).collect()
        };
        let entities = |imported: Vec<String>, defined: Vec<String>, sizes: Vec<Option<u64>>| {
            let imported = imported.into_iter().map(|t| (true, t));
            let defined = defined.into_iter().map(|t| (false, t));
            imported
                .chain(defined)
                .zip(sizes)
                .enumerate()
                .map(|(index, ((imported, ty), initial_bytes))| Entity {
                    index: index as u32,
                    imported,
                    ty,
                    initial_bytes,
                })
                .collect::<Vec<_>>()
        };
        let memory_sizes: Vec<Option<u64>> = info
            .memory_types()
            .map(|m| Some(m.min.saturating_mul(m.page_size())))
            .collect();
        let memories = entities(
            imported(|k| match k {
                ImportKind::Memory(m) => Some(m.to_string()),
                _ => None,
            }),
            info.memories.iter().map(|m| m.to_string()).collect(),
            memory_sizes,
        );
        let tables = entities(
            imported(|k| match k {
                ImportKind::Table(t) => Some(t.to_string()),
                _ => None,
            }),
            info.tables.iter().map(|t| t.ty.to_string()).collect(),
            vec![None; info.num_imported_tables() as usize + info.tables.len()],
        );
        let globals = entities(
            imported(|k| match k {
                ImportKind::Global(g) => Some(g.to_string()),
                _ => None,
            }),
            info.globals.iter().map(|g| g.ty.to_string()).collect(),
            vec![None; info.num_imported_globals() as usize + info.globals.len()],
        );
        let tag_ty = |t: u32| {
            info.types
                .get(t as usize)
                .map_or_else(|| "?".to_string(), |t| t.to_string())
        };
        let tags = entities(
            info.imports
                .iter()
                .filter_map(|i| match i.kind {
                    ImportKind::Tag(t) => Some(tag_ty(t)),
                    _ => None,
                })
                .collect(),
            info.tags.iter().map(|t| tag_ty(*t)).collect(),
            vec![None; info.vm_counts().tags as usize],
        );
        let exports = info
            .exports
            .iter()
            .map(|e| {
                let (kind, ty) = match e.kind {
                    ExternKind::Func => ("func", func_ty(e.index)),
                    ExternKind::Memory => ("memory", entity_ty(&memories, e.index)),
                    ExternKind::Table => ("table", entity_ty(&tables, e.index)),
                    ExternKind::Global => ("global", entity_ty(&globals, e.index)),
                    ExternKind::Tag => (
                        "tag",
                        info.tag_type(e.index)
                            .and_then(|t| info.types.get(t as usize))
                            .map_or_else(|| "?".to_string(), |t| t.to_string()),
                    ),
                };
                Item {
                    module: None,
                    name: e.name.clone(),
                    kind,
                    ty,
                }
            })
            .collect();
        let mut sizes: Vec<FunctionSize> = code_sizes
            .into_iter()
            .map(|(index, bytes)| FunctionSize {
                index,
                name: String::new(),
                bytes,
            })
            .collect();
        let code_bytes = sizes.iter().map(|f| f.bytes).sum();
        let defined = sizes.len() as u32;
        // Largest first; equal sizes in index order, so the report is stable.
        sizes.sort_by_key(|f| (std::cmp::Reverse(f.bytes), f.index));
        sizes.truncate(LARGEST);
        for f in &mut sizes {
            f.name = name(f.index);
        }
        let mut data_segments = Segments::default();
        for (active, len) in data {
            if active {
                data_segments.active += 1;
            } else {
                data_segments.passive += 1;
            }
            data_segments.size += len;
        }
        ModuleSummary {
            types: info.types.len() as u32,
            imports,
            exports,
            functions: Functions {
                imported: info.num_imported_funcs(),
                defined,
                code_bytes,
                largest: sizes,
            },
            memories,
            memory_image_bytes: info.memory_image.as_ref().map(|m| m.len),
            tables,
            globals,
            tags,
            data: data_segments,
            elements: element_segments(&info.elements),
            start: info.start.map(name),
        }
    }
}

fn entity_ty(list: &[Entity], index: u32) -> String {
    list.get(index as usize)
        .map_or_else(|| "?".to_string(), |e| e.ty.clone())
}

fn element_segments(elements: &[ElementSegment]) -> Segments {
    let mut s = Segments::default();
    for e in elements {
        match e.mode {
            SegmentMode::Active { .. } => s.active += 1,
            SegmentMode::Passive => s.passive += 1,
            SegmentMode::Declared => s.declared += 1,
        }
        s.size += match &e.items {
            super::ElemItems::Funcs { len, .. } => *len as u64,
            super::ElemItems::Exprs(x) => x.len() as u64,
        };
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::{Export, GlobalDef, Import};
    use crate::types::{FuncType, GlobalType, MemoryType, ValType, WASM_PAGE_SIZE};

    #[test]
    fn summary_names_types_and_orders_functions_by_size() {
        let info = ModuleInfo {
            types: vec![
                crate::SubType::func(FuncType {
                    params: vec![ValType::I32],
                    results: vec![],
                }),
                crate::SubType::func(FuncType::default()),
            ],
            rec_groups: vec![1, 1],
            imports: vec![
                Import {
                    module: "wasi_snapshot_preview1".into(),
                    name: "proc_exit".into(),
                    kind: ImportKind::Func(0),
                },
                Import {
                    module: "env".into(),
                    name: "mem".into(),
                    kind: ImportKind::Memory(MemoryType::new(2, None)),
                },
            ],
            globals: vec![GlobalDef {
                ty: GlobalType {
                    ty: ValType::I64,
                    mutable: true,
                },
                init: crate::artifact::ConstExpr(vec![]),
            }],
            exports: vec![
                Export {
                    name: "_start".into(),
                    kind: ExternKind::Func,
                    index: 2,
                },
                Export {
                    name: "memory".into(),
                    kind: ExternKind::Memory,
                    index: 0,
                },
                Export {
                    name: "counter".into(),
                    kind: ExternKind::Global,
                    index: 0,
                },
            ],
            memories: vec![MemoryType {
                page_size_log2: 0,
                ..MemoryType::new(100, None)
            }],
            start: Some(1),
            ..Default::default()
        };
        let types = [0, 1, 1, 1];
        let s = ModuleSummary::new(
            &info,
            |f| types.get(f as usize).copied(),
            |f| (f == 2).then(|| "_start".to_string()),
            [(1, 40), (2, 100), (3, 40)],
            [(true, 10), (false, 5)],
        );
        assert_eq!(s.imports[0].ty, "(param i32)");
        assert_eq!(s.imports[1].kind, "memory");
        assert_eq!(s.exports[0].ty, "()");
        assert_eq!(s.exports[1].ty, "2");
        assert_eq!(s.exports[2].ty, "(mut i64)");
        assert_eq!(s.memories[0].initial_bytes, Some(2 * WASM_PAGE_SIZE));
        assert!(s.memories[0].imported);
        assert_eq!(s.memories[1].initial_bytes, Some(100));
        assert_eq!(s.memories[1].ty, "100 (pagesize 1)");
        assert_eq!(s.functions.imported, 1);
        assert_eq!(s.functions.defined, 3);
        assert_eq!(s.functions.code_bytes, 180);
        let order: Vec<(u32, &str)> = s
            .functions
            .largest
            .iter()
            .map(|f| (f.index, f.name.as_str()))
            .collect();
        assert_eq!(order, [(2, "_start"), (1, "func[1]"), (3, "func[3]")]);
        assert_eq!(s.start.as_deref(), Some("func[1]"));
        assert_eq!((s.data.active, s.data.passive, s.data.size), (1, 1, 15));
    }
}
