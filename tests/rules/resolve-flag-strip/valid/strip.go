package seccomp

import "golang.org/x/sys/unix"

const (
	RESOLVE_NO_XDEV       = 0x01
	RESOLVE_NO_MAGICLINKS = 0x02
)

func clean(resolve uint64, flags int) (uint64, int) {
	r := resolve &^ (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS) // expect: cleared = RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV
	f := flags & ^unix.O_PATH // expect: cleared = O_PATH
	return r, f
}
