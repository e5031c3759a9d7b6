//! `cargo xtask test [-- CARGO_TEST_ARGS...]`: every test, against the real probes.
//!
//! Tests run as root (the integration tests load kernel programs). When xtask
//! is not root, cargo itself stays unprivileged and only the test binaries run
//! through `sudo -E` (a cargo runner), so `target/` keeps its owner.

use std::process::{Command, ExitCode};

use anyhow::{ensure, Result};
use clap::Args;

use crate::{
    build_cmd::{self, Built},
    nested_cargo::{self, Scope},
    paths::{self, Profile},
    privileges, process, setup,
};

#[derive(Debug, Args)]
pub struct TestArgs {
    /// More arguments for `cargo test`, e.g. `-p sonde-tests -- --nocapture`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub cargo_args: Vec<String>,
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
    let mut command = cargo_test(&built, through_sudo, &args.cargo_args);
    let status = process::status(&mut command)?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => {
            eprintln!("xtask: cargo test ended by {status}");
            ExitCode::FAILURE
        }
    })
}

/// `cargo test --release --workspace` against what `built` holds.
fn cargo_test(built: &Built, through_sudo: bool, extra: &[String]) -> Command {
    let mut command = nested_cargo::cargo(Scope::Host);
    command
        .current_dir(paths::workspace_root())
        // Same value as the build: the agent is not rebuilt differently.
        .env("SONDE_PROBES_OBJECT", &built.object)
        .env("SONDE_BIN", &built.binary)
        .args(["test", "--release", "--workspace"]);
    if through_sudo {
        command.args(["--config", SUDO_RUNNER]);
    }
    command.args(extra);
    command
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    fn built() -> Built {
        Built {
            object: "/r/target/ebpf/bpfel-unknown-none/release/sonde-probes".into(),
            binary: "/r/target/release/sonde".into(),
        }
    }

    #[test]
    fn tests_see_the_binary_and_the_object() {
        let command = cargo_test(&built(), false, &["--".into(), "--nocapture".into()]);
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(
            args,
            ["test", "--release", "--workspace", "--", "--nocapture"]
        );
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
        let command = cargo_test(&built(), true, &[]);
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args[3..], ["--config", SUDO_RUNNER]);
    }
}
