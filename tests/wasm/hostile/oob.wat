;; Hostile: accesses aimed just past the end of linear memory and at address arithmetic
;; that would wrap in 32 bits (effective address = i32 operand + offset, computed in 33+
;; bits, Wasm 2.0 §4.4.7). Each must trap "out of bounds memory access" and touch nothing.
(module
  (memory (export "mem") 1 1)
  (func (export "load_wrap") (result i64)
    (i64.load offset=0xffffffff (i32.const 0xffffffff)))
  (func (export "load_edge") (result i32)
    (i32.load (i32.const 65533)))
  (func (export "store_edge")
    (i64.store (i32.const 65529) (i64.const -1)))
  (func (export "fill_huge")
    (memory.fill (i32.const 1) (i32.const 0xcc) (i32.const 0xffffffff)))
  (func (export "copy_wrap")
    (memory.copy (i32.const 0xfffffff0) (i32.const 0) (i32.const 0x20)))
  (func (export "init_past")
    (memory.init 0 (i32.const 65535) (i32.const 0) (i32.const 2)))
  (func (export "byte") (param i32) (result i32)
    (i32.load8_u (local.get 0)))
  (data "xy"))
