//! Reads and validates a module's sections into the manifest and the list of function bodies.
//!
//! Everything but function bodies is decoded here, once, into the artifact's vocabulary
//! ([`sowa_targets::artifact`]); bodies are validated and translated later, in parallel.

use crate::error::{unsupported, Result};
pub use crate::proposals::Proposals;
use sowa_targets::artifact::{
    ConstExpr, ConstOp, DataSegment, ElemItems, ElementSegment, Export, ExternKind, GlobalDef,
    Import, ImportKind, Manifest, SegmentMode, TableDef,
};
use sowa_targets::{
    CompositeType, FieldType, FuncType, GlobalType, HeapType, MemoryType, RefType, StorageType,
    SubType, TableType, ValType,
};
use wasmparser::{
    FuncToValidate, FunctionBody, Parser, Payload, ValidPayload, Validator, ValidatorResources,
    WasmFeatures,
};

/// A function body waiting to be validated and translated.
pub struct PendingBody<'a> {
    /// Function index (imports included).
    pub index: u32,
    /// The features the body is read with.
    pub features: WasmFeatures,
    /// The validator for this body.
    pub validator: FuncToValidate<ValidatorResources>,
    /// The body.
    pub body: FunctionBody<'a>,
}

/// A parsed module: its manifest (without code locations) and its bodies.
pub struct ModuleEnv<'a> {
    /// Manifest fields known from the sections.
    pub manifest: Manifest,
    /// Function bodies.
    pub bodies: Vec<PendingBody<'a>>,
    /// Data segment bytes, in segment order.
    pub data: Vec<&'a [u8]>,
}

/// Parses and validates `wasm` (function bodies are validated during translation).
pub fn parse(wasm: &[u8], proposals: Proposals) -> Result<ModuleEnv<'_>> {
    let features = proposals.features();
    let mut validator = Validator::new_with_features(features);
    let mut env = ModuleEnv {
        manifest: Manifest::default(),
        bodies: Vec::new(),
        data: Vec::new(),
    };
    let m = &mut env.manifest;
    let mut parser = Parser::new(0);
    // The reader must enforce the same features as the validator: encodings that later
    // proposals allow (multi-byte memory indices, 64-bit limits) are malformed without them.
    parser.set_features(features);
    for payload in parser.parse_all(wasm) {
        let payload = payload?;
        if let ValidPayload::Func(validator, body) = validator.payload(&payload)? {
            env.bodies.push(PendingBody {
                features,
                index: m.num_imported_funcs() + env.bodies.len() as u32,
                validator,
                body,
            });
        }
        match payload {
            Payload::TypeSection(r) => {
                for group in r.into_iter_with_offsets() {
                    let (offset, group) = group?;
                    let mut size = 0;
                    for sub in group.into_types() {
                        m.info.types.push(sub_type(&sub, offset)?);
                        size += 1;
                    }
                    m.info.rec_groups.push(size);
                }
            }
            Payload::ImportSection(r) => {
                for group in r {
                    for item in group? {
                        let (offset, imp) = item?;
                        let kind = match imp.ty {
                            wasmparser::TypeRef::Func(t) | wasmparser::TypeRef::FuncExact(t) => {
                                m.func_types.push(t);
                                ImportKind::Func(t)
                            }
                            wasmparser::TypeRef::Memory(mt) => ImportKind::Memory(memory_type(&mt)),
                            wasmparser::TypeRef::Table(tt) => {
                                ImportKind::Table(table_type(&tt, offset)?)
                            }
                            wasmparser::TypeRef::Global(g) => {
                                ImportKind::Global(global_type(&g, offset)?)
                            }
                            wasmparser::TypeRef::Tag(t) => ImportKind::Tag(t.func_type_idx),
                        };
                        m.info.imports.push(Import {
                            module: imp.module.to_string(),
                            name: imp.name.to_string(),
                            kind,
                        });
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    m.func_types.push(t?);
                }
            }
            Payload::TableSection(r) => {
                for t in r.into_iter_with_offsets() {
                    let (offset, t) = t?;
                    let init = match t.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(e) => Some(const_expr(&e)?),
                    };
                    m.info.tables.push(TableDef {
                        ty: table_type(&t.ty, offset)?,
                        init,
                    });
                }
            }
            Payload::MemorySection(r) => {
                for mt in r.into_iter_with_offsets() {
                    let (_, mt) = mt?;
                    m.info.memories.push(memory_type(&mt));
                }
            }
            Payload::GlobalSection(r) => {
                for g in r.into_iter_with_offsets() {
                    let (offset, g) = g?;
                    m.info.globals.push(GlobalDef {
                        ty: global_type(&g.ty, offset)?,
                        init: const_expr(&g.init_expr)?,
                    });
                }
            }
            Payload::ExportSection(r) => {
                for e in r.into_iter_with_offsets() {
                    let (_, e) = e?;
                    let kind = match e.kind {
                        wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                            ExternKind::Func
                        }
                        wasmparser::ExternalKind::Table => ExternKind::Table,
                        wasmparser::ExternalKind::Memory => ExternKind::Memory,
                        wasmparser::ExternalKind::Global => ExternKind::Global,
                        wasmparser::ExternalKind::Tag => ExternKind::Tag,
                    };
                    m.info.exports.push(Export {
                        name: e.name.to_string(),
                        kind,
                        index: e.index,
                    });
                }
            }
            Payload::StartSection { func, .. } => m.info.start = Some(func),
            Payload::TagSection(r) => {
                for t in r {
                    m.info.tags.push(t?.func_type_idx);
                }
            }
            Payload::ElementSection(r) => {
                for e in r {
                    let e = e?;
                    let mode = match e.kind {
                        wasmparser::ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: table_index.unwrap_or(0),
                            offset: const_expr(&offset_expr)?,
                        },
                        wasmparser::ElementKind::Passive => SegmentMode::Passive,
                        wasmparser::ElementKind::Declared => SegmentMode::Declared,
                    };
                    let (ty, items) = match e.items {
                        wasmparser::ElementItems::Functions(r) => {
                            let start = m.elem_funcs.len() as u32;
                            for f in r {
                                m.elem_funcs.push(f?);
                            }
                            let len = m.elem_funcs.len() as u32 - start;
                            (RefType::FUNCREF, ElemItems::Funcs { start, len })
                        }
                        wasmparser::ElementItems::Expressions(rt, r) => {
                            let ty = ref_type(rt, e.range.start)?;
                            let mut items = Vec::new();
                            for x in r {
                                items.push(const_expr(&x?)?);
                            }
                            (ty, ElemItems::Exprs(items))
                        }
                    };
                    m.info.elements.push(ElementSegment { mode, ty, items });
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d?;
                    let mode = match d.kind {
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: memory_index,
                            offset: const_expr(&offset_expr)?,
                        },
                        wasmparser::DataKind::Passive => SegmentMode::Passive,
                    };
                    m.data.push(DataSegment {
                        mode,
                        offset: 0,
                        len: d.data.len() as u64,
                    });
                    env.data.push(d.data);
                }
            }
            Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(names) = c.as_known() {
                    read_names(names, m);
                }
            }
            _ => {}
        }
    }
    m.func_names.sort_by_key(|(i, _)| *i);
    m.func_names.dedup_by_key(|(i, _)| *i);
    Ok(env)
}

/// Name-section problems are ignored: names are for reports, never a reason to refuse a module.
fn read_names(names: wasmparser::NameSectionReader<'_>, m: &mut Manifest) {
    for n in names.into_iter().flatten() {
        if let wasmparser::Name::Function(map) = n {
            for naming in map.into_iter().flatten() {
                m.func_names.push((naming.index, naming.name.to_string()));
            }
        }
    }
}

/// Converts a parser type (with validated type indices: module indices, never rec-relative).
fn sub_type(sub: &wasmparser::SubType, offset: u64) -> Result<SubType> {
    let field = |f: &wasmparser::FieldType| -> Result<FieldType> {
        Ok(FieldType {
            storage: match f.element_type {
                wasmparser::StorageType::I8 => StorageType::I8,
                wasmparser::StorageType::I16 => StorageType::I16,
                wasmparser::StorageType::Val(t) => StorageType::Val(val_type(t, offset)?),
            },
            mutable: f.mutable,
        })
    };
    if sub.composite_type.shared || sub.composite_type.descriptor_idx.is_some() {
        return Err(unsupported(offset, "shared or descriptor types"));
    }
    let composite = match &sub.composite_type.inner {
        wasmparser::CompositeInnerType::Func(f) => {
            let list = |ts: &[wasmparser::ValType]| {
                ts.iter()
                    .map(|t| val_type(*t, offset))
                    .collect::<Result<Vec<_>>>()
            };
            CompositeType::Func(FuncType {
                params: list(f.params())?,
                results: list(f.results())?,
            })
        }
        wasmparser::CompositeInnerType::Struct(s) => {
            CompositeType::Struct(s.fields.iter().map(field).collect::<Result<_>>()?)
        }
        wasmparser::CompositeInnerType::Array(a) => CompositeType::Array(field(&a.0)?),
        wasmparser::CompositeInnerType::Cont(_) => {
            return Err(unsupported(offset, "continuation types (stack switching)"))
        }
    };
    Ok(SubType {
        is_final: sub.is_final,
        supertype: match sub.supertype_idxs.first() {
            None => None,
            Some(i) => {
                Some(i.as_module_index().ok_or_else(|| {
                    unsupported(offset, "a supertype index that is not canonical")
                })?)
            }
        },
        composite,
    })
}

/// Converts a parser value type.
pub fn val_type(t: wasmparser::ValType, offset: u64) -> Result<ValType> {
    Ok(match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ValType::Ref(ref_type(r, offset)?),
    })
}

/// Converts a parser reference type (the function and extern hierarchies; GC's are refused).
pub fn ref_type(r: wasmparser::RefType, offset: u64) -> Result<RefType> {
    Ok(RefType {
        nullable: r.is_nullable(),
        heap: heap_type(r.heap_type(), offset)?,
    })
}

/// Converts a parser heap type (a concrete one by its index in the module's type section).
pub fn heap_type(h: wasmparser::HeapType, offset: u64) -> Result<HeapType> {
    use wasmparser::AbstractHeapType as A;
    Ok(match h {
        wasmparser::HeapType::Abstract { shared: false, ty } => match ty {
            A::Func => HeapType::Func,
            A::Extern => HeapType::Extern,
            A::NoFunc => HeapType::NoFunc,
            A::NoExtern => HeapType::NoExtern,
            A::Exn => HeapType::Exn,
            A::NoExn => HeapType::NoExn,
            A::Any => HeapType::Any,
            A::Eq => HeapType::Eq,
            A::I31 => HeapType::I31,
            A::Struct => HeapType::Struct,
            A::Array => HeapType::Array,
            A::None => HeapType::None,
            A::Cont | A::NoCont => {
                return Err(unsupported(
                    offset,
                    format!("heap type {ty:?} (stack switching)"),
                ))
            }
        },
        wasmparser::HeapType::Concrete(wasmparser::UnpackedIndex::Module(i)) => {
            HeapType::Concrete(i)
        }
        other => return Err(unsupported(offset, format!("heap type {other:?}"))),
    })
}

fn memory_type(m: &wasmparser::MemoryType) -> MemoryType {
    MemoryType {
        min: m.initial,
        max: m.maximum,
        shared: m.shared,
        memory64: m.memory64,
        // The validator allows 0 and 16 only.
        page_size_log2: m
            .page_size_log2
            .map_or(sowa_targets::types::DEFAULT_PAGE_SIZE_LOG2, |l| l as u8),
    }
}

fn table_type(t: &wasmparser::TableType, offset: u64) -> Result<TableType> {
    Ok(TableType {
        elem: ref_type(t.element_type, offset)?,
        min: t.initial,
        max: t.maximum,
        table64: t.table64,
    })
}

fn global_type(g: &wasmparser::GlobalType, offset: u64) -> Result<GlobalType> {
    Ok(GlobalType {
        ty: val_type(g.content_type, offset)?,
        mutable: g.mutable,
    })
}

/// Converts a validated constant expression.
fn const_expr(e: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    use wasmparser::Operator as O;
    let mut ops = Vec::new();
    let mut r = e.get_operators_reader();
    while !r.eof() {
        let offset = r.original_position();
        let op = r.read()?;
        ops.push(match op {
            O::I32Const { value } => ConstOp::I32Const(value),
            O::I64Const { value } => ConstOp::I64Const(value),
            O::F32Const { value } => ConstOp::F32Const(value.bits()),
            O::F64Const { value } => ConstOp::F64Const(value.bits()),
            O::V128Const { value } => ConstOp::V128Const(u128::from_le_bytes(*value.bytes())),
            O::RefNull { hty } => ConstOp::RefNull(RefType {
                nullable: true,
                heap: heap_type(hty, offset)?,
            }),
            O::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            O::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            O::I32Add => ConstOp::I32Add,
            O::I32Sub => ConstOp::I32Sub,
            O::I32Mul => ConstOp::I32Mul,
            O::I64Add => ConstOp::I64Add,
            O::I64Sub => ConstOp::I64Sub,
            O::I64Mul => ConstOp::I64Mul,
            O::RefI31 => ConstOp::RefI31,
            O::StructNew { struct_type_index } => ConstOp::StructNew(struct_type_index),
            O::StructNewDefault { struct_type_index } => {
                ConstOp::StructNewDefault(struct_type_index)
            }
            O::ArrayNew { array_type_index } => ConstOp::ArrayNew(array_type_index),
            O::ArrayNewDefault { array_type_index } => ConstOp::ArrayNewDefault(array_type_index),
            O::ArrayNewFixed {
                array_type_index,
                array_size,
            } => ConstOp::ArrayNewFixed(array_type_index, array_size),
            O::AnyConvertExtern | O::ExternConvertAny => ConstOp::Convert,
            O::End => continue,
            other => {
                return Err(unsupported(
                    offset,
                    format!("constant expression operator {other:?}"),
                ))
            }
        });
    }
    Ok(ConstExpr(ops))
}
