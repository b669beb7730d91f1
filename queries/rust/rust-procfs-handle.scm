; id: rust-procfs-handle
; title: Rust: how a procfs handle is obtained
; description: libpathrs handles (`ProcfsHandle::new()`: a cached subset=pid procfs;
; description: `ProcfsHandleBuilder::new().unmasked().build()`: a fresh fsopen(2) procfs, else a
; description: detached open_tree(2) copy of /proc, else /proc itself), and raw `fsopen("proc")`,
; description: `open_tree(..., "/proc", ...)` calls: the handle a runtime opens /proc/sys below.
; category: procfs
; references: https://docs.rs/pathrs/latest/pathrs/procfs/struct.ProcfsHandleBuilder.html, https://man7.org/linux/man-pages/man2/fsopen.2.html
; facts: how
; requires: proc Procfs

; Each pattern stands alone: predicates hold for the captures of their own pattern.
((call_expression
   function: (scoped_identifier
     path: (identifier) @how
     name: (identifier) @new)) @match
 (#match? @how "^(ProcfsHandle|ProcfsHandleBuilder)$")
 (#eq? @new "new"))

((call_expression
   function: (_) @how
   arguments: (arguments (string_literal (string_content) @path))) @match
 (#match? @how "(^|::)(fsopen|open_tree)$")
 (#match? @path "^(proc|/proc/?)$"))
