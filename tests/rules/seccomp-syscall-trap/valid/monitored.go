package seccomp

var monitoredSyscalls = []string{ // expect: syscalls = mount, openat2, umount2
	"openat2",
	"mount",
	"umount2",
}
