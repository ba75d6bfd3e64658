;; Hostile: grows linear memory one page at a time until memory.grow fails. The engine's
;; memory cap must make memory.grow return -1 (Wasm 2.0 §4.4.7: grow may fail) well before
;; the host runs out of memory. "grow_all" returns the number of pages it reached;
;; "grow_forever" ignores the failure and keeps trying, so only fuel/deadline stop it.
(module
  (memory (export "mem") 1)
  (func (export "grow_all") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $l)))
    (memory.size))
  (func (export "grow_big") (param $pages i32) (result i32)
    (memory.grow (local.get $pages)))
  (func (export "grow_forever")
    (loop $l
      (drop (memory.grow (i32.const 16)))
      (br $l)))
  ;; Touch the last byte of memory, so a grow that "succeeded" without backing would fault.
  (func (export "touch_end") (result i32)
    (local $a i32)
    (local.set $a (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)))
    (i32.store8 (local.get $a) (i32.const 0x5a))
    (i32.load8_u (local.get $a))))
