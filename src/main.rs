//! The `netrig` command; all of it lives in the library (`src/cmd/`).
fn main() -> std::process::ExitCode {
    netrig::main()
}
