//! The host side of a benchmark: /proc readings, signals, ports, scratch space.

use std::{
    fs::{self, File},
    net::{Ipv4Addr, TcpListener},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use crate::process;

/// User plus system CPU time of a process (all its threads), in clock ticks,
/// from the text of /proc/PID/stat (fields 14 and 15); with `children`, also
/// that of its children it has waited for (fields 16 and 17).
pub fn stat_cpu_ticks(stat: &str, children: bool) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces and
    // parentheses: the fields that follow start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11); // state (3) … cmajflt (13)
    let count = if children { 4 } else { 2 };
    let mut ticks = 0;
    for _ in 0..count {
        ticks += fields.next()?.parse::<u64>().ok()?;
    }
    Some(ticks)
}

/// CPU time the whole host spent busy (user, nice, system, irq, softirq), in
/// clock ticks, from the text of /proc/stat.
pub fn host_busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq …
    Some([0, 1, 2, 5, 6].iter().filter_map(|&i| fields.get(i)).sum())
}

/// [`host_busy_ticks`] now, as a duration.
pub fn host_busy(ticks_per_second: u64) -> Result<Duration> {
    let stat = fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
    let ticks = host_busy_ticks(&stat).context("cannot parse /proc/stat")?;
    Ok(ticks_to_duration(ticks, ticks_per_second))
}

/// CPU time of this process and of the children it has waited for.
pub fn own_cpu_time(ticks_per_second: u64) -> Result<Duration> {
    let stat = fs::read_to_string("/proc/self/stat").context("cannot read /proc/self/stat")?;
    let ticks = stat_cpu_ticks(&stat, true).context("cannot parse /proc/self/stat")?;
    Ok(ticks_to_duration(ticks, ticks_per_second))
}

fn ticks_to_duration(ticks: u64, ticks_per_second: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / ticks_per_second.max(1) as f64)
}

/// A `NAME:  <n> kB` line of /proc/PID/status, in KiB.
pub fn status_kib(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU time used so far by process `pid`.
pub fn cpu_time(pid: u32, ticks_per_second: u64) -> Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let ticks =
        stat_cpu_ticks(&stat, false).with_context(|| format!("cannot parse {path}: {stat}"))?;
    Ok(ticks_to_duration(ticks, ticks_per_second))
}

/// Peak resident set size (VmHWM) of process `pid`, in KiB.
pub fn peak_rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    status_kib(&status, "VmHWM").with_context(|| format!("no VmHWM in {path}"))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 when that fails, as on
/// every Linux build in use).
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// Sends `signal` (e.g. "TERM") to `target`: a pid, or `-PGID` for a group.
pub fn kill(signal: &str, target: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Asks `child` to stop with `signal` ("TERM") sent to `target` (the child
/// or its group), waits up to `grace`, then kills `target` with SIGKILL.
/// Returns whether it stopped within the grace period.
pub fn stop(child: &mut Child, target: &str, signal: &str, grace: Duration) -> bool {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return true;
    }
    kill(signal, target);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    kill("KILL", target);
    let _ = child.wait();
    false
}

/// How long a [`Daemon`] may take to stop before SIGKILL.
const DAEMON_STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A server started in a process group of its own, its output in a log
/// file; the whole group is stopped on drop.
#[derive(Debug)]
pub struct Daemon {
    name: &'static str,
    child: Child,
    log: PathBuf,
    /// The signal that stops it ("TERM", "INT").
    stop_signal: &'static str,
}

impl Daemon {
    /// Starts `command` (shown first), its stdout and stderr to `log`.
    pub fn spawn(
        name: &'static str,
        command: &mut Command,
        log: &Path,
        stop_signal: &'static str,
    ) -> Result<Daemon> {
        let output =
            File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        eprintln!("xtask: running {}", process::display(command));
        let child = command
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Daemon {
            name,
            child,
            log: log.to_owned(),
            stop_signal,
        })
    }

    /// Fails with the end of its output if it is no longer running.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited with {status}; its output:\n{}",
                self.name,
                tail(&self.log, 30)
            );
        }
        Ok(())
    }

    /// Retries `probe` until it succeeds; fails when the daemon exits, or
    /// when `timeout` passes (with the probe's last complaint).
    pub fn wait_ready(
        &mut self,
        timeout: Duration,
        mut probe: impl FnMut() -> std::result::Result<(), String>,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check_running()?;
            let last = match probe() {
                Ok(()) => return Ok(()),
                Err(complaint) => complaint,
            };
            if Instant::now() > deadline {
                bail!(
                    "{} not ready after {timeout:?} ({last}); its output:\n{}",
                    self.name,
                    tail(&self.log, 30)
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        stop(
            &mut self.child,
            &group,
            self.stop_signal,
            DAEMON_STOP_TIMEOUT,
        );
    }
}

/// Runs `command` to its end and returns its stdout; an error with its
/// output when it cannot start (`install` says what provides it) or fails.
pub fn output(command: &mut Command, install: &str) -> Result<String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .with_context(|| format!("cannot run {program} ({install})"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "`{}` failed ({}): {}{}",
            process::display(command),
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind a loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// The last `lines` lines of a log file, for error messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A scratch directory, removed on drop unless [`ScratchDir::keep`] was called.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
    keep: bool,
}

impl ScratchDir {
    pub fn new(prefix: &str) -> Result<ScratchDir> {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(ScratchDir { path, keep: false })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the directory in place (its logs explain a failure).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("xtask: logs kept in {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime() {
        let stat = "12835 (sonde) S 1 12835 12835 0 -1 4194560 15520 0 0 0 15 13 0 0 20 0 5 0 389339 358785024 5920";
        assert_eq!(stat_cpu_ticks(stat, false), Some(28));
        assert_eq!(stat_cpu_ticks(stat, true), Some(28));
        // A command name with spaces and a parenthesis; children's time.
        let odd = "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 100 250 7 3 20 0 1 0 1 1 1";
        assert_eq!(stat_cpu_ticks(odd, false), Some(350));
        assert_eq!(stat_cpu_ticks(odd, true), Some(360));
        assert_eq!(stat_cpu_ticks("7 (x) R 1 2", false), None);
        assert_eq!(stat_cpu_ticks("garbage", false), None);
    }

    #[test]
    fn host_busy_leaves_idle_and_iowait_out() {
        let stat = "cpu  552760 1796 89938 499338 2304 5 9837 180 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        assert_eq!(
            host_busy_ticks(stat),
            Some(552760 + 1796 + 89938 + 5 + 9837)
        );
        assert_eq!(host_busy_ticks("cpu0 1 2 3\n"), None);
        assert_eq!(host_busy_ticks("cpu  1 x 3\n"), None);
    }

    #[test]
    fn status_values_in_kib() {
        let status =
            "Name:\tsonde\nVmPeak:\t  358788 kB\nVmHWM:\t   65520 kB\nVmRSS:\t   23880 kB\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(65520));
        assert_eq!(status_kib(status, "VmRSS"), Some(23880));
        assert_eq!(status_kib(status, "VmSwap"), None);
        assert_eq!(status_kib(status, "Vm"), None);
    }

    #[test]
    fn this_process_has_cpu_time_and_rss() {
        let pid = std::process::id();
        assert!(cpu_time(pid, clock_ticks_per_second()).is_ok());
        assert!(own_cpu_time(clock_ticks_per_second()).is_ok());
        assert!(host_busy(clock_ticks_per_second()).unwrap() > Duration::ZERO);
        assert!(peak_rss_kib(pid).unwrap() > 0);
    }
}
