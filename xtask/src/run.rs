//! `cargo xtask run -- ARGS...`: build, then become `sonde ARGS...` as root.

use std::{
    os::unix::process::CommandExt,
    path::Path,
    process::{Command, ExitCode},
};

use anyhow::{Context, Result};
use clap::Args;

use crate::{build_cmd, paths::Profile, privileges, setup};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Arguments for `sonde`, e.g. `run --log-format json`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn main(args: RunArgs) -> Result<ExitCode> {
    let route = setup::ensure()?;
    let built = build_cmd::build(route, Profile::Release)?;
    let mut command = agent_command(&built.binary, &args.args)?;
    // Replacing this process hands signals (Ctrl-C, SIGTERM) and the exit code
    // straight to sonde, or to sudo, which relays both.
    let error = command.exec();
    Err(error).with_context(|| format!("cannot start {}", built.binary.display()))
}

fn agent_command(binary: &Path, args: &[String]) -> Result<Command> {
    let binary = binary.to_str().context("the sonde path is not UTF-8")?;
    let mut command = privileges::as_root(binary)?;
    command.args(args);
    Ok(command)
}
