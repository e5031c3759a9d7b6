//! The few /proc files service identity needs, read under a configurable
//! root (a containerised agent sees the host's /proc at e.g. /host/proc, and
//! tests build a fake tree).
//!
//! Every read is bounded: environ and cmdline are set by the observed
//! process, and we do not let it make the agent allocate without limit.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// More than any real cmdline or environ (the kernel's own argument limit
/// is a quarter of the stack limit, 2 MiB by default); anything past it is
/// ignored.
const MAX_READ: u64 = 1 << 20;

/// A /proc tree.
#[derive(Debug, Clone)]
pub struct ProcFs {
    root: PathBuf,
}

impl ProcFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn file(&self, pid: u32, name: &str) -> PathBuf {
        self.root.join(pid.to_string()).join(name)
    }

    /// `/proc/PID/cmdline` as arguments. Empty for kernel threads and
    /// zombies; an error (NotFound or ESRCH) once the process is gone.
    pub fn cmdline(&self, pid: u32) -> io::Result<Vec<String>> {
        read_bounded(&self.file(pid, "cmdline")).map(|bytes| parse_cmdline(&bytes))
    }

    /// `/proc/PID/environ`, NUL-separated. Reading another user's needs
    /// root (or ptrace rights): callers treat any error as "no environment".
    pub fn environ(&self, pid: u32) -> io::Result<Vec<u8>> {
        read_bounded(&self.file(pid, "environ"))
    }

    /// The parent pid from `/proc/PID/stat`.
    pub fn ppid(&self, pid: u32) -> Option<u32> {
        let stat = read_bounded(&self.file(pid, "stat")).ok()?;
        parse_stat_ppid(&String::from_utf8_lossy(&stat))
    }

    /// The basename of `/proc/PID/exe` (the binary actually running, which
    /// argv[0] need not name). Needs the same rights as environ.
    pub fn exe_name(&self, pid: u32) -> Option<String> {
        let target = std::fs::read_link(self.file(pid, "exe")).ok()?;
        let name = target.file_name()?.to_string_lossy().into_owned();
        let name = name.strip_suffix(" (deleted)").unwrap_or(&name);
        (!name.is_empty()).then(|| name.to_owned())
    }

    /// The path `/proc/PID/exe` points to (needs the rights environ needs).
    pub fn exe_path(&self, pid: u32) -> Option<PathBuf> {
        std::fs::read_link(self.file(pid, "exe")).ok()
    }

    /// `/proc/PID/cgroup`: the cgroups of the process, one line per hierarchy.
    pub fn cgroup(&self, pid: u32) -> Option<String> {
        let text = read_bounded(&self.file(pid, "cgroup")).ok()?;
        Some(String::from_utf8_lossy(&text).into_owned())
    }

    /// `/proc/PID/comm`: the kernel's task name, at most 15 bytes. Readable
    /// for zombies too.
    pub fn comm(&self, pid: u32) -> Option<String> {
        let comm = read_bounded(&self.file(pid, "comm")).ok()?;
        let comm = String::from_utf8_lossy(&comm);
        let comm = comm.trim_end_matches('\n');
        (!comm.is_empty()).then(|| comm.to_owned())
    }
}

fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(MAX_READ).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// NUL-separated arguments. Trailing empty strings are padding (the
/// terminating NUL, or a title rewritten shorter than the original argv),
/// not arguments; an empty argument in the middle is kept.
pub fn parse_cmdline(bytes: &[u8]) -> Vec<String> {
    let mut args: Vec<String> = bytes
        .split(|&b| b == 0)
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect();
    while args.last().is_some_and(String::is_empty) {
        args.pop();
    }
    args
}

/// The 4th field of `/proc/PID/stat`. The 2nd, `(comm)`, may itself hold
/// spaces and parentheses, so fields are counted after its *last* `)`.
pub fn parse_stat_ppid(stat: &str) -> Option<u32> {
    let (_, after_comm) = stat.rsplit_once(')')?;
    let mut fields = after_comm.split_ascii_whitespace();
    let _state = fields.next()?;
    fields.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_splits_on_nul() {
        assert_eq!(
            parse_cmdline(b"gunicorn\0shop.wsgi:application\0-w\x004\0"),
            ["gunicorn", "shop.wsgi:application", "-w", "4"]
        );
        assert_eq!(parse_cmdline(b"a\0\0b\0"), ["a", "", "b"]);
        assert_eq!(
            parse_cmdline(b"gunicorn: worker [shop.wsgi]\0\0\0\0\0"),
            ["gunicorn: worker [shop.wsgi]"]
        );
        assert!(parse_cmdline(b"").is_empty());
        assert!(parse_cmdline(b"\0\0").is_empty());
        assert_eq!(parse_cmdline(b"\xff\xfe\0x"), ["\u{fffd}\u{fffd}", "x"]);
    }

    #[test]
    fn stat_ppid_survives_odd_comms() {
        assert_eq!(parse_stat_ppid("42 (gunicorn) S 7 42 42 0 -1"), Some(7));
        assert_eq!(parse_stat_ppid("42 (a) b) (c) R 1 42 42"), Some(1));
        assert_eq!(parse_stat_ppid("42 (x y z) Z 0 0"), Some(0));
        assert_eq!(parse_stat_ppid("42 (x) S"), None);
        assert_eq!(parse_stat_ppid("42 x S 7"), None);
        assert_eq!(parse_stat_ppid(""), None);
        assert_eq!(parse_stat_ppid("42 (x) S -3"), None);
    }
}
