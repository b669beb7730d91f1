package libct

import "golang.org/x/sys/unix"

func openat2Retry(dir int, p string) (int, error) {
	return unix.Openat2(dir, p, &unix.OpenHow{})
}
