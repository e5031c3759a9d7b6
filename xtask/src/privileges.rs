//! Whether xtask runs as root, and how to get there through sudo when it does not.

use std::{fs, process::Command};

use anyhow::{bail, Context, Result};

use crate::paths;

/// Whether the effective user is root.
pub fn is_root() -> Result<bool> {
    let status =
        fs::read_to_string("/proc/self/status").context("cannot read /proc/self/status")?;
    let uid = effective_uid(&status).context("no Uid line in /proc/self/status")?;
    Ok(uid == 0)
}

/// The effective uid from the `Uid:` line of /proc/PID/status (real, effective, saved, fs).
fn effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|line| line.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A command that runs `program` as root: directly when already root, else
/// through `sudo -E` (keeping the environment, e.g. `SONDE_LOG`).
pub fn as_root(program: &str) -> Result<Command> {
    if is_root()? {
        return Ok(Command::new(program));
    }
    let Some(sudo) = paths::find_executable("sudo") else {
        bail!("{program} needs root: run this as root, or install sudo");
    };
    eprintln!("xtask: not root, going through sudo -E");
    let mut command = Command::new(sudo);
    command.args(["-E", program]);
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_effective_uid_is_the_second_field() {
        let status =
            "Name:\tcat\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid(status), Some(0));
        assert_eq!(effective_uid("Uid:\t0\t1000\t1000\t1000\n"), Some(1000));
        assert_eq!(effective_uid("Name:\tcat\n"), None);
        assert_eq!(effective_uid("Uid:\tnobody\n"), None);
    }

    #[test]
    fn this_process_has_a_readable_status() {
        assert!(is_root().is_ok());
    }
}
