// A hand-written case: a procfs resolver that refuses to cross mounts.
fn resolve_in_procfs(root: BorrowedFd<'_>, path: &Path, oflags: OpenFlags) -> io::Result<OwnedFd> {
    let rflags = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_XDEV | extra.bits(); // expect: resolve = RESOLVE_BENEATH, RESOLVE_NO_XDEV
    openat2(root, path, OpenHow { flags: oflags, resolve: rflags, ..Default::default() })
}

fn strict_how() -> OpenHow {
    OpenHow {
        flags: OFlags::RDONLY,
        resolve: ResolveFlags::NO_XDEV | ResolveFlags::BENEATH,
        ..Default::default()
    }
}
