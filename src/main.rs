fn main() {
    std::process::exit(archeo::cli::front::main());
}
