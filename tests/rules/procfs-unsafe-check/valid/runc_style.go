package libct

import "golang.org/x/sys/unix"

const procRootIno = 1

func isProcRoot(fs *unix.Statfs_t, st *unix.Stat_t) bool {
	if fs.Type == unix.PROC_SUPER_MAGIC { // expect: check = PROC_SUPER_MAGIC
		return st.Ino == procRootIno
	}
	return false
}
