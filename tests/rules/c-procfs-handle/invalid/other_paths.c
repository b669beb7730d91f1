int
open_things (void)
{
  int a = open ("/proc/self/status", O_RDONLY);
  int b = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  int c = proc_count ("proc");
  return a + b + c;
}
