//! The agent's own counters, exposed on /metrics.
//!
//! Every event the kernel programs try to emit is accounted for: it is either
//! delivered to the output or dropped for a counted reason, so a lossy host is
//! visible on a dashboard instead of silently under-reporting.

mod collector;
mod counters;
mod db_metrics;
mod export_metrics;
mod exposition;
mod histogram;
mod http_metrics;
mod kernel_counters;
mod process;
mod resource;
mod series;
mod target_info;

use std::sync::Arc;

use prometheus_client::registry::Registry;
use sonde_common::EventKind;

use self::collector::AgentCollector;
pub use self::counters::DropReason;
use self::counters::UserCounters;
use self::db_metrics::DbCollector;
pub use self::db_metrics::DbMetrics;
use self::export_metrics::ExportCollector;
pub use self::export_metrics::{ExportDrop, ExportMetrics, Signal};
pub use self::exposition::{OPENMETRICS_TEXT, PROMETHEUS_TEXT};
use self::http_metrics::HttpCollector;
pub use self::http_metrics::{HttpMetrics, PipelineStats};
pub use self::kernel_counters::{KernelCounterSource, KernelCounters};
pub use self::resource::{agent_resource, parse_resource_attributes, percent_decode};
use self::target_info::{TargetInfo, TargetInfoCollector};

/// The agent's self-monitoring: hot-path counters plus a scrape-time view of
/// the kernel programs' counters, rendered for Prometheus.
///
/// Shared as `Arc<AgentMetrics>` between the ring readers (which count) and the
/// HTTP server (which renders). Counting is one relaxed atomic add.
///
/// # Invariant
///
/// For every `(probe, event)` pair, once the pipeline is idle:
///
/// ```text
/// sonde_events_seen_total
///     == sonde_events_delivered_total
///      + sonde_events_dropped_total{reason="ringbuf_full"}
///      + sonde_events_dropped_total{reason="channel_full"}
/// ```
///
/// While events are in flight `seen` may run ahead (userspace is read before
/// the kernel at each scrape, so it never runs behind). A gap that stays means
/// events are lost somewhere uncounted — a bug. Records that fail to decode have
/// no trustworthy kind; they are counted in `sonde_ringbuf_decode_errors_total`
/// and would show up as such a gap.
///
/// Events a program never saw are outside the invariant: the kernel skips a
/// program run when another BPF program is running on that CPU, and counts the
/// skip only in the program's `recursion_misses`, exported per program as
/// `sonde_program_missed_runs_total`.
///
/// Every pair of [`EventKind::ALL`] is exported from the start, at zero, so a
/// missing series never hides a drop. If the kernel counters cannot be read,
/// the kernel-derived series (`seen`, `dropped{reason="ringbuf_full"}`, the
/// reserve/conn-table/read-failure totals, the `sonde_program_*` families) are
/// left out of that scrape.
#[derive(Debug)]
pub struct AgentMetrics {
    counters: Arc<UserCounters>,
    http: Arc<HttpMetrics>,
    db: Arc<DbMetrics>,
    export: Arc<ExportMetrics>,
    target_info: Arc<TargetInfo>,
    registry: Registry,
}

impl AgentMetrics {
    /// Metrics whose kernel series come from `kernel`, read at each scrape.
    pub fn new(kernel: Box<dyn KernelCounterSource>) -> AgentMetrics {
        AgentMetrics::with_version(kernel, env!("CARGO_PKG_VERSION").to_owned())
    }

    /// As [`AgentMetrics::new`], with the `version` label of `sonde_build_info`
    /// given (tests use odd values to check label escaping).
    fn with_version(kernel: Box<dyn KernelCounterSource>, version: String) -> AgentMetrics {
        let counters = Arc::new(UserCounters::default());
        let mut registry = Registry::default();
        // First, as the OpenTelemetry exporters put it: it says whose series
        // follow.
        let target_info = Arc::new(TargetInfo::default());
        registry.register_collector(Box::new(TargetInfoCollector(Arc::clone(&target_info))));
        registry.register_collector(Box::new(AgentCollector::new(
            Arc::clone(&counters),
            kernel,
            version,
        )));
        let http = Arc::new(HttpMetrics::new());
        registry.register_collector(Box::new(HttpCollector(Arc::clone(&http))));
        let db = Arc::new(DbMetrics::new());
        registry.register_collector(Box::new(DbCollector(Arc::clone(&db))));
        let export = Arc::new(ExportMetrics::default());
        registry.register_collector(Box::new(ExportCollector(Arc::clone(&export))));
        AgentMetrics {
            counters,
            http,
            db,
            export,
            target_info,
            registry,
        }
    }

    /// These metrics with a `target_info` series whose labels are the
    /// resource `attributes` (OpenTelemetry keys such as `service.name`; see
    /// [`agent_resource`]), replacing any set before. An empty list removes
    /// the series.
    pub fn with_target_info(self, attributes: Vec<(String, String)>) -> AgentMetrics {
        self.target_info.set(&attributes);
        self
    }

    /// The HTTP request duration histograms, rendered after the agent's own
    /// series.
    pub fn http(&self) -> &HttpMetrics {
        &self.http
    }

    /// The database call histograms, rendered after the HTTP ones.
    pub fn db(&self) -> &DbMetrics {
        &self.db
    }

    /// What the OTLP exporter did, rendered after the database series.
    pub fn export(&self) -> &Arc<ExportMetrics> {
        &self.export
    }

    /// Counts a finished span the output had no room for.
    pub fn span_dropped(&self) {
        self.http.span_dropped();
    }

    /// Counts an event handed to the output.
    pub fn event_delivered(&self, kind: EventKind) {
        self.counters.delivered(kind);
    }

    /// Counts an event the agent dropped (normally [`DropReason::ChannelFull`];
    /// a [`DropReason::RingbufFull`] loss the agent learns of is added to the
    /// kernel's own count).
    pub fn event_dropped(&self, kind: EventKind, reason: DropReason) {
        self.counters.dropped(kind, reason);
    }

    /// Counts a ring buffer record that did not decode.
    pub fn decode_error(&self) {
        self.counters.decode_error();
    }

    /// Renders every series, reading the kernel counters now. Returns the
    /// content type and the body: OpenMetrics 1.0 text when `openmetrics`,
    /// else Prometheus' classic text format.
    pub fn render(&self, openmetrics: bool) -> (&'static str, String) {
        let mut body = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut body, &self.registry) {
            // Writing to a String cannot fail; an encoder error is a bug. Serve
            // what was encoded rather than nothing.
            tracing::error!(%error, "encoding /metrics failed");
        }
        if openmetrics {
            (OPENMETRICS_TEXT, body)
        } else {
            (PROMETHEUS_TEXT, exposition::to_prometheus_text(&body))
        }
    }
}

#[cfg(test)]
mod tests;
