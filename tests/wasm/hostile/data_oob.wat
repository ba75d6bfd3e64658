;; Hostile: an active data segment placed at the very end of the 32-bit address space of a
;; one-page memory. Instantiation must trap "out of bounds memory access" (Wasm 2.0
;; §4.5.4 step 15), not write anywhere.
(module
  (memory 1)
  (data (i32.const 0xfffffff0) "0123456789abcdef0123456789abcdef"))
