package fs

import "golang.org/x/sys/unix"

const RESOLVE_NO_XDEV = 0x01

func reopen(how *unix.OpenHow) {
	how.Resolve = RESOLVE_NO_XDEV // expect: resolve = RESOLVE_NO_XDEV
}
