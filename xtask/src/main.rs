//! `cargo xtask`: sonde's build automation.
//!
//! The kernel programs need their own toolchain (see `ebpf_toolchain.rs`), so
//! plain `cargo build` is not enough; these commands install it, build the
//! probes and the agent in the right order, and run or test the result.

mod bench;
mod build_cmd;
mod ebpf_toolchain;
mod fuzz;
mod nested_cargo;
mod paths;
mod privileges;
mod process;
mod run;
mod setup;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Build automation for sonde"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install the eBPF toolchain if it is missing (does nothing when present).
    Setup,
    /// Build the kernel programs, then the `sonde` binary that embeds them.
    Build(build_cmd::BuildArgs),
    /// Set up, build, and run `sonde ARGS...` as root (through sudo when needed).
    Run(run::RunArgs),
    /// Set up, build, and run every test of the workspace against the real probes.
    Test(test::TestArgs),
    /// Run a named benchmark (without a name: list them).
    Bench(bench::BenchArgs),
    /// Run the fuzz targets of the agent's parsers; a crash fails.
    Fuzz(fuzz::FuzzArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Setup => setup::main(),
        Command::Build(args) => build_cmd::main(&args),
        Command::Run(args) => run::main(args),
        Command::Test(args) => test::main(args),
        Command::Bench(args) => bench::main(args),
        Command::Fuzz(args) => fuzz::main(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_after_the_separator_reach_the_command() {
        let cli =
            Cli::try_parse_from(["xtask", "run", "--", "run", "--log-format", "json"]).unwrap();
        let Command::Run(args) = cli.command else {
            panic!("expected run");
        };
        assert_eq!(args.args, ["run", "--log-format", "json"]);

        // `cargo xtask test [CARGO_TEST_ARGS...] [-- TEST_BINARY_ARGS...]`: the
        // split itself is tested in test.rs.
        for line in [
            &["xtask", "test", "--", "--nocapture"][..],
            &["xtask", "test", "-p", "sonde-tests", "--", "--nocapture"],
        ] {
            let cli = Cli::try_parse_from(line).unwrap();
            assert!(matches!(cli.command, Command::Test(_)), "{line:?}");
        }
    }

    #[test]
    fn build_defaults_to_release() {
        let cli = Cli::try_parse_from(["xtask", "build"]).unwrap();
        let Command::Build(args) = cli.command else {
            panic!("expected build");
        };
        assert!(!args.debug);
        assert!(Cli::try_parse_from(["xtask", "build", "--debug"]).is_ok());
        // Without a name, `bench` lists the benchmarks.
        assert!(Cli::try_parse_from(["xtask", "bench"]).is_ok());
        assert!(Cli::try_parse_from(["xtask", "bench", "http", "--quick"]).is_ok());
        assert!(Cli::try_parse_from(["xtask", "bench", "no-such-bench"]).is_err());
    }
}
