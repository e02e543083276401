//! 64-bit tables (memory64's `table64`): every table operator with `i64` indices and sizes,
//! checked against expected values, with indices past 2^32 trapping rather than wrapping.

use sowa_runtime::{ExternRef, Linker, Module, Store, TableType, TrapKind, Val};

const TABLES: &str = r#"
(module
  (type $v (func (result i32)))
  (table $t i64 4 10 funcref)
  (table $u i64 2 externref)
  (table $small 3 funcref)
  (func $one (type $v) (i32.const 1))
  (func $two (type $v) (i32.const 2))
  (elem (table $t) (i64.const 1) func $one $two)
  (elem $later func $two $one)
  (func (export "call") (param i64) (result i32)
    (call_indirect $t (type $v) (local.get 0)))
  (func (export "size") (result i64) (table.size $t))
  (func (export "grow") (param i64) (result i64)
    (table.grow $t (ref.null func) (local.get 0)))
  (func (export "fill") (param i64 i64)
    (table.fill $t (local.get 0) (ref.func $two) (local.get 1)))
  (func (export "copy") (param i64 i64 i64)
    (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_from_small") (param i64 i32 i32)
    (table.copy $t $small (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i64 i32 i32)
    (table.init $t $later (local.get 0) (local.get 1) (local.get 2)))
  (func (export "is_null") (param i64) (result i32)
    (ref.is_null (table.get $t (local.get 0))))
  (func (export "set_extern") (param i64 externref)
    (table.set $u (local.get 0) (local.get 1)))
  (func (export "get_extern") (param i64) (result externref)
    (table.get $u (local.get 0)))
  (func (export "small_size") (result i32) (table.size $small))
)"#;

#[test]
fn table64_operators_take_and_give_i64() {
    let wasm = wat::parse_str(TABLES).unwrap();
    let so = sowa_compiler::compile(&wasm, &Default::default()).unwrap();
    let module = Module::from_bytes(&so).unwrap();
    let store = Store::default();
    let i = Linker::new().instantiate(&store, &module).unwrap();
    let call = |name: &str, args: &[Val]| i.get_func(name).unwrap().call(args);
    let ok = |name: &str, args: &[Val]| call(name, args).unwrap();
    let trap = |name: &str, args: &[Val]| call(name, args).unwrap_err().kind();

    assert_eq!(ok("call", &[Val::I64(1)]), [Val::I32(1)]);
    assert_eq!(ok("call", &[Val::I64(2)]), [Val::I32(2)]);
    assert_eq!(
        trap("call", &[Val::I64(0)]),
        Some(TrapKind::UninitializedElement)
    );
    // 2^32 + 1 must not wrap to 1.
    let wrapped = Val::I64((1 << 32) + 1);
    assert_eq!(trap("call", &[wrapped]), Some(TrapKind::UndefinedElement));
    assert_eq!(
        trap("is_null", &[wrapped]),
        Some(TrapKind::TableOutOfBounds)
    );

    assert_eq!(ok("size", &[]), [Val::I64(4)]);
    assert_eq!(ok("grow", &[Val::I64(3)]), [Val::I64(4)]);
    assert_eq!(
        ok("grow", &[Val::I64(4)]),
        [Val::I64(-1)],
        "past the maximum of 10"
    );
    assert_eq!(ok("grow", &[Val::I64(1 << 33)]), [Val::I64(-1)]);
    assert_eq!(ok("size", &[]), [Val::I64(7)]);

    ok("fill", &[Val::I64(5), Val::I64(2)]);
    assert_eq!(ok("call", &[Val::I64(6)]), [Val::I32(2)]);
    assert_eq!(
        trap("fill", &[Val::I64(6), Val::I64(2)]),
        Some(TrapKind::TableOutOfBounds)
    );
    ok("copy", &[Val::I64(3), Val::I64(1), Val::I64(2)]);
    assert_eq!(ok("call", &[Val::I64(3)]), [Val::I32(1)]);
    assert_eq!(ok("call", &[Val::I64(4)]), [Val::I32(2)]);
    assert_eq!(
        trap("copy", &[Val::I64(0), Val::I64(1 << 32), Val::I64(1)]),
        Some(TrapKind::TableOutOfBounds)
    );
    // Between a 32-bit and a 64-bit table the length is an i32.
    ok("copy_from_small", &[Val::I64(0), Val::I32(0), Val::I32(1)]);
    assert_eq!(ok("is_null", &[Val::I64(0)]), [Val::I32(1)]);
    ok("init", &[Val::I64(0), Val::I32(0), Val::I32(2)]);
    assert_eq!(ok("call", &[Val::I64(0)]), [Val::I32(2)]);
    assert_eq!(ok("call", &[Val::I64(1)]), [Val::I32(1)]);

    ok(
        "set_extern",
        &[Val::I64(1), Val::ExternRef(Some(ExternRef::Host(42)))],
    );
    assert_eq!(
        ok("get_extern", &[Val::I64(1)]),
        [Val::ExternRef(Some(ExternRef::Host(42)))]
    );
    assert_eq!(ok("small_size", &[]), [Val::I32(3)]);

    // The embedding API reports the index type.
    let t = module.info().tables[0].ty;
    assert_eq!(t.to_string(), "i64 4 10 funcref");
    assert!(t.table64 && !TableType::new(t.elem, 1, None).table64);
}
