; id: sysctl-write
; title: writing a sysctl under /proc/sys
; description: Code that writes a sysctl value: a plain file write to a path built from
; description: "/proc/sys" (concatenation or path.Join), or an open through a procfs handle of
; description: "sys/" + key (the procfs-root style that goes through openat2 checks).
; category: procfs
; references: https://man7.org/linux/man-pages/man5/proc_sys.5.html
; facts: callee
; requires: /proc/sys "sys/

; os.WriteFile(path.Join("/proc/sys", key), ...)
((call_expression
   function: (_) @callee
   arguments: (argument_list
     (call_expression
       function: (selector_expression field: (field_identifier) @join)
       arguments: (argument_list . (interpreted_string_literal) @prefix)))) @match
 (#eq? @join "Join")
 (#match? @prefix "^\"/proc/sys/?\"$"))

; write(..., "/proc/sys/" + key, ...) and open(proc, "sys/"+key, ...)
((call_expression
   function: (_) @callee
   arguments: (argument_list
     (binary_expression left: (interpreted_string_literal) @prefix))) @match
 (#match? @prefix "^\"(/proc/sys/|sys/)"))

; path := "/proc/sys/" + key (written later through the variable)
((short_var_declaration
   right: (expression_list
     (binary_expression left: (interpreted_string_literal) @prefix))) @match
 (#match? @prefix "^\"/proc/sys/"))
