//! A cgroup v2 of its own for the benchmarked service: its CPU time is read
//! from it, and the agent can be told to observe exactly it (`--cgroup`) on a
//! host where other people's tests run gunicorn too.

use std::{
    ffi::OsStr,
    fs,
    path::{Path, PathBuf},
    process::Command,
    thread,
    time::Duration,
};

use anyhow::{Context, Result};

/// A cgroup created for the benchmark; removed on drop (once empty).
#[derive(Debug)]
pub struct Cgroup {
    path: PathBuf,
}

impl Cgroup {
    /// Creates `NAME` under the cgroup v2 hierarchy (`/sys/fs/cgroup`, or
    /// `/sys/fs/cgroup/unified` on hybrid hosts).
    pub fn create(name: &str) -> Result<Cgroup> {
        let mounts = fs::read_to_string("/proc/mounts").context("cannot read /proc/mounts")?;
        let root = cgroup2_mount(&mounts).context("no cgroup2 hierarchy is mounted")?;
        let path = root.join(name);
        if !path.is_dir() {
            fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        }
        Ok(Cgroup { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// CPU time used by the processes in the cgroup so far (`cpu.stat`, which
    /// cgroup v2 keeps whether or not the cpu controller is enabled).
    pub fn cpu_usage(&self) -> Result<Duration> {
        let path = self.path.join("cpu.stat");
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let usec =
            usage_usec(&text).with_context(|| format!("no usage_usec in {}", path.display()))?;
        Ok(Duration::from_micros(usec))
    }

    /// `program`, started inside this cgroup (through a shell that moves
    /// itself in, then execs it): it and every process it forks run inside.
    /// Its arguments are added to the command returned.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(self.enter_then_exec()).arg(program);
        sh
    }

    /// A shell prefix that moves the shell into this cgroup, then execs the
    /// command that follows (`sh -c SCRIPT PROGRAM ARGS…`).
    fn enter_then_exec(&self) -> String {
        format!(
            "echo $$ > '{}/cgroup.procs' && exec \"$0\" \"$@\"",
            self.path.display()
        )
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // The last processes may take a moment to be reaped.
        for _ in 0..50 {
            if fs::remove_dir(&self.path).is_ok() || !self.path.exists() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
        eprintln!("xtask: cannot remove cgroup {}", self.path.display());
    }
}

/// `usage_usec` of a cgroup's `cpu.stat`.
pub fn usage_usec(cpu_stat: &str) -> Option<u64> {
    cpu_stat
        .lines()
        .find_map(|line| line.strip_prefix("usage_usec "))?
        .trim()
        .parse()
        .ok()
}

/// Where the cgroup2 file system is mounted, from the text of /proc/mounts.
pub fn cgroup2_mount(mounts: &str) -> Option<PathBuf> {
    mounts.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (_, dir, kind) = (fields.next()?, fields.next()?, fields.next()?);
        (kind == "cgroup2").then(|| PathBuf::from(dir))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_v2_hierarchy() {
        let hybrid = "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\n\
                      cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n\
                      cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";
        assert_eq!(
            cgroup2_mount(hybrid),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
        let pure = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec 0 0\n";
        assert_eq!(cgroup2_mount(pure), Some(PathBuf::from("/sys/fs/cgroup")));
        assert_eq!(cgroup2_mount("proc /proc proc rw 0 0\n"), None);
    }

    #[test]
    fn reads_cpu_usage() {
        let stat = "usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\nnice_usec 0\n";
        assert_eq!(usage_usec(stat), Some(1_234_567));
        assert_eq!(usage_usec("user_usec 5\n"), None);
    }

    #[test]
    fn the_prefix_enters_then_execs() {
        let cgroup = Cgroup {
            path: PathBuf::from("/sys/fs/cgroup/x"),
        };
        assert_eq!(
            cgroup.enter_then_exec(),
            r#"echo $$ > '/sys/fs/cgroup/x/cgroup.procs' && exec "$0" "$@""#
        );
        let mut command = cgroup.command("/bin/true");
        command.arg("-x");
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(command.get_program(), "sh");
        assert_eq!(args[0], "-c");
        assert_eq!(args[2..], ["/bin/true", "-x"]);
        std::mem::forget(cgroup);
    }
}
