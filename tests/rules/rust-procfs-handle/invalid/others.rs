fn others() -> Result<()> {
    let f = File::open("/proc")?;
    let t = fsopen("tmpfs", FsOpenFlags::FSOPEN_CLOEXEC)?;
    let h = Handle::new()?;
    Ok(())
}
