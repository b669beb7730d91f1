int
open_sysctl (int procfd, const char *name)
{
  return safe_openat2 (procfd, name, O_WRONLY, 0, RESOLVE_BENEATH | RESOLVE_NO_XDEV); // expect: resolve = RESOLVE_BENEATH, RESOLVE_NO_XDEV
}
