//! Reads the kernel's `EVENTS` ring buffer without ever blocking on consumers.
//!
//! Flow events go through the flow pipeline right here, in the same task:
//! it is CPU work of a few microseconds per event, and a hand-off to another
//! task or thread per batch cost more than that at low rates. Log events
//! and the spans it finishes leave in one batch per drain.

use std::{sync::Arc, time::Duration};

use aya::maps::{MapData, RingBuf};
use tokio::{io::unix::AsyncFd, sync::watch};

use super::{
    batch::{BatchSender, MAX_BATCH},
    output::OutputRecord,
};
use crate::export::OtelMeters;
use crate::{
    events::{clock::monotonic_now_ns, decode, KernelEvent},
    flows::pipeline::FlowPipeline,
    telemetry::{AgentMetrics, DropReason},
    traces::Span,
};

/// How often the ring is drained when the kernel does not wake us (it does
/// once 256 KiB wait, see ebpf/probes/src/emit.rs). Each drain costs a
/// wakeup; events are at most this late.
const DRAIN_INTERVAL: Duration = Duration::from_millis(50);
/// How often the pipeline's gauges are refreshed.
const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// How often idle connections are looked for.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(60);

/// The reader's state: where records go and what they pass through.
struct Reader {
    output: BatchSender,
    metrics: Arc<AgentMetrics>,
    flows: FlowPipeline,
    batch: Vec<OutputRecord>,
    spans: Vec<Span>,
}

/// Forwards every record of `ring` until `stop` turns true, then drains
/// what is left in the ring and returns.
pub async fn read_ring(
    ring: RingBuf<MapData>,
    output: BatchSender,
    metrics: Arc<AgentMetrics>,
    otel: Option<OtelMeters>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    // SAFETY: the RingBuf owns its map fd and is moved into the AsyncFd, so the
    // fd stays open for as long as it is registered.
    let mut ring = unsafe { AsyncFd::register_with_interest(ring, tokio::io::Interest::READABLE)? };
    let mut reader = Reader {
        output,
        flows: FlowPipeline::new(metrics.clone(), otel),
        metrics,
        batch: Vec::new(),
        spans: Vec::new(),
    };
    let mut drain_tick = interval(DRAIN_INTERVAL);
    let mut stats_tick = interval(STATS_INTERVAL);
    let mut expiry_tick = interval(EXPIRY_INTERVAL);
    loop {
        tokio::select! {
            _ = drain_tick.tick() => reader.drain(ring.get_mut()),
            guard = ring.readable_mut() => {
                let mut guard = guard?;
                reader.drain(guard.get_inner_mut());
                guard.clear_ready();
            }
            _ = stats_tick.tick() => {
                reader.flows.publish_stats();
            }
            _ = expiry_tick.tick() => {
                reader.flows.expire_idle(monotonic_now_ns(), &mut reader.spans);
                reader.flush();
            }
            _ = stop.wait_for(|stop| *stop) => {
                reader.drain(ring.get_mut());
                return Ok(());
            }
        }
    }
}

fn interval(period: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

impl Reader {
    fn drain(&mut self, ring: &mut RingBuf<MapData>) {
        while let Some(record) = ring.next() {
            match decode(&record) {
                Ok(event) => self.route(event),
                Err(error) => {
                    tracing::debug!(%error, "undecodable ring-buffer record");
                    self.metrics.decode_error();
                }
            }
            if self.batch.len() >= MAX_BATCH {
                self.flush();
            }
        }
        self.flush();
    }

    fn route(&mut self, event: KernelEvent) {
        if event.is_flow() {
            self.metrics.event_delivered(event.kind());
            self.flows.handle(&event, &mut self.spans);
            self.batch
                .extend(self.spans.drain(..).map(OutputRecord::Span));
            if let Some(accept) = event.folded_accept() {
                self.batch.push(OutputRecord::Event(accept));
            }
            return;
        }
        if matches!(event, KernelEvent::Process(..)) || event.closed_flow().is_some() {
            // The pipeline forgets what it knew of the process, or ends the
            // flow the connection's close ends.
            self.flows.handle(&event, &mut self.spans);
        }
        self.batch.push(OutputRecord::Event(event));
    }

    /// Hands the batch to the writer, or counts it dropped.
    fn flush(&mut self) {
        self.batch
            .extend(self.spans.drain(..).map(OutputRecord::Span));
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(256));
        if let Err(refused) = self.output.send(batch) {
            for record in refused {
                match record {
                    OutputRecord::Event(event) => self
                        .metrics
                        .event_dropped(event.kind(), DropReason::ChannelFull),
                    OutputRecord::Span(_) => self.metrics.span_dropped(),
                }
            }
        }
    }
}
