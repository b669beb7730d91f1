fn main() {
    std::process::exit(archeo::cli::main());
}
