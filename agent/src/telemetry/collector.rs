//! Encodes every `sonde_*` and `process_*` family at scrape time.
//!
//! One [`Collector`] reads the userspace atomics, the kernel counters and
//! /proc/self when Prometheus asks, so nothing is copied on a timer and every
//! value is as fresh as the scrape.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;
use sonde_common::EventKind;

use super::counters::{UserCounters, UserSnapshot};
use super::{process, DropReason, KernelCounterSource, KernelCounters};

// Family names. Counters are named without `_total`: the encoder appends it to
// the samples (OpenMetrics), and the classic format's descriptors get it in
// `exposition`. Units are appended by the encoder as well.
const EVENTS_SEEN: &str = "sonde_events_seen";
const EVENTS_DELIVERED: &str = "sonde_events_delivered";
const EVENTS_DROPPED: &str = "sonde_events_dropped";
const RINGBUF_RESERVE_FAILURES: &str = "sonde_ringbuf_reserve_failures";
const CHANNEL_DROPS: &str = "sonde_channel_drops";
const CONN_TABLE_FULL: &str = "sonde_conn_table_full";
const KERNEL_READ_FAILURES: &str = "sonde_kernel_read_failures";
const RINGBUF_DECODE_ERRORS: &str = "sonde_ringbuf_decode_errors";
const PROGRAM_MISSED_RUNS: &str = "sonde_program_missed_runs";
const PROGRAM_RUNS: &str = "sonde_program_runs";
const PROGRAM_RUN: &str = "sonde_program_run";
const BUILD_INFO: &str = "sonde_build_info";
const PROCESS_RESIDENT_MEMORY: &str = "process_resident_memory";
const PROCESS_CPU: &str = "process_cpu";
const PROCESS_OPEN_FDS: &str = "process_open_fds";
const PROCESS_START_TIME: &str = "process_start_time";

/// Scrape-time source of every series on /metrics.
pub(super) struct AgentCollector {
    user: Arc<UserCounters>,
    kernel: Box<dyn KernelCounterSource>,
    /// Whether the last kernel read failed, so a lasting failure (probes not
    /// loaded yet) warns once rather than on every scrape.
    kernel_failing: AtomicBool,
    version: String,
}

impl fmt::Debug for AgentCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentCollector")
            .field("user", &self.user)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl AgentCollector {
    pub fn new(
        user: Arc<UserCounters>,
        kernel: Box<dyn KernelCounterSource>,
        version: String,
    ) -> AgentCollector {
        AgentCollector {
            user,
            kernel,
            kernel_failing: AtomicBool::new(false),
            version,
        }
    }

    /// Reads the kernel counters; on error logs it and returns `None`, so the
    /// kernel series are left out of this scrape instead of failing it.
    fn read_kernel(&self) -> Option<KernelCounters> {
        match self.kernel.read() {
            Ok(counters) => {
                if self.kernel_failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("kernel counters readable again");
                }
                Some(counters)
            }
            Err(error) => {
                if self.kernel_failing.swap(true, Ordering::Relaxed) {
                    tracing::debug!(%error, "kernel counters still unreadable");
                } else {
                    tracing::warn!(%error, "cannot read kernel counters; /metrics omits the kernel series");
                }
                None
            }
        }
    }
}

impl Collector for AgentCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        // Userspace first: every event it has counted was already counted by
        // the kernel, so even mid-flight `seen >= delivered + dropped`.
        let user = self.user.snapshot();
        let kernel = self.read_kernel();
        encode_events(&mut encoder, &user, kernel.as_ref())?;
        encode_totals(&mut encoder, &user, kernel.as_ref())?;
        if let Some(kernel) = &kernel {
            encode_programs(&mut encoder, kernel)?;
        }
        encode_process(&mut encoder)?;
        let mut build = encoder.encode_descriptor(
            BUILD_INFO,
            "Always 1; the version label says which sonde agent build is running.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(1i64).encode(build.encode_family(&[("version", Escaped(&self.version))])?)
    }
}

/// The per-(probe, event) families, every kind present even at zero.
fn encode_events(
    encoder: &mut DescriptorEncoder,
    user: &UserSnapshot,
    kernel: Option<&KernelCounters>,
) -> fmt::Result {
    if let Some(kernel) = kernel {
        let seen = EventKind::ALL.map(|k| (kind_labels(k), kernel.seen[k as usize]));
        counter_family(
            encoder,
            EVENTS_SEEN,
            "Events the kernel programs tried to emit. Once idle, equals delivered plus dropped (all reasons).",
            seen,
        )?;
    }
    let delivered = EventKind::ALL.map(|k| (kind_labels(k), user.delivered[k as usize]));
    counter_family(
        encoder,
        EVENTS_DELIVERED,
        "Events handed to the output.",
        delivered,
    )?;

    let mut dropped = Vec::with_capacity(EventKind::ALL.len() * DropReason::ALL.len());
    for kind in EventKind::ALL {
        for reason in DropReason::ALL {
            let value = match (reason, kernel) {
                // Unknown while the kernel is unreadable: leave the series out
                // rather than export a value that would look like a reset.
                (DropReason::RingbufFull, None) => continue,
                (DropReason::RingbufFull, Some(kernel)) => {
                    kernel.ringbuf_full[kind as usize] + user.dropped(kind, reason)
                }
                (DropReason::ChannelFull | DropReason::OutputError, _) => {
                    user.dropped(kind, reason)
                }
            };
            let [probe, event] = kind_labels(kind);
            dropped.push(([probe, event, ("reason", Escaped(reason.label()))], value));
        }
    }
    counter_family(
        encoder,
        EVENTS_DROPPED,
        "Events lost, by reason: ringbuf_full (kernel could not reserve ring buffer space) channel_full (a userspace stage was behind) or output_error (stdout could not be written).",
        dropped,
    )
}

/// The unlabelled totals an alert can watch without summing.
fn encode_totals(
    encoder: &mut DescriptorEncoder,
    user: &UserSnapshot,
    kernel: Option<&KernelCounters>,
) -> fmt::Result {
    if let Some(kernel) = kernel {
        let reserve_failures =
            kernel.ringbuf_full.iter().sum::<u64>() + user.dropped_total(DropReason::RingbufFull);
        counter(
            encoder,
            RINGBUF_RESERVE_FAILURES,
            "Ring buffer reservations that failed because the buffer was full, over all event kinds.",
            reserve_failures,
        )?;
    }
    counter(
        encoder,
        CHANNEL_DROPS,
        "Events dropped because a bounded channel between agent stages was full, over all event kinds.",
        user.dropped_total(DropReason::ChannelFull),
    )?;
    if let Some(kernel) = kernel {
        counter(
            encoder,
            CONN_TABLE_FULL,
            "Connections the kernel programs could not track because the connection table was full.",
            kernel.conn_table_full,
        )?;
        counter(
            encoder,
            KERNEL_READ_FAILURES,
            "Kernel memory reads that failed in the kernel programs (a struct offset did not hold).",
            kernel.kernel_read_failed,
        )?;
    }
    counter(
        encoder,
        RINGBUF_DECODE_ERRORS,
        "Ring buffer records the agent could not decode.",
        user.decode_errors,
    )
}

/// The per-program families from the kernel's `bpf_prog_info`, one series per
/// attached program, zeroes included.
fn encode_programs(encoder: &mut DescriptorEncoder, kernel: &KernelCounters) -> fmt::Result {
    counter_family(
        encoder,
        PROGRAM_MISSED_RUNS,
        "Runs of a kernel program the kernel skipped because another BPF program was running on the CPU; each may have lost one event, counted nowhere else.",
        kernel
            .missed_runs
            .iter()
            .map(|&(program, value)| (program_labels(program), value)),
    )?;
    counter_family(
        encoder,
        PROGRAM_RUNS,
        "Runs of a kernel program. Counted by the kernel only while sysctl kernel.bpf_stats_enabled=1, else stays 0.",
        kernel
            .runs
            .iter()
            .map(|&(program, value)| (program_labels(program), value)),
    )?;
    let mut family = encoder.encode_descriptor(
        PROGRAM_RUN,
        "Time spent running a kernel program in seconds. Counted by the kernel only while sysctl kernel.bpf_stats_enabled=1, else stays 0.",
        Some(&Unit::Seconds),
        MetricType::Counter,
    )?;
    for &(program, nanos) in &kernel.run_time_ns {
        let seconds = nanos as f64 / 1e9;
        ConstCounter::new(seconds).encode(family.encode_family(&program_labels(program))?)?;
    }
    Ok(())
}

/// The standard `process_*` families, left out if /proc/self is unreadable.
fn encode_process(encoder: &mut DescriptorEncoder) -> fmt::Result {
    let stats = match process::sample() {
        Ok(stats) => stats,
        Err(error) => {
            tracing::warn!(%error, "cannot read /proc/self; /metrics omits the process series");
            return Ok(());
        }
    };
    let metric = encoder.encode_descriptor(
        PROCESS_RESIDENT_MEMORY,
        "Resident memory size of the agent in bytes.",
        Some(&Unit::Bytes),
        MetricType::Gauge,
    )?;
    ConstGauge::new(stats.resident_bytes).encode(metric)?;
    let metric = encoder.encode_descriptor(
        PROCESS_CPU,
        "Total user and system CPU time spent by the agent in seconds.",
        Some(&Unit::Seconds),
        MetricType::Counter,
    )?;
    ConstCounter::new(stats.cpu_seconds).encode(metric)?;
    if let Some(fds) = stats.open_fds {
        let metric = encoder.encode_descriptor(
            PROCESS_OPEN_FDS,
            "Number of open file descriptors of the agent.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(fds).encode(metric)?;
    }
    if let Some(start) = stats.start_time_seconds {
        let metric = encoder.encode_descriptor(
            PROCESS_START_TIME,
            "Start time of the agent since the Unix epoch in seconds.",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        )?;
        ConstGauge::new(start).encode(metric)?;
    }
    Ok(())
}

/// The `probe` and `event` labels of a kind.
fn kind_labels(kind: EventKind) -> [(&'static str, Escaped<'static>); 2] {
    [
        ("probe", Escaped(kind.probe())),
        ("event", Escaped(kind.name())),
    ]
}

/// The `program` label of a per-program series.
fn program_labels(program: &'static str) -> [(&'static str, Escaped<'static>); 1] {
    [("program", Escaped(program))]
}

/// Encodes one counter family with a series per label set.
fn counter_family<S: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl IntoIterator<Item = (S, u64)>,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in series {
        ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// Encodes one unlabelled counter.
fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> fmt::Result {
    let metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    ConstCounter::new(value).encode(metric)
}

/// A label value escaped as both text formats require (`\\`, `\"`, `\n`):
/// `prometheus-client` 0.23 writes `&str` label values verbatim, so a quote
/// or newline in one would corrupt the whole exposition.
#[derive(Clone, Copy, Debug)]
pub(super) struct Escaped<'a>(pub &'a str);

impl EncodeLabelValue for Escaped<'_> {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['\\', '"', '\n']) {
            encoder.write_str(&rest[..at])?;
            encoder.write_str(match rest.as_bytes()[at] {
                b'\\' => "\\\\",
                b'"' => "\\\"",
                _ => "\\n",
            })?;
            rest = &rest[at + 1..];
        }
        encoder.write_str(rest)
    }
}
