//! Writes events to stdout as log lines until the channel closes, and hands
//! spans and log records to the OTLP exporter.
//!
//! Runs on a thread of its own with plain blocking writes: tokio's async
//! stdout hands every write to its blocking pool, a thread hand-off per batch
//! that cost more than formatting the batch.

use std::{io::Write, sync::Arc};

use super::{batch::BatchReceiver, format::write_line, output::OutputRecord};
use crate::{
    cli::LogFormat,
    events::{clock::MonotonicClock, LogRecord},
    export::ExportHandle,
    telemetry::{AgentMetrics, DropReason},
    traces,
};

/// Where the writer sends what it gets.
pub struct Outputs<W> {
    pub format: LogFormat,
    pub stdout: W,
    pub export: Option<ExportHandle>,
}

/// Formats every batch from `batches` onto the output's stdout (flushing
/// after each so lines appear promptly), then hands its spans and records
/// to the exporter.
pub fn write_events<W: Write>(
    mut batches: BatchReceiver,
    mut outputs: Outputs<W>,
    clock: MonotonicClock,
    metrics: Arc<AgentMetrics>,
) {
    let format = outputs.format;
    let export_logs = outputs
        .export
        .as_ref()
        .is_some_and(ExportHandle::wants_logs);
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut broken = false;
    while let Some(batch) = batches.blocking_recv() {
        let mut records = Vec::new();
        let printing = format != LogFormat::None && !broken;
        buffer.clear();
        for record in &batch {
            match record {
                OutputRecord::Event(event) => {
                    if !printing && !export_logs {
                        continue;
                    }
                    let Some(record) = LogRecord::from_event(event, &clock) else {
                        continue;
                    };
                    if printing {
                        write_line(format, &record, &mut buffer);
                    }
                    if export_logs {
                        records.push(record);
                    }
                }
                OutputRecord::Span(span) if printing => {
                    match format {
                        LogFormat::Json => traces::write_json(span, &clock, &mut buffer),
                        LogFormat::Human => {
                            buffer.extend_from_slice(traces::to_human_line(span, &clock).as_bytes())
                        }
                        LogFormat::None => {}
                    }
                    buffer.push(b'\n');
                }
                OutputRecord::Span(_) => {}
            }
        }
        if broken {
            // stdout is gone: keep counting what cannot be shown.
            count(&batch, &metrics, Some(DropReason::OutputError));
        } else if !printing {
            count(&batch, &metrics, None);
        } else {
            let stdout = &mut outputs.stdout;
            match stdout.write_all(&buffer).and_then(|()| stdout.flush()) {
                Ok(()) => count(&batch, &metrics, None),
                Err(error) => {
                    tracing::error!(%error, "cannot write events to stdout; counting them as dropped from now on");
                    count(&batch, &metrics, Some(DropReason::OutputError));
                    broken = true;
                }
            }
        }
        if let Some(export) = &outputs.export {
            let spans = batch
                .into_iter()
                .filter_map(|record| match record {
                    OutputRecord::Span(span) => Some(span),
                    OutputRecord::Event(_) => None,
                })
                .collect();
            export.push_spans(spans);
            export.push_logs(records);
        }
    }
    let _ = outputs.stdout.flush();
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
