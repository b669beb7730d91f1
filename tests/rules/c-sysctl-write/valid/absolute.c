int
allow_low_ports (void)
{
  FILE *f = fopen ("/proc/sys/net/ipv4/ip_unprivileged_port_start", "w"); // expect: callee = fopen
  int fd = open ("/proc/sys/kernel/domainname", O_WRONLY); // expect: flags = O_WRONLY
  return f && fd >= 0;
}
