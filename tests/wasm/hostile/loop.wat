;; Hostile: an infinite loop with no exit. Must be stopped by fuel or by the wall-clock
;; deadline (epoch checked at loop back-edges), never hang the host.
(module
  (global $n (mut i64) (i64.const 0))
  (func (export "spin")
    (loop $l
      (global.set $n (i64.add (global.get $n) (i64.const 1)))
      (br $l)))
  ;; A tight loop with no body at all: the back-edge itself must be checked.
  (func (export "spin_empty")
    (loop $l (br $l)))
  (func (export "count") (result i64) (global.get $n)))
