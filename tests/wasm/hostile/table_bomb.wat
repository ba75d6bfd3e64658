;; Hostile: grows a table until table.grow fails (returns -1, Wasm 2.0 §4.4.6), and asks
;; for one huge growth at once. The engine's table cap must refuse both.
(module
  (table $t (export "tab") 1 funcref)
  (func (export "grow_all") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (table.grow $t (ref.null func) (i32.const 1024)) (i32.const -1)))
        (br $l)))
    (table.size $t))
  (func (export "grow_big") (param $n i32) (result i32)
    (table.grow $t (ref.null func) (local.get $n))))
