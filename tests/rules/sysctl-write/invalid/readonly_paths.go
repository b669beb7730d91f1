package configs

var readonly = []string{"/proc/sys", "/proc/sysrq-trigger"}

func isMasked(p string) bool {
	return p == "/proc/sys"
}
