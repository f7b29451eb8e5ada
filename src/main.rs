fn main() -> std::process::ExitCode {
    netrig::cli::main()
}
