; id: seccomp-openat2-handler
; title: handlers of a trapped openat2
; description: Functions and methods that handle an openat2 syscall trapped with seccomp notify:
; description: process/handle/emulate + openat2 in their name, including the request handlers
; description: that open the file on the trapped process's behalf.
; category: seccomp
; references: https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html
; facts: handler
; requires: penat2

((method_declaration name: (field_identifier) @handler) @match
 (#match? @handler "(?i)^(process|handle|emulate|trap)\\w*openat2"))

((function_declaration name: (identifier) @handler) @match
 (#match? @handler "(?i)^(process|handle|emulate|trap)\\w*openat2"))
