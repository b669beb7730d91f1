package procfs

import "golang.org/x/sys/unix"

func lookup(root int, sub string) (int, error) {
	return unix.Openat2(root, sub, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_MAGICLINKS, // expect: resolve = RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV
	})
}
