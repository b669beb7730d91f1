/* A hand-written case: an openat2 wrapper that refuses to cross mounts. */
#include <linux/openat2.h>

static int
open_no_xdev (int dirfd, const char *path)
{
  struct open_how how = {
    .flags = O_WRONLY | O_CLOEXEC,
    .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS, // expect: resolve = RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV
  };
  return syscall (__NR_openat2, dirfd, path, &how, sizeof (how));
}

static void
harden (struct open_how *how)
{
  how->resolve |= RESOLVE_NO_XDEV; // expect: resolve = RESOLVE_NO_XDEV
}
