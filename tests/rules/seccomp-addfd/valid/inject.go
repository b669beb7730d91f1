package seccomp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

type notifAddfd struct {
	id    uint64
	flags uint32
	srcfd uint32
}

func injectFd(notifFd int, id uint64, fd int) error {
	a := notifAddfd{id: id, srcfd: uint32(fd)}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(notifFd), uintptr(unix.SECCOMP_IOCTL_NOTIF_ADDFD), uintptr(unsafe.Pointer(&a))) // expect: ioctl = SECCOMP_IOCTL_NOTIF_ADDFD
	if errno != 0 {
		return errno
	}
	return nil
}
