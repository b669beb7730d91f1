/* A runtime that opens /proc/sys as a directory handle below its procfs fd, then writes. */
int
set_sysctls (struct runtime *rt, char **keys, char **values, size_t n, error_t *err)
{
  int dirfd = runtime_open_proc_file (rt, "sys", O_DIRECTORY | O_PATH, err); // expect: flags = O_DIRECTORY, O_PATH
  for (size_t i = 0; i < n; i++)
    {
      int fd = openat (dirfd, keys[i], O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        return make_error (err, errno, "open `/proc/sys/%s`", keys[i]);
      write (fd, values[i], strlen (values[i]));
    }
  return 0;
}
