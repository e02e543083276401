//! GC programs through the `sowa` runner, on x86-64 and on aarch64 under qemu (see `common`):
//! the collector's roots in wasm frames (stack maps) and its heap limit (`--max-memory`),
//! where the code runs on the device. The embedding API's roots are tested in the runtime's
//! `tests/gc.rs`.

mod common;
use common::*;

/// Binary trees: `run depth iterations` builds one tree that lives throughout and
/// `iterations` more that die at once, and returns the number of nodes it checked.
const TREES: &str = r#"
(module
  (type $node (struct (field $l (ref null $node)) (field $r (ref null $node))))
  (func $make (param $d i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $d))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else (struct.new $node
        (call $make (i32.sub (local.get $d) (i32.const 1)))
        (call $make (i32.sub (local.get $d) (i32.const 1)))))))
  (func $check (param $n (ref null $node)) (result i32)
    (if (result i32) (ref.is_null (struct.get $node $l (local.get $n)))
      (then (i32.const 1))
      (else (i32.add (i32.const 1)
        (i32.add (call $check (struct.get $node $l (local.get $n)))
                 (call $check (struct.get $node $r (local.get $n))))))))
  (func (export "run") (param $depth i32) (param $iters i32) (result i32)
    (local $long (ref null $node)) (local $sum i32) (local $i i32)
    (local.set $long (call $make (local.get $depth)))
    (loop $l
      (local.set $sum (i32.add (local.get $sum) (call $check (call $make (local.get $depth)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $iters))))
    (i32.add (local.get $sum) (call $check (local.get $long)))))
"#;

/// `sowa run --max-memory max --invoke run trees.so depth iterations`.
fn trees(max: &str, depth: &str, iterations: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let so = compile_wat(dir.path(), "trees", TREES);
    let a = [
        "run",
        "--max-memory",
        max,
        "--invoke",
        "run",
        so.to_str().unwrap(),
        depth,
        iterations,
    ];
    let o = sowa(&a);
    drop(dir);
    o
}

#[test]
fn trees_that_die_are_collected_within_the_memory_limit() {
    // A depth-14 tree is 32,767 nodes of 32 bytes, 1 MiB: 31 of them need 32 MiB without a
    // collector, and two at a time with one.
    let o = trees("4MiB", "14", "30");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), (31 * 32767).to_string());
}

#[test]
fn trees_alive_beyond_the_memory_limit_trap() {
    // The long-lived tree alone (a depth-17 tree is 4 MiB) is more than the limit.
    let o = trees("2MiB", "17", "1");
    assert_eq!(o.status.code(), Some(134), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("GC heap out of memory"),
        "{}",
        stderr(&o)
    );
}
