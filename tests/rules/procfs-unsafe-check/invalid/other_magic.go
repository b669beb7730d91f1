package fs

import (
	"errors"

	"golang.org/x/sys/unix"
)

var errNotTmpfs = errors.New("not a tmpfs")

func check(st *unix.Statfs_t) error {
	if st.Type != unix.TMPFS_MAGIC {
		return errNotTmpfs
	}
	return nil
}
