; id: procfs-unsafe-check
; title: deciding that a procfs is unsafe or fake
; description: Code that decides a /proc is not a real, private procfs: the definition of the
; description: unsafe-procfs sentinel error, every place that wraps it, and the checks behind it:
; description: statfs f_type against PROC_SUPER_MAGIC, the root inode number, and mount ids.
; category: procfs
; references: https://github.com/cyphar/filepath-securejoin, https://man7.org/linux/man-pages/man5/proc.5.html
; facts: sentinel, check

; the sentinel: var errUnsafeProcfs = errors.New("unsafe procfs detected")
; requires: rocfs PROC_SUPER_MAGIC procSuperMagic RootIno ROOT_INO ountID
((var_spec
   name: (identifier) @sentinel
   value: (expression_list
     (call_expression arguments: (argument_list (interpreted_string_literal) @message)))) @match
 (#match? @message "(?i)(unsafe|fake) procfs"))

; wrapping it: fmt.Errorf("%w: ...", errUnsafeProcfs, ...), WrapBaseError(err, errUnsafeProcfs)
((call_expression
   arguments: (argument_list (identifier) @sentinel)) @match
 (#match? @sentinel "^err(Unsafe|Fake)Procfs$"))

; filesystem magic, root inode, mount id comparisons
((binary_expression
   operator: ["==" "!="]
   right: (_) @check) @match
 (#match? @check "(?i)^(unix\\.)?(PROC_SUPER_MAGIC|procSuperMagic|procRootIno|PROC_ROOT_INO)$"))

((binary_expression
   left: (identifier) @check
   operator: "!="
   right: (identifier) @other) @match
 (#match? @check "(?i)mountid$")
 (#match? @other "(?i)mountid$"))
