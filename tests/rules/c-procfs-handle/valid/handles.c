/* Three ways to a procfs handle, freshest first. */
static int
open_proc (error_t *err)
{
  int fsfd = syscall_fsopen ("proc", FSOPEN_CLOEXEC); // expect: flags = FSOPEN_CLOEXEC
  if (fsfd >= 0)
    return syscall_fsmount (fsfd, FSMOUNT_CLOEXEC, 0);
  int tree = open_tree (AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC); // expect: callee = open_tree
  if (tree >= 0)
    return tree;
  return open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC); // expect: flags = O_CLOEXEC, O_DIRECTORY, O_PATH
}
