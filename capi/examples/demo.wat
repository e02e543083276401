;; The module capi/examples/host.c embeds: it calls a host function with a string in its
;; memory, adds, divides (and so can trap), and spins until its deadline stops it.
(module
  (import "host" "print" (func $print (param i32 i32)))
  (import "host" "fail" (func $fail (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wasm")
  (func (export "greet") (call $print (i32.const 16) (i32.const 15)))
  (func (export "add") (param i64 f64) (result f64)
    (f64.add (f64.convert_i64_s (local.get 0)) (local.get 1)))
  (func $div (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "ask_host") (param i32) (result i32) (call $fail (local.get 0)))
  (func $spin (export "spin") (loop $l (br $l))))
