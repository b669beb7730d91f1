; id: c-openat2-resolve-no-xdev
; title: C: openat2 resolving with RESOLVE_NO_XDEV
; description: An open_how initialised or updated with RESOLVE_NO_XDEV (`.resolve = ...`,
; description: `how.resolve |= ...`), or an openat2 wrapper called with it: the lookup fails with
; description: EXDEV when the path crosses a mount, a FUSE file system mounted over /proc/sys included.
; category: procfs
; references: https://man7.org/linux/man-pages/man2/openat2.2.html
; facts: resolve
; fact-filter: resolve = RESOLVE_*
; requires: RESOLVE_NO_XDEV

; Each pattern stands alone: predicates hold for the captures of their own pattern.
((initializer_pair
   designator: (field_designator (field_identifier) @key)
   value: (_) @resolve) @match
 (#eq? @key "resolve")
 (#match? @resolve "RESOLVE_NO_XDEV"))

((assignment_expression
   left: (field_expression field: (field_identifier) @key)
   right: (_) @resolve) @match
 (#eq? @key "resolve")
 (#match? @resolve "RESOLVE_NO_XDEV"))

((call_expression
   function: (_) @fn
   arguments: (argument_list) @resolve) @match
 (#match? @fn "openat2")
 (#match? @resolve "RESOLVE_NO_XDEV"))
