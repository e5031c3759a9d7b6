//! Issue 5's acceptance with a real OTLP/gRPC receiver (built from the
//! official protobuf definitions): the spans, metrics and log records the
//! agent exports for a known Django workload, through a collector outage,
//! and over TLS.
//!
//! The agent also prints its spans as JSON lines: those are "the spans the
//! workload produced", and the receiver must get exactly them (by span id),
//! with the HTTP spans matching what the client sent and the SQL spans
//! matching Django's own query log.

mod outage;
mod tls;
mod workload;

use std::collections::BTreeSet;
use std::time::Duration;

use sonde_tests::{events, otlp::OtlpReceiver, Agent};

/// How long telemetry may take to reach the receiver.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(30);

/// The ids of the agent's span lines.
fn printed_ids(agent: &Agent) -> BTreeSet<String> {
    agent
        .events_matching(|event| events::name(event) == "span")
        .iter()
        .filter_map(|event| Some(events::str_attr(event, "span_id")?.to_string()))
        .collect()
}

/// Waits until the agent has printed no new span and has had nothing to
/// export for 2 s, then returns the ids of the spans it printed. (Other
/// lines are not watched: reading /metrics is itself socket events.)
fn settle(agent: &Agent) -> BTreeSet<String> {
    let snapshot = || {
        (
            printed_ids(agent).len(),
            agent.metric("sonde_export_queued", &[("signal", "spans")]),
            agent.metric("sonde_export_exported_total", &[("signal", "spans")]),
        )
    };
    let mut last = snapshot();
    let mut since = std::time::Instant::now();
    let deadline = since + EXPORT_TIMEOUT;
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let now = snapshot();
        if now != last {
            last = now;
            since = std::time::Instant::now();
        } else if now.1 == Some(0.0) && since.elapsed() >= Duration::from_secs(2) {
            return printed_ids(agent);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the agent still prints spans or exports after {EXPORT_TIMEOUT:?}: {now:?}"
        );
    }
}

/// Polls `done` every 100 ms until it holds or `timeout` passes.
fn wait(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The ids of the spans the receiver got.
fn received_ids(receiver: &OtlpReceiver) -> BTreeSet<String> {
    receiver
        .spans()
        .into_iter()
        .map(|span| span.span_id)
        .collect()
}

/// `sonde_export_dropped_total` of `signal`, all reasons.
fn dropped(agent: &Agent, signal: &str) -> f64 {
    ["queue_full", "rejected", "shutdown", "export_failed"]
        .iter()
        .map(|reason| {
            agent
                .metric(
                    "sonde_export_dropped_total",
                    &[("signal", signal), ("reason", reason)],
                )
                .unwrap_or_else(|| {
                    panic!("no sonde_export_dropped_total{{signal={signal},reason={reason}}}")
                })
        })
        .sum()
}
