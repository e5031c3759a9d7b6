//! The kernel programs' own counters, as the agent reads them at scrape time.
//!
//! The kernel side counts every event it tries to emit and every event it loses
//! (see `sonde_common::counters`). Reading them at scrape time, rather than
//! copying them on a timer, makes a scrape right after a workload exact.
//!
//! Beside them, the kernel's own statistics of each attached program: runs it
//! skipped (`recursion_misses`), which no counter inside a program can see.

use sonde_common::EVENT_KIND_SLOTS;

/// Length of a per-kind table: one slot per `EventKind` value (slot 0 unused).
pub const KIND_SLOTS: usize = EVENT_KIND_SLOTS as usize;

/// A snapshot of the kernel programs' `COUNTERS` map, summed over all CPUs,
/// and of each attached program's `bpf_prog_info` statistics.
///
/// Per-kind arrays are indexed by `EventKind as usize`. Per-program lists hold
/// `(program name, value)`, one entry per attached program, zeroes included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelCounters {
    /// Events of each kind the programs tried to emit (`COUNTER_SEEN + kind`).
    pub seen: [u64; KIND_SLOTS],
    /// Events of each kind lost because the ring buffer was full
    /// (`COUNTER_RINGBUF_FULL + kind`).
    pub ringbuf_full: [u64; KIND_SLOTS],
    /// Connections not tracked because the connection table was full.
    pub conn_table_full: u64,
    /// Kernel memory reads that failed (a struct offset did not hold).
    pub kernel_read_failed: u64,
    /// Runs the kernel skipped because another BPF program was running on the
    /// CPU (`bpf_prog_info.recursion_misses`); each may have lost one event.
    pub missed_runs: Vec<(&'static str, u64)>,
    /// Runs of each program (`run_cnt`), counted only while
    /// `kernel.bpf_stats_enabled=1`.
    pub runs: Vec<(&'static str, u64)>,
    /// Nanoseconds spent in each program (`run_time_ns`), counted only while
    /// `kernel.bpf_stats_enabled=1`.
    pub run_time_ns: Vec<(&'static str, u64)>,
}

/// Where [`KernelCounters`] come from: the loaded probes' `COUNTERS` map in the
/// agent, a fixed value in tests.
///
/// Called once per scrape, from the HTTP server's tasks, so it must be cheap and
/// must not block for long. An error (probes not loaded yet, map read failed)
/// is reported as text: the scrape still succeeds without the kernel series.
pub trait KernelCounterSource: Send + Sync {
    /// Reads the current totals.
    fn read(&self) -> Result<KernelCounters, String>;
}
