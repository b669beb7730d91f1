//! archeo-full: every command of archeo (see src/cli/front.rs: `archeo` runs `search` itself
//! and hands the others here).

/// Every Rust allocation of archeo-full (the binary that indexes) goes through mimalloc:
/// indexing allocates and frees many short-lived buffers of every size (blob texts, extracted
/// names, postings, records) beside tree-sitter's own (which stay with the C library's
/// malloc), and with glibc's malloc for both the index ran ~1.25x its parse floor against
/// ~1.14x with this (docs/development.md, "Index towards its floor"). `archeo` itself keeps
/// the C library's allocator: its start is what it is measured by.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(archeo::cli::front::main_full());
}
