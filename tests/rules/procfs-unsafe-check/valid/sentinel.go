package procfs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

const (
	procSuperMagic = 0x9fa0
	procRootIno    = 1
)

var errUnsafeProcfs = errors.New("unsafe procfs detected") // expect: sentinel = errUnsafeProcfs

func verify(fd int) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return err
	}
	if st.Type != procSuperMagic { // expect: check = procSuperMagic
		return fmt.Errorf("%w: wrong filesystem type 0x%x", errUnsafeProcfs, st.Type)
	}
	return nil
}

func overmount(expectedMountID, gotMountID uint64) error {
	if expectedMountID != gotMountID { // expect: check = expectedMountID
		return fmt.Errorf("%w: overmount", errUnsafeProcfs)
	}
	return nil
}
