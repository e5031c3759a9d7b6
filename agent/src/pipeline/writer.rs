//! Writes events to stdout as log lines until the channel closes.

use std::sync::Arc;

use tokio::{
    io::{AsyncWrite, AsyncWriteExt},
    sync::mpsc,
};

use super::{format::write_line, output::OutputRecord};
use crate::{
    cli::LogFormat,
    events::{clock::MonotonicClock, LogRecord},
    telemetry::{AgentMetrics, DropReason},
    traces,
};

/// Formats every event from `events` onto `out`, flushing whenever the
/// channel is momentarily empty so lines appear promptly.
pub async fn write_events<W: AsyncWrite + Unpin>(
    mut events: mpsc::Receiver<OutputRecord>,
    format: LogFormat,
    clock: MonotonicClock,
    metrics: Arc<AgentMetrics>,
    mut out: W,
) {
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut broken = false;
    while let Some(event) = events.recv().await {
        let mut batch = vec![event];
        while batch.len() < 1024 {
            match events.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
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
                    let line = match format {
                        LogFormat::Json => traces::to_json_line(span, &clock),
                        LogFormat::Human => traces::to_human_line(span, &clock),
                    };
                    buffer.extend_from_slice(line.as_bytes());
                    buffer.push(b'\n');
                }
            }
        }
        let written = async {
            out.write_all(&buffer).await?;
            out.flush().await
        };
        match written.await {
            Ok(()) => count(&batch, &metrics, None),
            Err(error) => {
                tracing::error!(%error, "cannot write events to stdout; counting them as dropped from now on");
                count(&batch, &metrics, Some(DropReason::OutputError));
                broken = true;
            }
        }
    }
    let _ = out.flush().await;
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
