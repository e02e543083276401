//! The collector against programs whose answers depend on it: objects reachable only from
//! each kind of root survive collections that free everything else, and a heap whose live
//! objects exceed its limit traps instead of growing.

use sowa_runtime::{AnyKind, Func, FuncType, Linker, Module, Store, StoreLimits, TrapKind, Val};
use std::cell::RefCell;
use std::rc::Rc;

fn module(wat: &str) -> Module {
    let wasm = wat::parse_str(wat).unwrap();
    let so = sowa_compiler::compile(&wasm, &Default::default()).unwrap();
    Module::from_bytes(&so).unwrap()
}

fn small_heap(bytes: u64) -> Store {
    Store::new(StoreLimits {
        max_gc_heap: bytes,
        ..Default::default()
    })
}

/// A node type, a function that allocates `n` nodes of garbage, and a function that builds a
/// list of `n` nodes whose values are 1..=n and one that sums a list. Without stack maps the
/// first and fourth tests below fail (checked by turning them off in the compiler).
const NODES: &str = r#"
  (type $node (struct (field $v i32) (field $next (ref null $node))))
  (func $churn (export "churn") (param $n i32)
    (loop $l
      (drop (struct.new $node (local.get $n) (ref.null $node)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func $list (export "list") (param $n i32) (result (ref null $node))
    (local $head (ref null $node))
    (loop $l
      (local.set $head (struct.new $node (local.get $n) (local.get $head)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $head))
  (func $sum (export "sum") (param $l (ref null $node)) (result i32)
    (local $s i32) (local $steps i32)
    (block $done
      (loop $next
        (br_if $done (ref.is_null (local.get $l)))
        ;; A list damaged by a collector bug may be a cycle: a wrong sum, never a hang.
        (br_if $done (i32.gt_u (local.tee $steps (i32.add (local.get $steps) (i32.const 1)))
                               (i32.const 1000000)))
        (local.set $s (i32.add (local.get $s) (struct.get $node $v (local.get $l))))
        (local.set $l (struct.get $node $next (local.get $l)))
        (br $next)))
    (local.get $s))
"#;

/// 1 + 2 + ... + n.
fn triangle(n: i32) -> i32 {
    n * (n + 1) / 2
}

#[test]
fn a_list_in_a_local_survives_collections_that_free_the_garbage() {
    let m = module(&format!(
        r#"(module {NODES}
          (func (export "run") (result i32)
            (local $keep (ref null $node))
            (local.set $keep (call $list (i32.const 1000)))
            (call $churn (i32.const 200000))
            (call $sum (local.get $keep))))"#
    ));
    // 200,000 nodes of 32 bytes would take 6.4 MB: only collections keep them under 2 MiB.
    let store = small_heap(2 << 20);
    let i = Linker::new().instantiate(&store, &m).unwrap();
    let r = i.get_func("run").unwrap().call(&[]).unwrap();
    assert_eq!(r, [Val::I32(triangle(1000))]);
    let stats = store.gc_stats();
    assert!(stats.collections > 0, "{stats:?}");
    assert!(stats.peak_bytes <= 2 << 20, "{stats:?}");
}

#[test]
fn live_objects_beyond_the_limit_trap_and_the_store_goes_on() {
    let m = module(&format!(
        r#"(module {NODES}
          (func (export "hoard") (param i32) (result i32) (call $sum (call $list (local.get 0)))))"#
    ));
    let store = small_heap(1 << 20);
    let i = Linker::new().instantiate(&store, &m).unwrap();
    let hoard = i.get_func("hoard").unwrap();
    let trap = hoard.call(&[Val::I32(100_000)]).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::GcHeapExhausted));
    // The list died with the call: a smaller one fits again.
    assert_eq!(
        hoard.call(&[Val::I32(100)]).unwrap(),
        [Val::I32(triangle(100))]
    );
}

#[test]
fn objects_in_globals_tables_and_arrays_survive() {
    let m = module(&format!(
        r#"(module {NODES}
          (type $arr (array (mut (ref null $node))))
          (global $g (mut (ref null $node)) (ref.null $node))
          (table $t 1 (ref null $node))
          (global $a (mut (ref null $arr)) (ref.null $arr))
          (func (export "run") (result i32)
            (global.set $g (call $list (i32.const 10)))
            (table.set $t (i32.const 0) (call $list (i32.const 20)))
            (global.set $a (array.new $arr (call $list (i32.const 30)) (i32.const 3)))
            (array.set $arr (global.get $a) (i32.const 1) (call $list (i32.const 40)))
            (call $churn (i32.const 200000))
            (i32.add
              (i32.add (call $sum (global.get $g)) (call $sum (table.get $t (i32.const 0))))
              (i32.add (call $sum (array.get $arr (global.get $a) (i32.const 0)))
                       (call $sum (array.get $arr (global.get $a) (i32.const 1)))))))"#
    ));
    let store = small_heap(2 << 20);
    let i = Linker::new().instantiate(&store, &m).unwrap();
    let r = i.get_func("run").unwrap().call(&[]).unwrap();
    let want = triangle(10) + triangle(20) + triangle(30) + triangle(40);
    assert_eq!(r, [Val::I32(want)]);
    assert!(store.gc_stats().collections > 0);
}

#[test]
fn frames_of_wasm_that_called_the_host_that_called_wasm_are_roots() {
    let m = module(&format!(
        r#"(module
          (import "host" "reenter" (func $reenter))
          {NODES}
          (func (export "outer") (result i32)
            (local $keep (ref null $node))
            (local.set $keep (call $list (i32.const 500)))
            (call $reenter)
            (call $sum (local.get $keep))))"#
    ));
    let store = small_heap(2 << 20);
    let churn: Rc<RefCell<Option<Func>>> = Rc::default();
    let inner = churn.clone();
    let mut linker = Linker::new();
    linker.func_new("host", "reenter", FuncType::default(), move |_, _, _| {
        let f = inner.borrow().clone().expect("set after instantiation");
        f.call(&[Val::I32(200_000)])?;
        Ok(())
    });
    let i = linker.instantiate(&store, &m).unwrap();
    *churn.borrow_mut() = i.get_func("churn");
    let r = i.get_func("outer").unwrap().call(&[]).unwrap();
    assert_eq!(r, [Val::I32(triangle(500))]);
    assert!(store.gc_stats().collections > 0);
}

#[test]
fn references_the_host_holds_survive_and_store_gc_frees_the_rest() {
    let m = module(&format!("(module {NODES})"));
    let store = small_heap(2 << 20);
    let i = Linker::new().instantiate(&store, &m).unwrap();
    let list = i.get_func("list").unwrap().call(&[Val::I32(50)]).unwrap();
    let Val::AnyRef(Some(r)) = list[0] else {
        panic!("a list: {list:?}")
    };
    assert_eq!(r.kind(&store), Some(AnyKind::Struct));
    i.get_func("churn")
        .unwrap()
        .call(&[Val::I32(200_000)])
        .unwrap();
    let sum = i.get_func("sum").unwrap().call(&list).unwrap();
    assert_eq!(sum, [Val::I32(triangle(50))]);
    store.gc();
    // The 50 nodes the host holds, 32 bytes each, and nothing else.
    assert_eq!(store.gc_heap_bytes(), 50 * 32);
}
