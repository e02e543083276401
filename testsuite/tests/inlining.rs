//! Inlining of small leaf functions (`compiler/src/inline.rs`): the same answers as the module
//! compiled with every call kept, on every kind of leaf (memory, traps, loops, several results,
//! floats, a leaf also exported and called through a table, a call inside a `try_table`), and
//! a trap inside an inlined leaf reported in the caller at the call's wasm offset.

use sowa_runtime::{Linker, Module, Store, TrapKind, Val};

const MODULE: &str = r#"
(module
  (type $bin (func (param i32 i32) (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $add $div)
  (tag $oops (param i32))
  (data (i32.const 16) "\01\02\03\04\05\06\07\08")
  (func $get (param i32) (result i32) (i32.load offset=16 (local.get 0)))
  (func $add (export "add") (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $div (type $bin) (i32.div_s (local.get 0) (local.get 1)))
  (func $sum_to (param i32) (result i32) (local i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get 1))
  (func $swap (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
  (func $hyp (param f64 f64) (result f64)
    (f64.sqrt (f64.add (f64.mul (local.get 0) (local.get 0)) (f64.mul (local.get 1) (local.get 1)))))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $twice_sq (param i32) (result i32) (call $sq (call $sq (local.get 0))))

  (func (export "mix") (param i32 i32) (result i32)
    (i32.add
      (i32.add (call $get (local.get 0)) (call $add (local.get 0) (local.get 1)))
      (i32.add (call $sum_to (local.get 1)) (call $twice_sq (local.get 1)))))
  (func $divide (export "divide") (param i32 i32) (result i32)
    (call $div (local.get 0) (local.get 1)))
  (func (export "swapped") (param i32 i64) (result i64)
    (call $swap (local.get 0) (local.get 1))
    (i64.extend_i32_s)
    (i64.add))
  (func (export "hyp") (param f64 f64) (result f64) (call $hyp (local.get 0) (local.get 1)))
  (func (export "indirect") (param i32 i32 i32) (result i32)
    (call_indirect (type $bin) (local.get 1) (local.get 2) (local.get 0)))
  (func (export "guarded") (param i32 i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $oops $caught)
        (if (i32.eqz (local.get 1)) (then (throw $oops (i32.const -1))))
        (return (call $div (local.get 0) (local.get 1))))
      (unreachable)))
)"#;

fn instance(inline: bool) -> (Store, sowa_runtime::Instance) {
    let wasm = wat::parse_str(MODULE).unwrap();
    let options = sowa_compiler::Options {
        inline,
        ..Default::default()
    };
    let so = sowa_compiler::compile(&wasm, &options).unwrap();
    let module = Module::from_bytes(&so).unwrap();
    let store = Store::default();
    let i = Linker::new().instantiate(&store, &module).unwrap();
    (store, i)
}

#[test]
fn inlined_leaves_give_the_answers_of_kept_calls() {
    let (_s1, inlined) = instance(true);
    let (_s2, kept) = instance(false);
    let calls: Vec<(&str, Vec<Val>)> = vec![
        ("mix", vec![Val::I32(0), Val::I32(10)]),
        ("mix", vec![Val::I32(3), Val::I32(-7)]),
        ("mix", vec![Val::I32(4), Val::I32(1000)]),
        ("divide", vec![Val::I32(-91), Val::I32(7)]),
        ("divide", vec![Val::I32(5), Val::I32(0)]),
        ("divide", vec![Val::I32(i32::MIN), Val::I32(-1)]),
        ("mix", vec![Val::I32(65530), Val::I32(1)]),
        ("swapped", vec![Val::I32(-5), Val::I64(1 << 40)]),
        (
            "hyp",
            vec![Val::F64(3.0f64.to_bits()), Val::F64(4.0f64.to_bits())],
        ),
        ("indirect", vec![Val::I32(0), Val::I32(2), Val::I32(40)]),
        ("indirect", vec![Val::I32(1), Val::I32(84), Val::I32(2)]),
        ("guarded", vec![Val::I32(84), Val::I32(2)]),
        ("guarded", vec![Val::I32(84), Val::I32(0)]),
    ];
    for (name, args) in calls {
        let a = inlined.get_func(name).unwrap().call(&args);
        let b = kept.get_func(name).unwrap().call(&args);
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}{args:?}"),
            (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "{name}{args:?}"),
            (a, b) => panic!("{name}{args:?}: {a:?} against {b:?}"),
        }
    }
    assert_eq!(
        inlined
            .get_func("guarded")
            .unwrap()
            .call(&[Val::I32(84), Val::I32(0)])
            .unwrap(),
        [Val::I32(-1)]
    );
}

#[test]
fn a_trap_in_an_inlined_leaf_is_reported_at_the_call() {
    let wasm = wat::parse_str(MODULE).unwrap();
    let (_s1, inlined) = instance(true);
    let (_s2, kept) = instance(false);
    let args = [Val::I32(1), Val::I32(0)];
    let t = inlined.get_func("divide").unwrap().call(&args).unwrap_err();
    let k = kept.get_func("divide").unwrap().call(&args).unwrap_err();
    assert_eq!(t.kind(), Some(TrapKind::IntegerDivideByZero));
    assert_eq!(k.kind(), Some(TrapKind::IntegerDivideByZero));
    // Kept: in `div`, at its `i32.div_s`. Inlined: in the export, at its `call $div`, which
    // comes later in the module and is a call instruction.
    assert_eq!(k.func.as_deref(), Some("div"));
    assert_eq!(t.func.as_deref(), Some("divide"));
    let (at_div, at_call) = (k.wasm_offset.unwrap(), t.wasm_offset.unwrap());
    assert!(at_call > at_div, "{at_call:#x} {at_div:#x}");
    assert_eq!(
        wasm[at_call as usize], 0x10,
        "the call instruction's opcode"
    );
}
