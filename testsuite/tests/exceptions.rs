//! Exceptions through several frames and instances, checked against expected values and
//! against Wasmtime running the same modules: tags are per instance (two instances of one
//! module throw different tags), imported tags are the exporter's, handlers see the values,
//! `throw_ref` rethrows, and an exception no handler takes reaches the host as an error naming
//! the function that threw.

use sowa_runtime::{Linker, Module, Store, TrapReason, Val};

/// Defines and exports a tag; throws it from `depth` frames down.
const THROWER: &str = r#"
(module
  (tag $e (export "e") (param i32 i64))
  (tag $private (param f64))
  (func $down (param $n i32)
    (if (i32.eqz (local.get $n))
      (then (throw $e (i32.const 7) (i64.const -3))))
    (call $down (i32.sub (local.get $n) (i32.const 1))))
  (func $throw_deep (export "throw_deep") (param $n i32) (call $down (local.get $n)))
  (func $throw_private (export "throw_private") (throw $private (f64.const 1.5)))
  ;; Catches its own tag, in the same function and from a callee.
  (func (export "catch_own") (param $n i32) (result i64)
    (local $b i64)
    (block $h (result i32 i64)
      (try_table (catch $e $h) (call $throw_deep (local.get $n)))
      (return (i64.const -1)))
    (local.set $b)
    (i64.extend_i32_u)
    (local.get $b)
    (i64.add))
)"#;

/// Imports the tag and the throwing functions of one instance, and catches them.
const CATCHER: &str = r#"
(module
  (import "t" "e" (tag $e (param i32 i64)))
  (import "t" "throw_deep" (func $throw_deep (param i32)))
  (import "t" "throw_private" (func $throw_private))
  (import "other" "throw_deep" (func $other_deep (param i32)))
  ;; 1: caught as $e (values 7 and -3); 2: caught by catch_all; 0: nothing thrown.
  (func (export "classify") (param $which i32) (result i32)
    (block $all
      (block $mine (result i32 i64)
        (try_table (catch $e $mine) (catch_all $all)
          (if (i32.eq (local.get $which) (i32.const 1))
            (then (call $throw_deep (i32.const 5))))
          (if (i32.eq (local.get $which) (i32.const 2))
            (then (call $throw_private)))
          (if (i32.eq (local.get $which) (i32.const 3))
            (then (call $other_deep (i32.const 2)))))
        (return (i32.const 0)))
      (drop)
      (drop)
      (return (i32.const 1)))
    (i32.const 2))
  ;; Catches with the reference, rethrows it to an outer handler in the same function,
  ;; which reads the values.
  (func (export "rethrow") (result i64)
    (local $v i64)
    (block $outer (result i32 i64)
      (try_table (catch $e $outer)
        (block $inner (result exnref)
          (try_table (catch_all_ref $inner) (call $throw_deep (i32.const 3)))
          (return (i64.const -1)))
        (throw_ref))
      (return (i64.const -2)))
    (local.set $v)
    (drop)
    (i64.sub (i64.const 0) (local.get $v)))
  (func (export "uncaught") (call $throw_private))
)"#;

fn sowa_module(wat: &str) -> Module {
    let wasm = wat::parse_str(wat).unwrap();
    Module::from_bytes(&sowa_compiler::compile(&wasm, &Default::default()).unwrap()).unwrap()
}

#[test]
fn exceptions_cross_frames_and_instances() {
    let store = Store::default();
    let thrower = sowa_module(THROWER);
    let t1 = Linker::new().instantiate(&store, &thrower).unwrap();
    let t2 = Linker::new().instantiate(&store, &thrower).unwrap();
    let mut l = Linker::new();
    l.instance("t", &t1);
    l.instance("other", &t2);
    let c = l.instantiate(&store, &sowa_module(CATCHER)).unwrap();
    let call =
        |i: &sowa_runtime::Instance, name: &str, args: &[Val]| i.get_func(name).unwrap().call(args);

    // 7 + (-3), through 4 frames of recursion.
    assert_eq!(
        call(&t1, "catch_own", &[Val::I32(3)]).unwrap(),
        [Val::I64(4)]
    );
    assert_eq!(call(&c, "classify", &[Val::I32(0)]).unwrap(), [Val::I32(0)]);
    assert_eq!(call(&c, "classify", &[Val::I32(1)]).unwrap(), [Val::I32(1)]);
    assert_eq!(call(&c, "classify", &[Val::I32(2)]).unwrap(), [Val::I32(2)]);
    // The other instance's tag is another tag: only catch_all takes it.
    assert_eq!(call(&c, "classify", &[Val::I32(3)]).unwrap(), [Val::I32(2)]);
    // Caught by reference, thrown again, caught outside with its values: 3 = 0 - (-3).
    assert_eq!(call(&c, "rethrow", &[]).unwrap(), [Val::I64(3)]);

    // No handler: the host gets the exception as an error, with the function that threw.
    let err = call(&c, "uncaught", &[]).unwrap_err();
    assert!(matches!(err.reason, TrapReason::Exception(_)), "{err}");
    assert_eq!(err.func.as_deref(), Some("throw_private"), "{err}");
    assert!(err.wasm_offset.is_some());
    assert!(err.to_string().starts_with("uncaught exception"), "{err}");
    // The store is usable after it, and the instances too.
    assert_eq!(call(&c, "classify", &[Val::I32(1)]).unwrap(), [Val::I32(1)]);
}

#[test]
fn wasmtime_agrees() {
    use wasmtime::{Engine, Instance, Store};
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let load = |wat: &str| wasmtime::Module::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
    let thrower = load(THROWER);
    let t1 = Instance::new(&mut store, &thrower, &[]).unwrap();
    let t2 = Instance::new(&mut store, &thrower, &[]).unwrap();
    let e = t1.get_export(&mut store, "e").unwrap();
    let d1 = t1.get_export(&mut store, "throw_deep").unwrap();
    let p1 = t1.get_export(&mut store, "throw_private").unwrap();
    let d2 = t2.get_export(&mut store, "throw_deep").unwrap();
    let c = Instance::new(&mut store, &load(CATCHER), &[e, d1, p1, d2]).unwrap();
    let classify = c
        .get_typed_func::<i32, i32>(&mut store, "classify")
        .unwrap();
    for (which, want) in [(0, 0), (1, 1), (2, 2), (3, 2)] {
        assert_eq!(
            classify.call(&mut store, which).unwrap(),
            want,
            "classify {which}"
        );
    }
    let rethrow = c.get_typed_func::<(), i64>(&mut store, "rethrow").unwrap();
    assert_eq!(rethrow.call(&mut store, ()).unwrap(), 3);
    let own = t1
        .get_typed_func::<i32, i64>(&mut store, "catch_own")
        .unwrap();
    assert_eq!(own.call(&mut store, 3).unwrap(), 4);
    let uncaught = c.get_typed_func::<(), ()>(&mut store, "uncaught").unwrap();
    assert!(uncaught.call(&mut store, ()).is_err());
}
