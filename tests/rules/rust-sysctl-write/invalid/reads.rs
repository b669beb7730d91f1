// Reads through the handle, and writes elsewhere, are not sysctl writes.
fn cgroups() -> Result<String> {
    let f = ProcfsHandle::new()?.open(ProcfsBase::ProcSelf, "cgroup", OpenFlags::O_RDONLY)?;
    std::fs::write("/run/youki/state.json", "{}")?;
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")?;
    Ok(last)
}
