;; Fuel determinism: a pseudo-random computation that records its progress in memory.
;; "work" runs n iterations of a xorshift generator, storing the iteration count at
;; address 0 and the state at address 8 on every round, so where fuel stops it is visible.
(module
  (memory (export "mem") 1)
  (func (export "work") (param $n i32) (result i64)
    (local $i i32) (local $x i64)
    (local.set $x (i64.const 0x2545F4914F6CDD1D))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
        (if (i64.eqz (i64.and (local.get $x) (i64.const 1)))
          (then (local.set $x (i64.add (local.get $x) (i64.const 3)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.const 0) (local.get $i))
        (i64.store (i32.const 8) (local.get $x))
        (br $l)))
    (local.get $x))
  ;; Bulk memory ops must be charged by length: one memory.fill over the whole memory
  ;; repeated many times.
  (func (export "fill") (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (memory.fill (i32.const 0) (i32.const 0xab) (i32.const 65536))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
  (func (export "progress") (result i32) (i32.load (i32.const 0))))
