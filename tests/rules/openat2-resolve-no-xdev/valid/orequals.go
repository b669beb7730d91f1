package cgroups

import "golang.org/x/sys/unix"

func open(dir string, strict bool) (int, error) {
	flags := uint64(unix.RESOLVE_BENEATH)
	if strict {
		flags |= unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_SYMLINKS // expect: resolve = RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV
	}
	return unix.Openat2(-1, dir, &unix.OpenHow{Resolve: flags})
}
