; id: seccomp-addfd
; title: injecting an fd with SECCOMP_IOCTL_NOTIF_ADDFD
; description: Uses of SECCOMP_IOCTL_NOTIF_ADDFD: installing a file descriptor opened by the
; description: supervisor into the trapped process, as the result of its syscall. Only uses
; description: through a package (unix.SECCOMP_IOCTL_NOTIF_ADDFD) count: the constant's own
; description: definitions in golang.org/x/sys are not uses.
; category: seccomp
; references: https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html
; facts: ioctl
; requires: SECCOMP_IOCTL_NOTIF_ADDFD

((selector_expression field: (field_identifier) @ioctl) @match
 (#eq? @ioctl "SECCOMP_IOCTL_NOTIF_ADDFD"))
