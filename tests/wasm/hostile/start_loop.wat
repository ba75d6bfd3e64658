;; Hostile: the start function never returns, so instantiation itself must be bounded.
(module
  (func $start (loop $l (br $l)))
  (start $start))
