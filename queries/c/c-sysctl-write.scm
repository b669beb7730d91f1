; id: c-sysctl-write
; title: C: a /proc/sys path opened for writing
; description: An open-like call (open, openat, fopen, a runtime's own open_proc_file...) of a path
; description: under /proc/sys, or of `sys` (`sys/...`) below a procfs handle, with write or
; description: directory-handle flags (O_WRONLY, O_RDWR, O_PATH, "w"): where a runtime writes
; description: sysctls, and through which function and flags the path is opened.
; category: procfs
; references: https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#sysctl
; facts: callee, flags
; fact-filter: flags = O_*
; requires: sys

((call_expression
   function: (identifier) @callee
   arguments: (argument_list
     (string_literal (string_content) @path)) @flags) @match
 (#match? @callee "(?i)open")
 (#match? @path "^(/proc/sys|sys)(/|$)")
 (#match? @flags "O_WRONLY|O_RDWR|O_PATH|\"[wa]\\+?\""))
