;; A linked structure under churn: a ring of 100,000 records, each owning a byte array of 0 to
;; 63 bytes, replaced one at a time 4,000,000 times; each new record is linked from the one
;; half a ring older (an old object made to point at a young one, as caches and queues do),
;; and the oldest is read through the ring. `run` returns a checksum of what it read.
(module
  (type $bytes (array (mut i8)))
  (type $rec (struct (field $v i64) (field $next (mut (ref null $rec))) (field $data (ref $bytes))))
  (type $ring (array (mut (ref null $rec))))
  (func (export "run") (result i64)
    (local $ring (ref $ring)) (local $i i32) (local $slot i32) (local $r (ref $rec))
    (local $other (ref null $rec)) (local $sum i64)
    (local.set $ring (array.new_default $ring (i32.const 100000)))
    (loop $l
      (local.set $slot (i32.rem_u (local.get $i) (i32.const 100000)))
      (local.set $r (struct.new $rec
        (i64.extend_i32_u (local.get $i))
        (ref.null $rec)
        (array.new $bytes (local.get $i) (i32.and (local.get $i) (i32.const 63)))))
      (array.set $ring (local.get $ring) (local.get $slot) (local.get $r))
      (local.set $other (array.get $ring (local.get $ring)
        (i32.rem_u (i32.add (local.get $slot) (i32.const 50000)) (i32.const 100000))))
      (if (i32.eqz (ref.is_null (local.get $other)))
        (then (struct.set $rec $next (ref.as_non_null (local.get $other)) (local.get $r))))
      (local.set $other (array.get $ring (local.get $ring)
        (i32.rem_u (i32.add (local.get $slot) (i32.const 1)) (i32.const 100000))))
      (if (i32.eqz (ref.is_null (local.get $other)))
        (then (local.set $sum (i64.add (local.get $sum)
          (i64.add (struct.get $rec $v (ref.as_non_null (local.get $other)))
                   (i64.extend_i32_u (array.len (struct.get $rec $data (ref.as_non_null (local.get $other))))))))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (i32.const 4000000))))
    (local.get $sum)))
