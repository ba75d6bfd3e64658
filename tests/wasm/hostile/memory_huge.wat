;; Hostile: asks for 65536 pages (4 GiB) of initial memory. Instantiation must fail with a
;; limit error instead of reserving that much.
(module
  (memory 65536)
  (func (export "f") (result i32) (i32.const 1)))
