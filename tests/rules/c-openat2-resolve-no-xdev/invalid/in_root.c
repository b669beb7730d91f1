/* openat2 that may cross mounts: RESOLVE_IN_ROOT only; RESOLVE_NO_XDEV named in a comment. */
int
open_in_rootfs (int rootfd, const char *path, int flags)
{
  return syscall_openat2 (rootfd, path, flags, 0, RESOLVE_IN_ROOT);
}

static const char *help = "RESOLVE_NO_XDEV is not used here";
