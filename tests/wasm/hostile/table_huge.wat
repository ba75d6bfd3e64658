;; Hostile: a table whose initial size (100 million entries) exceeds any sane cap.
;; Instantiation must fail with a limit error instead of allocating it.
(module
  (table 100000000 funcref)
  (func (export "f") (result i32) (i32.const 1)))
