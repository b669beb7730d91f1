; id: c-procfs-handle
; title: C: how a procfs handle is obtained
; description: A fresh procfs instance (`fsopen ("proc", ...)`, no mounts over it), a detached
; description: copy of /proc (`open_tree (..., "/proc", ...)`), or /proc itself (`open ("/proc", ...)`,
; description: where anything mounted over /proc/sys is seen): the handle a runtime opens /proc/sys below.
; category: procfs
; references: https://man7.org/linux/man-pages/man2/fsopen.2.html, https://man7.org/linux/man-pages/man2/open_tree.2.html
; facts: callee, flags
; fact-filter: flags = *_*
; requires: proc

((call_expression
   function: (identifier) @callee
   arguments: (argument_list
     (string_literal (string_content) @path)) @flags) @match
 (#match? @callee "(?i)(fsopen|open_tree|^open$|^openat$|^__open)")
 (#match? @path "^(proc|/proc/?)$"))
