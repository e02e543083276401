;; Small functions over all four number types, multi-value and bulk memory, for --invoke tests.
(module
  (memory (export "memory") 1 4)
  (func (export "add_i64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mul_f64") (param f64 f64) (result f64) (f64.mul (local.get 0) (local.get 1)))
  (func (export "sqrt_f32") (param f32) (result f32) (f32.sqrt (local.get 0)))
  (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill_sum") (param i32) (result i32)
    (local $i i32) (local $s i32)
    (memory.fill (i32.const 0) (local.get 0) (i32.const 100))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.const 100)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func (export "sat") (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0)))
  (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
)
