// Sysctls written through a procfs handle, and with std.
fn sysctl(params: &HashMap<String, String>) -> Result<()> {
    let procfs = ProcfsHandleBuilder::new().unmasked().build()?;
    for (key, value) in params {
        let subpath = PathBuf::from("sys").join(key.replace('.', "/"));
        let mut f = procfs.open(ProcfsBase::ProcRoot, subpath, OpenFlags::O_WRONLY | OpenFlags::O_CLOEXEC)?; // expect: flags = O_CLOEXEC, O_WRONLY
        f.write_all(value.as_bytes())?;
    }
    Ok(())
}

fn allow_low_ports() -> std::io::Result<()> {
    std::fs::write("/proc/sys/net/ipv4/ip_unprivileged_port_start", "0")
}
