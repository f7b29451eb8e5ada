fn main() -> std::process::ExitCode {
    netrig::cmd::main()
}
