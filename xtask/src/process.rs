//! Running a command for xtask: show it, run it on the terminal, check how it ended.

use std::{
    ffi::OsStr,
    process::{Command, ExitStatus},
};

use anyhow::{bail, Context, Result};

/// The command as a shell would show it, for progress lines and errors.
pub fn display(command: &Command) -> String {
    let envs = command
        .get_envs()
        .filter(|(name, _)| *name != "PATH")
        .filter_map(|(name, value)| Some(format!("{}={}", name.to_string_lossy(), quote(value?))));
    let program = std::iter::once(quote(command.get_program()));
    let args = command.get_args().map(quote);
    envs.chain(program)
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c))
    {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Prints the command, runs it with inherited stdio, and returns its status.
pub fn status(command: &mut Command) -> Result<ExitStatus> {
    eprintln!("xtask: running {}", display(command));
    command
        .status()
        .with_context(|| format!("cannot start {}", command.get_program().to_string_lossy()))
}

/// Like [`status`], but a non-zero exit is an error.
pub fn run(command: &mut Command) -> Result<()> {
    let status = status(command)?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(command));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_quoted() {
        let mut command = Command::new("cargo");
        command
            .env("RUSTFLAGS", "-C debuginfo=2")
            .env("PATH", "/bin")
            .args(["build", "--release", "it's"]);
        assert_eq!(
            display(&command),
            r"RUSTFLAGS='-C debuginfo=2' cargo build --release 'it'\''s'"
        );
    }
}
