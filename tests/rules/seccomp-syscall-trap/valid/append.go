package syscont

var syscallTrapList = []string{"mount"}

func addTraps() {
	syscallTrapList = append(syscallTrapList, []string{"openat2", "reboot"}...) // expect: syscalls = openat2, reboot
}
