//! `sonde`: the agent daemon and its command line.

fn main() -> std::process::ExitCode {
    sonde_agent::cli_main()
}
