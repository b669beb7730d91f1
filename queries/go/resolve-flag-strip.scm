; id: resolve-flag-strip
; title: clearing RESOLVE_* or O_PATH bits
; description: Expressions that clear RESOLVE_* resolution flags or O_PATH from a flag word:
; description: x &^ (A | B), x & ^A, x &^= A. The fact lists the cleared flags.
; category: seccomp
; references: https://go.dev/ref/spec#Arithmetic_operators
; facts: cleared
; fact-filter: cleared = {RESOLVE_*,O_PATH}
; requires: RESOLVE_ O_PATH

((binary_expression operator: "&^" right: (_) @cleared) @match
 (#match? @cleared "RESOLVE_|O_PATH"))

((binary_expression
   operator: "&"
   right: (unary_expression operator: "^" operand: (_) @cleared)) @match
 (#match? @cleared "RESOLVE_|O_PATH"))

((assignment_statement operator: "&^=" right: (_) @cleared) @match
 (#match? @cleared "RESOLVE_|O_PATH"))
