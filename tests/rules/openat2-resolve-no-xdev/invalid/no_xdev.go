package fs

import "golang.org/x/sys/unix"

const RESOLVE_NO_XDEV = 0x01

func open(root int, p string) (int, error) {
	// Strips RESOLVE_NO_XDEV rather than setting it.
	clean := uint64(RESOLVE_NO_XDEV) &^ RESOLVE_NO_XDEV
	return unix.Openat2(root, p, &unix.OpenHow{Resolve: unix.RESOLVE_BENEATH | clean})
}
