; id: seccomp-syscall-trap
; title: syscalls trapped with seccomp notify
; description: Lists of syscalls a runtime traps with seccomp user notification, and additions
; description: to them (append(list, []string{...}...)). The fact lists the syscall names.
; category: seccomp
; references: https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html
; facts: syscalls
; requires: yscall

; var monitoredSyscalls = []string{"openat2", "mount", ...}
((var_spec
   name: (identifier) @name
   value: (expression_list (composite_literal type: (slice_type) body: (literal_value) @syscalls))) @match
 (#match? @name "(?i)(monitor|trap|notif|intercept).*syscall|syscall.*(trap|notif|monitor)"))

; syscallTrapList = append(syscallTrapList, []string{"openat2"}...)
((assignment_statement
   left: (expression_list (identifier) @name)
   right: (expression_list
     (call_expression
       function: (identifier) @fn
       arguments: (argument_list
         (variadic_argument (composite_literal body: (literal_value) @syscalls)))))) @match
 (#eq? @fn "append")
 (#match? @name "(?i)(monitor|trap|notif|intercept).*syscall|syscall.*(trap|notif|monitor)"))

((assignment_statement
   left: (expression_list (identifier) @name)
   right: (expression_list
     (call_expression
       function: (identifier) @fn
       arguments: (argument_list (interpreted_string_literal) @syscalls)))) @match
 (#eq? @fn "append")
 (#match? @name "(?i)(monitor|trap|notif|intercept).*syscall|syscall.*(trap|notif|monitor)"))
