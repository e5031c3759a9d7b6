//! Writes events to stdout as log lines until the channel closes.

use std::sync::Arc;

use tokio::{
    io::{AsyncWrite, AsyncWriteExt},
    sync::mpsc,
};

use super::format::write_line;
use crate::{
    cli::LogFormat,
    events::{clock::MonotonicClock, KernelEvent, LogRecord},
    telemetry::{AgentMetrics, DropReason},
};

/// Formats every event from `events` onto `out`, flushing whenever the
/// channel is momentarily empty so lines appear promptly.
pub async fn write_events<W: AsyncWrite + Unpin>(
    mut events: mpsc::Receiver<KernelEvent>,
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
            for event in &batch {
                metrics.event_dropped(event.kind(), DropReason::OutputError);
            }
            continue;
        }
        buffer.clear();
        for event in &batch {
            if let Some(record) = LogRecord::from_event(event, &clock) {
                write_line(format, &record, &mut buffer);
            }
        }
        let written = async {
            out.write_all(&buffer).await?;
            out.flush().await
        };
        match written.await {
            Ok(()) => batch.iter().for_each(|e| metrics.event_delivered(e.kind())),
            Err(error) => {
                tracing::error!(%error, "cannot write events to stdout; counting them as dropped from now on");
                batch
                    .iter()
                    .for_each(|e| metrics.event_dropped(e.kind(), DropReason::OutputError));
                broken = true;
            }
        }
    }
    let _ = out.flush().await;
}
