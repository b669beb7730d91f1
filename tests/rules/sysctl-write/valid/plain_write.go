package libct

import (
	"os"
	"path"
	"strings"
)

func writeSystemProperty(key, value string) error {
	keyPath := strings.ReplaceAll(key, ".", "/")
	return os.WriteFile(path.Join("/proc/sys", keyPath), []byte(value), 0o644) // expect: callee = WriteFile
}
