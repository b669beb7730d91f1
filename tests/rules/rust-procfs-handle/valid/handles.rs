fn handles() -> Result<()> {
    let cached = ProcfsHandle::new()?; // expect: how = ProcfsHandle
    let fresh = ProcfsHandleBuilder::new().unmasked().build()?; // expect: how = ProcfsHandleBuilder
    let sfd = syscalls::fsopen("proc", FsOpenFlags::FSOPEN_CLOEXEC)?;
    Ok(())
}
