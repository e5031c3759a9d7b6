//! What the OTLP exporter did with each signal: items the collector
//! accepted, items dropped (and why), failed export calls, and what waits
//! in the queues. Every item handed to the exporter ends up in exactly one
//! of `exported`, `dropped` or the queue.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use super::collector::Escaped;

/// An OTLP signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Spans,
    Logs,
    Metrics,
}

impl Signal {
    pub const ALL: [Signal; 3] = [Signal::Spans, Signal::Logs, Signal::Metrics];

    pub fn label(self) -> &'static str {
        match self {
            Signal::Spans => "spans",
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        }
    }
}

/// Why the exporter gave items up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportDrop {
    /// The queue was full: the oldest items made room for new ones.
    QueueFull,
    /// The collector refused them with a code that must not be retried.
    Rejected,
    /// The agent stopped before they could be sent.
    Shutdown,
    /// Sending failed and they are not sent again: metric data points,
    /// whose next export carries the cumulative totals anew.
    ExportFailed,
}

impl ExportDrop {
    pub const ALL: [ExportDrop; 4] = [
        ExportDrop::QueueFull,
        ExportDrop::Rejected,
        ExportDrop::Shutdown,
        ExportDrop::ExportFailed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ExportDrop::QueueFull => "queue_full",
            ExportDrop::Rejected => "rejected",
            ExportDrop::Shutdown => "shutdown",
            ExportDrop::ExportFailed => "export_failed",
        }
    }
}

#[derive(Debug, Default)]
struct SignalCounters {
    exported: AtomicU64,
    dropped: [AtomicU64; ExportDrop::ALL.len()],
    failed_requests: AtomicU64,
    queued: AtomicU64,
}

/// The exporter's counters, one set per signal.
#[derive(Debug, Default)]
pub struct ExportMetrics {
    signals: [SignalCounters; 3],
}

impl ExportMetrics {
    fn of(&self, signal: Signal) -> &SignalCounters {
        &self.signals[signal as usize]
    }

    /// `items` were accepted by the collector.
    pub fn exported(&self, signal: Signal, items: u64) {
        self.of(signal).exported.fetch_add(items, Ordering::Relaxed);
    }

    /// `items` were given up for `reason`.
    pub fn dropped(&self, signal: Signal, reason: ExportDrop, items: u64) {
        self.of(signal).dropped[reason as usize].fetch_add(items, Ordering::Relaxed);
    }

    /// An export call failed (it may be retried).
    pub fn request_failed(&self, signal: Signal) {
        self.of(signal)
            .failed_requests
            .fetch_add(1, Ordering::Relaxed);
    }

    /// `items` wait in the queue or in a call being retried.
    pub fn set_queued(&self, signal: Signal, items: u64) {
        self.of(signal).queued.store(items, Ordering::Relaxed);
    }

    /// Items exported so far.
    pub fn exported_total(&self, signal: Signal) -> u64 {
        self.of(signal).exported.load(Ordering::Relaxed)
    }

    /// Items dropped for `reason` so far.
    pub fn dropped_total(&self, signal: Signal, reason: ExportDrop) -> u64 {
        self.of(signal).dropped[reason as usize].load(Ordering::Relaxed)
    }

    fn encode(&self, encoder: &mut DescriptorEncoder) -> fmt::Result {
        let mut family = encoder.encode_descriptor(
            "sonde_export_exported",
            "Spans, log records and metric data points the OTLP collector accepted.",
            None,
            MetricType::Counter,
        )?;
        for signal in Signal::ALL {
            let labels = [("signal", Escaped(signal.label()))];
            let value = self.of(signal).exported.load(Ordering::Relaxed);
            ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "sonde_export_dropped",
            "Spans, log records and metric data points the OTLP exporter gave up, by reason.",
            None,
            MetricType::Counter,
        )?;
        for signal in Signal::ALL {
            for reason in ExportDrop::ALL {
                let labels = [
                    ("signal", Escaped(signal.label())),
                    ("reason", Escaped(reason.label())),
                ];
                let value = self.of(signal).dropped[reason as usize].load(Ordering::Relaxed);
                ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "sonde_export_failed_requests",
            "OTLP export calls that failed (retryable ones are retried with backoff).",
            None,
            MetricType::Counter,
        )?;
        for signal in Signal::ALL {
            let labels = [("signal", Escaped(signal.label()))];
            let value = self.of(signal).failed_requests.load(Ordering::Relaxed);
            ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "sonde_export_queued",
            "Items waiting to be exported, in the queue or in a call being retried.",
            None,
            MetricType::Gauge,
        )?;
        for signal in Signal::ALL {
            let labels = [("signal", Escaped(signal.label()))];
            let value = self.of(signal).queued.load(Ordering::Relaxed);
            ConstGauge::new(value as i64).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

pub(super) struct ExportCollector(pub Arc<ExportMetrics>);

impl fmt::Debug for ExportCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Collector for ExportCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        self.0.encode(&mut encoder)
    }
}
