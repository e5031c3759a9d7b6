//! Writes events to stdout as log lines until the channel closes.
//!
//! Runs on a thread of its own with plain blocking writes: tokio's async
//! stdout hands every write to its blocking pool, a thread hand-off per batch
//! that cost more than formatting the batch.

use std::{io::Write, sync::Arc};

use super::{batch::BatchReceiver, format::write_line, output::OutputRecord};
use crate::{
    cli::LogFormat,
    events::{clock::MonotonicClock, LogRecord},
    telemetry::{AgentMetrics, DropReason},
    traces,
};

/// Formats every batch from `batches` onto `out`, flushing after each so
/// lines appear promptly.
pub fn write_events<W: Write>(
    mut batches: BatchReceiver,
    format: LogFormat,
    clock: MonotonicClock,
    metrics: Arc<AgentMetrics>,
    mut out: W,
) {
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut broken = false;
    while let Some(batch) = batches.blocking_recv() {
        if broken {
            // stdout is gone: keep counting what cannot be shown.
            count(&batch, &metrics, Some(DropReason::OutputError));
            continue;
        }
        buffer.clear();
        for record in &batch {
            match record {
                OutputRecord::Event(event) => {
                    if let Some(record) = LogRecord::from_event(event, &clock) {
                        write_line(format, &record, &mut buffer);
                    }
                }
                OutputRecord::Span(span) => {
                    match format {
                        LogFormat::Json => traces::write_json(span, &clock, &mut buffer),
                        LogFormat::Human => {
                            buffer.extend_from_slice(traces::to_human_line(span, &clock).as_bytes())
                        }
                    }
                    buffer.push(b'\n');
                }
            }
        }
        let written = out.write_all(&buffer).and_then(|()| out.flush());
        match written {
            Ok(()) => count(&batch, &metrics, None),
            Err(error) => {
                tracing::error!(%error, "cannot write events to stdout; counting them as dropped from now on");
                count(&batch, &metrics, Some(DropReason::OutputError));
                broken = true;
            }
        }
    }
    let _ = out.flush();
}

/// Counts a batch as delivered, or as dropped for `reason`.
fn count(batch: &[OutputRecord], metrics: &AgentMetrics, dropped: Option<DropReason>) {
    for record in batch {
        match (record, dropped) {
            (OutputRecord::Event(event), None) => metrics.event_delivered(event.kind()),
            (OutputRecord::Event(event), Some(reason)) => {
                metrics.event_dropped(event.kind(), reason)
            }
            (OutputRecord::Span(_), None) => {}
            (OutputRecord::Span(_), Some(_)) => metrics.span_dropped(),
        }
    }
}
