; id: rust-openat2-resolve-no-xdev
; title: Rust: openat2 resolving with RESOLVE_NO_XDEV
; description: Resolve flags holding RESOLVE_NO_XDEV (`libc::RESOLVE_NO_XDEV`,
; description: `ResolveFlags::NO_XDEV`) bound with `let`, set as a struct field (`OpenHow { resolve: ... }`)
; description: or passed to a call: openat2 lookups that fail with EXDEV when the path crosses a mount,
; description: a FUSE file system mounted over /proc/sys included.
; category: procfs
; references: https://man7.org/linux/man-pages/man2/openat2.2.html
; facts: resolve
; fact-filter: resolve = *RESOLVE_*
; requires: NO_XDEV

; Each pattern stands alone: predicates hold for the captures of their own pattern.
((let_declaration value: (binary_expression) @resolve) @match
 (#match? @resolve "(RESOLVE_NO_XDEV|ResolveFlags::NO_XDEV)"))

((field_initializer
   field: (field_identifier) @key
   value: (_) @resolve) @match
 (#eq? @key "resolve")
 (#match? @resolve "(RESOLVE_NO_XDEV|NO_XDEV)"))

((call_expression
   function: [(identifier) (scoped_identifier)] @fn
   arguments: (arguments) @resolve) @match
 (#match? @fn "openat2")
 (#match? @resolve "(RESOLVE_NO_XDEV|NO_XDEV)"))
