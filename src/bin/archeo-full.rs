//! archeo-full: every command of archeo (see src/cli/front.rs: `archeo` runs `search` itself
//! and hands the others here).

fn main() {
    std::process::exit(archeo::cli::front::main_full());
}
