//! `cargo xtask test [CARGO_TEST_ARGS...] [-- TEST_BINARY_ARGS...]`: every test,
//! against the real probes.
//!
//! Arguments before `--` go to `cargo test` (e.g. `-p sonde-tests --test agent`),
//! the ones after it to every test binary (e.g. `--nocapture`, a test name). All
//! test binaries run even when one fails (`--no-fail-fast`), so one run shows
//! every failure.
//!
//! A run of the whole suite (no arguments) ends with the fuzz targets, for
//! `SONDE_FUZZ_SECONDS` each (default 60, 0 skips them); a crash fails it.
//!
//! Tests run as root (the integration tests load kernel programs). When xtask
//! is not root, cargo itself stays unprivileged and only the test binaries run
//! through `sudo -E` (a cargo runner), so `target/` keeps its owner.

use std::{
    env,
    process::{Command, ExitCode},
};

use anyhow::{ensure, Context, Result};
use clap::Args;

use crate::{
    build_cmd::{self, Built},
    fuzz,
    nested_cargo::{self, Scope},
    paths::{self, Profile},
    privileges, process, setup,
};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Arguments for `cargo test`, e.g. `-p sonde-tests --test agent`. Without
    /// `-p`/`--package`, the whole workspace is tested.
    #[arg(allow_hyphen_values = true, value_name = "CARGO_TEST_ARGS")]
    cargo_args: Vec<String>,
    /// Arguments for the test binaries, after `--`, e.g. `--nocapture`.
    #[arg(last = true, value_name = "TEST_BINARY_ARGS")]
    test_args: Vec<String>,
}

impl TestArgs {
    /// The arguments for `cargo test` and those for the test binaries.
    ///
    /// clap takes a `--` for its separator only when it comes first; after a
    /// cargo argument, `cargo_args` (which must accept `-p` and the like) takes
    /// it in as a value, so the split happens here.
    fn split(&self) -> (&[String], Vec<String>) {
        match self.cargo_args.iter().position(|arg| arg == "--") {
            Some(separator) => {
                let mut binaries = self.cargo_args[separator + 1..].to_vec();
                binaries.extend_from_slice(&self.test_args);
                (&self.cargo_args[..separator], binaries)
            }
            None => (&self.cargo_args, self.test_args.clone()),
        }
    }
}

/// Runs test binaries through sudo when cargo itself is not root.
const SUDO_RUNNER: &str = r#"target."cfg(all())".runner=["sudo","-E"]"#;

pub fn main(args: TestArgs) -> Result<ExitCode> {
    let route = setup::ensure()?;
    let built = build_cmd::build(route, Profile::Release)?;
    // The kernel programs' crate has no host tests: it is covered by the
    // integration tests, which load it through the agent.
    let through_sudo = !privileges::is_root()?;
    if through_sudo {
        ensure!(
            paths::find_executable("sudo").is_some(),
            "the integration tests need root: run this as root, or install sudo"
        );
        eprintln!("xtask: not root, the test binaries run through sudo -E");
    }
    let mut command = cargo_test(&built, through_sudo, &args);
    let status = process::status(&mut command)?;
    let fuzzed = fuzz_after_tests(&args)?;
    Ok(match status.code() {
        Some(0) if fuzzed => ExitCode::SUCCESS,
        Some(0) => ExitCode::FAILURE,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => {
            eprintln!("xtask: cargo test ended by {status}");
            ExitCode::FAILURE
        }
    })
}

/// After the whole suite, runs the fuzz targets; returns whether they passed.
fn fuzz_after_tests(args: &TestArgs) -> Result<bool> {
    let (cargo_args, binary_args) = args.split();
    let seconds = fuzz_seconds(env::var("SONDE_FUZZ_SECONDS").ok().as_deref())?;
    if !cargo_args.is_empty() || !binary_args.is_empty() || seconds == 0 {
        return Ok(true);
    }
    match fuzz::run(seconds, &[]) {
        Ok(()) => Ok(true),
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            Ok(false)
        }
    }
}

/// Seconds per fuzz target from `SONDE_FUZZ_SECONDS`, when set.
fn fuzz_seconds(value: Option<&str>) -> Result<u64> {
    match value.map(str::trim) {
        None | Some("") => Ok(fuzz::DEFAULT_SECONDS),
        Some(value) => value
            .parse()
            .with_context(|| format!("SONDE_FUZZ_SECONDS={value}: expected a number of seconds")),
    }
}

/// `cargo test --release --no-fail-fast` (of the workspace unless `args` pick
/// packages) against what `built` holds.
fn cargo_test(built: &Built, through_sudo: bool, args: &TestArgs) -> Command {
    let (cargo_args, binary_args) = args.split();
    let mut command = nested_cargo::cargo(Scope::Host);
    command
        .current_dir(paths::workspace_root())
        // Same value as the build: the agent is not rebuilt differently.
        .env("SONDE_PROBES_OBJECT", &built.object)
        .env("SONDE_BIN", &built.binary)
        .args(["test", "--release", "--no-fail-fast"]);
    // `--workspace` would override `-p`.
    if !selects_packages(cargo_args) {
        command.arg("--workspace");
    }
    if through_sudo {
        command.args(["--config", SUDO_RUNNER]);
    }
    command.args(cargo_args);
    if !binary_args.is_empty() {
        command.arg("--").args(binary_args);
    }
    command
}

/// Whether `cargo test` arguments name packages (`-p NAME`, `-pNAME`,
/// `--package NAME`, `--package=NAME`).
fn selects_packages(cargo_args: &[String]) -> bool {
    cargo_args
        .iter()
        .any(|arg| arg.starts_with("-p") || arg == "--package" || arg.starts_with("--package="))
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use clap::Parser;

    use super::*;

    /// `cargo xtask test ARGS...` as the `test` subcommand parses them.
    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: TestArgs,
    }

    fn parse(line: &[&str]) -> TestArgs {
        let argv = std::iter::once("test").chain(line.iter().copied());
        Cli::try_parse_from(argv).unwrap().args
    }

    fn built() -> Built {
        Built {
            object: "/r/target/ebpf/bpfel-unknown-none/release/sonde-probes".into(),
            binary: "/r/target/release/sonde".into(),
        }
    }

    fn args_of(command: &Command) -> Vec<&OsStr> {
        command.get_args().collect()
    }

    #[test]
    fn arguments_after_the_separator_go_to_the_test_binaries() {
        let args = parse(&["--", "--nocapture"]);
        let (cargo_args, binary_args) = args.split();
        assert!(cargo_args.is_empty(), "{args:?}");
        assert_eq!(binary_args, ["--nocapture"]);
        let command = cargo_test(&built(), false, &args);
        assert_eq!(
            args_of(&command),
            [
                "test",
                "--release",
                "--no-fail-fast",
                "--workspace",
                "--",
                "--nocapture"
            ]
        );
    }

    #[test]
    fn arguments_before_the_separator_go_to_cargo() {
        let args = parse(&[
            "-p",
            "sonde-tests",
            "--test",
            "agent",
            "--",
            "--nocapture",
            "--test-threads=1",
            "storm",
        ]);
        let (cargo_args, binary_args) = args.split();
        assert_eq!(cargo_args, ["-p", "sonde-tests", "--test", "agent"]);
        assert_eq!(binary_args, ["--nocapture", "--test-threads=1", "storm"]);
        let command = cargo_test(&built(), false, &args);
        assert_eq!(
            args_of(&command),
            [
                "test",
                "--release",
                "--no-fail-fast",
                "-p",
                "sonde-tests",
                "--test",
                "agent",
                "--",
                "--nocapture",
                "--test-threads=1",
                "storm"
            ]
        );

        let args = parse(&["--lib"]);
        let (cargo_args, binary_args) = args.split();
        assert_eq!(cargo_args, ["--lib"]);
        assert!(binary_args.is_empty());
        assert_eq!(
            args_of(&cargo_test(&built(), false, &args)),
            [
                "test",
                "--release",
                "--no-fail-fast",
                "--workspace",
                "--lib"
            ]
        );
    }

    #[test]
    fn no_arguments_test_the_whole_workspace() {
        let args = parse(&[]);
        let command = cargo_test(&built(), false, &args);
        assert_eq!(
            args_of(&command),
            ["test", "--release", "--no-fail-fast", "--workspace"]
        );
    }

    #[test]
    fn fuzzing_time_comes_from_the_environment() {
        assert_eq!(fuzz_seconds(None).unwrap(), fuzz::DEFAULT_SECONDS);
        assert_eq!(fuzz_seconds(Some("")).unwrap(), fuzz::DEFAULT_SECONDS);
        assert_eq!(fuzz_seconds(Some("0")).unwrap(), 0);
        assert_eq!(fuzz_seconds(Some(" 300 ")).unwrap(), 300);
        assert!(fuzz_seconds(Some("1m")).is_err());
    }

    #[test]
    fn package_selection_is_recognised() {
        let yes = |args: &[&str]| {
            selects_packages(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
        };
        assert!(yes(&["-p", "xtask"]));
        assert!(yes(&["-pxtask"]));
        assert!(yes(&["--package", "xtask"]));
        assert!(yes(&["--package=xtask"]));
        assert!(!yes(&["--test", "agent", "--profile", "x"]));
        assert!(!yes(&[]));
    }

    #[test]
    fn tests_see_the_binary_and_the_object() {
        let command = cargo_test(&built(), false, &parse(&[]));
        let env = |name: &str| {
            command
                .get_envs()
                .find(|(key, _)| *key == name)
                .and_then(|(_, value)| value)
        };
        assert_eq!(
            env("SONDE_BIN"),
            Some(OsStr::new("/r/target/release/sonde"))
        );
        assert_eq!(
            env("SONDE_PROBES_OBJECT"),
            Some(OsStr::new(
                "/r/target/ebpf/bpfel-unknown-none/release/sonde-probes"
            ))
        );
    }

    #[test]
    fn without_root_only_the_test_binaries_use_sudo() {
        let args = parse(&["-p", "sonde-tests", "--", "--nocapture"]);
        let command = cargo_test(&built(), true, &args);
        assert_eq!(
            args_of(&command),
            [
                "test",
                "--release",
                "--no-fail-fast",
                "--config",
                SUDO_RUNNER,
                "-p",
                "sonde-tests",
                "--",
                "--nocapture"
            ]
        );
    }
}
