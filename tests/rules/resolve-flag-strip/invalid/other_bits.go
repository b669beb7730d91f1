package mount

import "golang.org/x/sys/unix"

func rw(flags uintptr) uintptr {
	return flags &^ unix.MS_RDONLY
}
