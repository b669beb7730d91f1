; id: docker-run-sysbox-runtime
; title: a container started with the Sysbox runtime from a script
; description: A `docker` command line in a shell script that selects sysbox-runc with
; description: --runtime (`--runtime=sysbox-runc` or `--runtime sysbox-runc`, quoted or not):
; description: where a tool starts containers under Sysbox, whose procfs emulation is what runc
; description: 1.3.3's openat2(RESOLVE_NO_XDEV) check on /proc/sys rejects.
; category: runtime
; references: https://github.com/nestybox/sysbox/blob/master/docs/user-guide/install-package.md
; facts: runtime
; requires: sysbox-runc

; docker run --runtime=sysbox-runc IMAGE (the flag and value one word, maybe quoted)
((command
   name: (command_name) @cmd
   argument: [(word) (string) (raw_string) (concatenation)] @runtime) @match
 (#eq? @cmd "docker")
 (#match? @runtime "^[\"']?--runtime=[\"']?sysbox-runc[\"']?$"))

; docker run --runtime sysbox-runc IMAGE (flag and value two words)
((command
   name: (command_name) @cmd
   argument: (word) @flag
   .
   argument: [(word) (string) (raw_string)] @runtime) @match
 (#eq? @cmd "docker")
 (#eq? @flag "--runtime")
 (#match? @runtime "^[\"']?sysbox-runc[\"']?$"))
