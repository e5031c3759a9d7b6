//! The agent's own resource use, read from /proc/self at scrape time, under the
//! standard `process_*` names so stock dashboards and alerts work unchanged.

use procfs::process::Process;
use procfs::ProcResult;

/// What the agent costs the host right now.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ProcessStats {
    /// Resident set size (`/proc/self/statm` resident pages × page size).
    pub resident_bytes: u64,
    /// User plus system CPU time since the agent started.
    pub cpu_seconds: f64,
    /// Open file descriptors (BPF maps and programs are among them); `None`
    /// when /proc/self/fd cannot be listed.
    pub open_fds: Option<u64>,
    /// Start time in seconds since the Unix epoch; `None` when the boot time
    /// is unknown.
    pub start_time_seconds: Option<f64>,
}

/// Reads [`ProcessStats`] for the calling process.
pub(super) fn sample() -> ProcResult<ProcessStats> {
    let me = Process::myself()?;
    let stat = me.stat()?;
    let statm = me.statm()?;
    let ticks = procfs::ticks_per_second().max(1) as f64;
    let start_time_seconds = procfs::boot_time_secs()
        .ok()
        .map(|boot| boot as f64 + stat.starttime as f64 / ticks);
    Ok(ProcessStats {
        resident_bytes: statm.resident.saturating_mul(procfs::page_size()),
        cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
        open_fds: me.fd_count().ok().map(|n| n as u64),
        start_time_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_this_process() {
        let stats = sample().expect("/proc/self is readable in tests");
        assert!(stats.resident_bytes > 0);
        assert!(stats.cpu_seconds >= 0.0);
        assert!(stats.open_fds.is_some_and(|n| n >= 3));
        assert!(stats
            .start_time_seconds
            .is_some_and(|t| t > 1_000_000_000.0));
    }
}
