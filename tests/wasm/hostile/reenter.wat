;; Hostile: unbounded recursion through the host. "go" calls the host import, whose
;; callback calls "go" again on the same instance (uw_call_instance), and so on. Every
;; re-entry also nests host C frames, so the engine's call-depth limit must stop it before
;; the host's own (C) stack runs out.
(module
  (import "env" "reenter" (func $reenter (param i32) (result i32)))
  (func (export "go") (param $n i32) (result i32)
    (call $reenter (i32.add (local.get $n) (i32.const 1)))))
