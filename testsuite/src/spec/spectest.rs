//! The `spectest` host module that spec scripts import.

use sowa_runtime::{
    Extern, Func, FuncType, Global, GlobalType, Linker, Memory, MemoryType, RefType, Store, Table,
    TableType, Val, ValType,
};

/// Defines `spectest` in `linker`.
pub fn define(linker: &mut Linker, store: &Store) {
    use ValType::*;
    let prints: &[(&str, &[ValType])] = &[
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let f = Func::new(
            store,
            FuncType {
                params: params.to_vec(),
                results: vec![],
            },
            |_, _, _| Ok(()),
        );
        linker.define("spectest", name, Extern::Func(f));
    }
    let globals = [
        ("global_i32", I32, Val::I32(666)),
        ("global_i64", I64, Val::I64(666)),
        ("global_f32", F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", F64, Val::F64(666.6f64.to_bits())),
    ];
    for (name, ty, v) in globals {
        let g = Global::new(store, GlobalType { ty, mutable: false }, v).expect("typed value");
        linker.define("spectest", name, Extern::Global(g));
    }
    let table = Table::new(
        store,
        TableType::new(RefType::FUNCREF, 10, Some(20)),
        Val::FuncRef(None),
    )
    .expect("spectest table");
    linker.define("spectest", "table", Extern::Table(table));
    let memory = Memory::new(store, MemoryType::new(1, Some(2))).expect("spectest memory");
    linker.define("spectest", "memory", Extern::Memory(memory));
    let shared = MemoryType {
        shared: true,
        ..MemoryType::new(1, Some(2))
    };
    let memory = Memory::new(store, shared).expect("spectest shared memory");
    linker.define("spectest", "shared_memory", Extern::Memory(memory));
}
