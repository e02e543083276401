;; Binary trees (the Computer Language Benchmarks Game's, as GC benchmarks use it): a tree of
;; depth 16 that lives throughout, and trees of depths 4 to 16 built and checked in numbers
;; that make each depth's work equal; `run` returns the nodes checked.
(module
  (type $node (struct (field $l (ref null $node)) (field $r (ref null $node))))
  (func $make (param $d i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $d))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else (struct.new $node
        (call $make (i32.sub (local.get $d) (i32.const 1)))
        (call $make (i32.sub (local.get $d) (i32.const 1)))))))
  (func $check (param $n (ref $node)) (result i64)
    (local $l (ref null $node))
    (local.set $l (struct.get $node $l (local.get $n)))
    (if (result i64) (ref.is_null (local.get $l))
      (then (i64.const 1))
      (else (i64.add (i64.const 1)
        (i64.add (call $check (ref.as_non_null (local.get $l)))
                 (call $check (ref.as_non_null (struct.get $node $r (local.get $n)))))))))
  (func (export "run") (result i64)
    (local $long (ref null $node)) (local $sum i64) (local $d i32) (local $n i32)
    (local.set $long (call $make (i32.const 16)))
    (local.set $d (i32.const 4))
    (loop $depths
      ;; 2^(16 - d + 4) trees of depth d.
      (local.set $n (i32.shl (i32.const 1) (i32.sub (i32.const 20) (local.get $d))))
      (loop $trees
        (local.set $sum (i64.add (local.get $sum) (call $check (call $make (local.get $d)))))
        (br_if $trees (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (br_if $depths (i32.le_u (local.tee $d (i32.add (local.get $d) (i32.const 2)))
                               (i32.const 16))))
    (i64.add (local.get $sum) (call $check (ref.as_non_null (local.get $long))))))
