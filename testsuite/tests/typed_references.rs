//! Typed function references through the embedding API: the runtime's types are canonical, so
//! modules that number the same types differently link, and values the host passes are checked
//! against the reference types (null where none is allowed, a function of another type).

use sowa_runtime::{
    HeapType, Instance, Linker, Module, RefType, Store, Trap, TrapKind, Val, ValType,
};

fn load(wat: &str) -> Module {
    let wasm = wat::parse_str(wat).unwrap();
    Module::from_bytes(&sowa_compiler::compile(&wasm, &Default::default()).unwrap()).unwrap()
}

/// Exports a table and a global of `(ref $binop)` and a function taking one, with `$binop` at
/// type index 1.
const PROVIDER: &str = r#"
(module
  (type $unrelated (func (param i64)))
  (type $binop (func (param i32 i32) (result i32)))
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $other (export "other") (type $unrelated))
  (table (export "ops") 2 (ref $binop) (ref.func $add))
  (global (export "op") (ref $binop) (ref.func $sub))
  (elem declare func $add $sub)
  (func (export "apply") (param $f (ref null $binop)) (param i32 i32) (result i32)
    (call_ref $binop (local.get 1) (local.get 2) (local.get $f)))
  (func (export "sub") (result (ref $binop)) (ref.func $sub))
)"#;

/// Imports them with `$binop` at type index 0, and calls through them.
const USER: &str = r#"
(module
  (type $binop (func (param i32 i32) (result i32)))
  (import "p" "ops" (table 1 (ref $binop)))
  (import "p" "op" (global (ref $binop)))
  (import "p" "apply" (func $apply (param (ref null $binop) i32 i32) (result i32)))
  (func (export "via_table") (param i32 i32) (result i32)
    (call_ref $binop (local.get 0) (local.get 1) (table.get (i32.const 0))))
  (func (export "via_global") (param i32 i32) (result i32)
    (return_call_ref $binop (local.get 0) (local.get 1) (global.get 0)))
  (func (export "apply_null") (result i32)
    (call $apply (ref.null $binop) (i32.const 1) (i32.const 2)))
  (func (export "first_or") (param $f (ref null $binop)) (result i32)
    (block $null
      (br_on_null $null (local.get $f))
      (drop)
      (return (i32.const 1)))
    (i32.const 0))
)"#;

fn linked(store: &Store) -> (Instance, Instance) {
    let p = Linker::new().instantiate(store, &load(PROVIDER)).unwrap();
    let mut l = Linker::new();
    l.instance("p", &p);
    let u = l.instantiate(store, &load(USER)).unwrap();
    (p, u)
}

#[test]
fn modules_numbering_a_type_differently_link_and_call_through_typed_references() {
    let store = Store::default();
    let (_, u) = linked(&store);
    let call = |name: &str, args: &[Val]| u.get_func(name).unwrap().call(args);
    assert_eq!(
        call("via_table", &[Val::I32(5), Val::I32(3)]).unwrap(),
        [Val::I32(8)]
    );
    assert_eq!(
        call("via_global", &[Val::I32(5), Val::I32(3)]).unwrap(),
        [Val::I32(2)]
    );
    let trap: Trap = call("apply_null", &[]).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::NullFunctionReference), "{trap}");
    assert_eq!(
        call("first_or", &[Val::FuncRef(None)]).unwrap(),
        [Val::I32(0)]
    );
}

#[test]
fn an_import_of_another_reference_type_is_refused_with_both_types() {
    let store = Store::default();
    let p = Linker::new().instantiate(&store, &load(PROVIDER)).unwrap();
    let mut l = Linker::new();
    l.instance("p", &p);
    // Same shape, other parameter type: not the same type.
    let wrong = r#"(module
      (type $f (func (param i64 i64) (result i32)))
      (import "p" "ops" (table 1 (ref $f))))"#;
    let err = l
        .instantiate(&store, &load(wrong))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("`p`.`ops`") && err.contains("table"), "{err}");
    // A mutable import must match exactly; an immutable one may take a subtype: a global of
    // `(ref $binop)` satisfies an import of `funcref` ...
    let wider = r#"(module (import "p" "op" (global funcref)))"#;
    assert!(l.instantiate(&store, &load(wider)).is_ok());
    // ... but a table's element type must be equal.
    let wider_table = r#"(module (import "p" "ops" (table 1 funcref)))"#;
    assert!(l.instantiate(&store, &load(wider_table)).is_err());
}

#[test]
fn the_host_cannot_pass_a_null_or_a_function_of_another_type_as_a_typed_reference() {
    let store = Store::default();
    let (p, u) = linked(&store);
    let sub = p.get_func("sub").unwrap().call(&[]).unwrap()[0];
    // A reference to a function of another type, taken by a module that imports it.
    let taker = load(
        r#"(module (import "p" "other" (func $o (param i64)))
           (elem declare func $o)
           (func (export "r") (result funcref) (ref.func $o)))"#,
    );
    let mut l = Linker::new();
    l.instance("p", &p);
    let other = l
        .instantiate(&store, &taker)
        .unwrap()
        .get_func("r")
        .unwrap()
        .call(&[])
        .unwrap()[0];
    let apply = p.get_func("apply").unwrap();
    assert_eq!(
        apply.call(&[sub, Val::I32(9), Val::I32(4)]).unwrap(),
        [Val::I32(5)]
    );
    let err = apply.call(&[other, Val::I32(9), Val::I32(4)]).unwrap_err();
    assert!(err.to_string().contains("wrong arguments"), "{err}");
    // `first_or` takes `(ref null $binop)`: null is fine there.
    assert_eq!(
        u.get_func("first_or").unwrap().call(&[sub]).unwrap(),
        [Val::I32(1)]
    );
    // A function whose parameter is non-nullable refuses null before running.
    let strict = load(
        r#"(module (type $t (func))
           (func (export "f") (param (ref $t))))"#,
    );
    let i = Linker::new().instantiate(&store, &strict).unwrap();
    let f = i.get_func("f").unwrap();
    let ValType::Ref(RefType {
        nullable: false,
        heap: HeapType::Concrete(_),
    }) = f.ty().params[0]
    else {
        panic!("{}", f.ty());
    };
    let err = f.call(&[Val::FuncRef(None)]).unwrap_err().to_string();
    assert!(err.contains("null"), "{err}");
}
