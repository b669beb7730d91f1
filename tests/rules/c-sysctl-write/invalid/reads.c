/* Reading a sysctl, and writing somewhere else, are not sysctl writes. */
int
read_cap_last_cap (struct runtime *rt, error_t *err)
{
  int fd = runtime_open_proc_file (rt, "sys/kernel/cap_last_cap", O_RDONLY, err);
  int out = open ("/run/state.json", O_WRONLY | O_CREAT, 0600);
  FILE *f = fopen ("/proc/sys/kernel/overflowuid", "r");
  return fd + out + (f != NULL);
}
