//! Function references in the embedding API are opaque and checked: safe code cannot hand wasm
//! a forged code address, another store's function or one from before a reset.

use sowa_runtime::{
    FuncType, Global, GlobalType, Linker, Module, RefType, Store, Table, TableType, Val, ValType,
    ValueError,
};

const REFS: &str = r#"
(module
  (import "host" "give" (func $give (result funcref)))
  (type $t (func (result i32)))
  (table $tab 2 funcref)
  (global (export "g") (mut i32) (i32.const 1))
  (global (export "fixed") i32 (i32.const 1))
  (func $seven (export "seven") (type $t) (i32.const 7))
  (elem declare func $seven)
  (func (export "ref") (result funcref) (ref.func $seven))
  (func (export "call") (param funcref) (result i32)
    (table.set $tab (i32.const 0) (local.get 0))
    (call_indirect (type $t) (i32.const 0)))
  (func (export "call_given") (result i32)
    (table.set $tab (i32.const 0) (call $give))
    (call_indirect (type $t) (i32.const 0)))
)"#;

fn module() -> Module {
    let wasm = wat::parse_str(REFS).unwrap();
    Module::from_bytes(&sowa_compiler::compile(&wasm, &Default::default()).unwrap()).unwrap()
}

fn linker(give: Val) -> Linker {
    let mut l = Linker::new();
    let ty = FuncType {
        params: vec![],
        results: vec![ValType::Ref(RefType::FUNCREF)],
    };
    l.func_new("host", "give", ty, move |_, _, results| {
        results[0] = give;
        Ok(())
    });
    l
}

#[test]
fn a_reference_works_in_its_own_store_only() {
    let m = module();
    let a = Store::default();
    let ia = linker(Val::FuncRef(None)).instantiate(&a, &m).unwrap();
    let r = ia.get_func("ref").unwrap().call(&[]).unwrap()[0];
    assert!(matches!(r, Val::FuncRef(Some(_))));
    let call = ia.get_func("call").unwrap();
    assert_eq!(call.call(&[r]).unwrap(), vec![Val::I32(7)]);

    // Before: `Val::FuncRef(usize)` let safe code pass any address, and a reference of a
    // dropped store stayed a pointer into freed memory.
    let b = Store::default();
    let ib = linker(Val::FuncRef(None)).instantiate(&b, &m).unwrap();
    let err = ib.get_func("call").unwrap().call(&[r]).unwrap_err();
    assert!(err.to_string().contains("another store"), "{err}");
    // A host function cannot smuggle it in as a result either.
    let ic = linker(r).instantiate(&b, &m).unwrap();
    let err = ic.get_func("call_given").unwrap().call(&[]).unwrap_err();
    assert!(err.to_string().contains("another store"), "{err}");
    // Nor can a table or a global of the other store take it.
    let ty = TableType::new(RefType::FUNCREF, 1, None);
    assert_eq!(
        Table::new(&b, ty, r).err(),
        Some(ValueError::ForeignReference)
    );
    let gty = GlobalType {
        ty: ValType::Ref(RefType::FUNCREF),
        mutable: true,
    };
    assert_eq!(
        Global::new(&b, gty, r).err(),
        Some(ValueError::ForeignReference)
    );
    assert!(Global::new(&a, gty, r).is_ok());
}

#[test]
fn references_from_before_a_reset_are_refused() {
    let m = module();
    let mut store = Store::default();
    let r = {
        let i = linker(Val::FuncRef(None)).instantiate(&store, &m).unwrap();
        i.get_func("ref").unwrap().call(&[]).unwrap()[0]
    };
    store.reset().unwrap();
    // The old instance's context is recycled for this one: the old record's address may
    // well be valid memory again, which is why the tag, not the address, decides.
    let i = linker(Val::FuncRef(None)).instantiate(&store, &m).unwrap();
    let err = i.get_func("call").unwrap().call(&[r]).unwrap_err();
    assert!(err.to_string().contains("another store"), "{err}");
    let fresh = i.get_func("ref").unwrap().call(&[]).unwrap()[0];
    assert_eq!(
        i.get_func("call").unwrap().call(&[fresh]).unwrap(),
        vec![Val::I32(7)]
    );
}

#[test]
fn globals_are_set_with_values_of_their_type_and_only_when_mutable() {
    let m = module();
    let store = Store::default();
    let i = linker(Val::FuncRef(None)).instantiate(&store, &m).unwrap();
    let g = i.get_global("g").unwrap();
    // Before: any value was written, and an i64 where wasm reads an i32 (or an integer where
    // it reads a reference) went through unchecked.
    assert!(matches!(g.set(Val::I64(5)), Err(ValueError::Type { .. })));
    assert!(matches!(
        g.set(Val::FuncRef(None)),
        Err(ValueError::Type { .. })
    ));
    g.set(Val::I32(5)).unwrap();
    assert_eq!(g.get(), Val::I32(5));
    let fixed = i.get_global("fixed").unwrap();
    assert_eq!(fixed.set(Val::I32(2)), Err(ValueError::Immutable));
}

#[test]
fn a_host_function_returning_the_wrong_type_traps() {
    let m = module();
    let store = Store::default();
    let i = linker(Val::I32(0x1234)).instantiate(&store, &m).unwrap();
    let err = i.get_func("call_given").unwrap().call(&[]).unwrap_err();
    assert!(err.to_string().contains("host function result"), "{err}");
}
