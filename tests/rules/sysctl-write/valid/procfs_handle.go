package sys

import (
	"io"
	"strings"

	"golang.org/x/sys/unix"
)

func WriteSysctls(proc handle, sysctls map[string]string) error {
	for key, value := range sysctls {
		f, err := openRoot(proc, "sys/"+strings.ReplaceAll(key, ".", "/"), unix.O_WRONLY|unix.O_TRUNC) // expect: callee = openRoot
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, value); err != nil {
			return err
		}
	}
	return nil
}
