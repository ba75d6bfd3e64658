;; Hostile: unbounded recursion. The call-depth limit must turn it into a
;; "call stack exhausted" trap (Wasm 2.0 §4.5.3 allows an implementation limit).
(module
  (func $down (export "down") (param $n i64) (result i64)
    (i64.add (call $down (i64.add (local.get $n) (i64.const 1))) (i64.const 1)))
  ;; The same with a large frame: many locals per activation.
  (func $fat (export "fat") (param $n i32) (result i32)
    (local f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64
           f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64
           i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (i32.add (call $fat (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  ;; Mutual recursion through call_indirect.
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $ping $pong)
  (func $ping (type $t) (call_indirect (type $t) (local.get 0) (i32.const 1)))
  (func $pong (type $t) (call_indirect (type $t) (local.get 0) (i32.const 0)))
  (func (export "indirect") (result i32) (call $ping (i32.const 0)))
  ;; Bounded recursion that must still succeed: depth 1000 is far below any sane limit.
  (func $sum (export "sum") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (local.get $n) (call $sum (i32.sub (local.get $n) (i32.const 1))))))))
