; id: rust-sysctl-write
; title: Rust: a /proc/sys path opened for writing
; description: A procfs handle's `open(ProcfsBase::ProcRoot, path, ...)` with write flags (how libpathrs
; description: users write sysctls: `sys/net/ipv4/...` below the handle), or a file under /proc/sys
; description: written with std (`fs::write`, `File::create`, `OpenOptions`...): where a runtime writes
; description: sysctls, and with which flags.
; category: procfs
; references: https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#sysctl
; facts: flags
; fact-filter: flags = O_*
; requires: sys

; Each pattern stands alone: predicates hold for the captures of their own pattern.
((call_expression
   function: (field_expression field: (field_identifier) @m)
   arguments: (arguments) @flags) @match
 (#match? @m "^(open|open_follow)$")
 (#match? @flags "ProcRoot")
 (#match? @flags "O_WRONLY|O_RDWR"))

((call_expression
   function: (_) @fn
   arguments: (arguments) @flags) @match
 (#match? @fn "(^|::)(write|create)$")
 (#match? @flags "\"/proc/sys/"))
