; id: openat2-resolve-no-xdev
; title: openat2 resolving with RESOLVE_NO_XDEV
; description: An openat2 open_how whose resolve flags include RESOLVE_NO_XDEV: an OpenHow
; description: composite literal, an assignment to a Resolve field, or a flag variable extended
; description: with |=. Such a lookup fails with EXDEV ("invalid cross-device link") when the path
; description: crosses a mount point, e.g. a FUSE file bind-mounted over /proc/sys.
; description: For the |= form the fact lists the flags that statement adds.
; category: procfs
; references: https://man7.org/linux/man-pages/man2/openat2.2.html, https://github.com/opencontainers/runc/releases/tag/v1.3.3
; facts: resolve
; fact-filter: resolve = RESOLVE_*
; requires: RESOLVE_NO_XDEV

((composite_literal
   type: (_) @type
   body: (literal_value
     (keyed_element
       key: (literal_element (identifier) @key)
       value: (literal_element) @resolve))) @match
 (#match? @type "OpenHow$")
 (#eq? @key "Resolve")
 (#match? @resolve "RESOLVE_NO_XDEV"))

((assignment_statement
   left: (expression_list (selector_expression field: (field_identifier) @key))
   right: (expression_list) @resolve) @match
 (#eq? @key "Resolve")
 (#match? @resolve "RESOLVE_NO_XDEV"))

((assignment_statement
   operator: "|="
   right: (expression_list) @resolve) @match
 (#match? @resolve "RESOLVE_NO_XDEV"))
