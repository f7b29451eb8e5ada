fn main() -> std::process::ExitCode {
    netrig::main()
}
