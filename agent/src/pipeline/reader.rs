//! Reads the kernel's `EVENTS` ring buffer without ever blocking on consumers.

use std::sync::Arc;

use aya::maps::{MapData, RingBuf};
use tokio::{
    io::unix::AsyncFd,
    sync::{mpsc, watch},
};

use sonde_common::EventKind;

use super::output::OutputRecord;
use crate::{
    events::{decode, KernelEvent},
    telemetry::{AgentMetrics, DropReason},
};

/// Where decoded events go: the log, or the protocol parsers.
pub struct Outlets {
    pub log: mpsc::Sender<OutputRecord>,
    /// Flow events, plus process exec/exit so cached identities are dropped.
    pub flows: mpsc::Sender<KernelEvent>,
}

/// How often the ring is drained when the kernel does not wake us.
const DRAIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10);

/// Forwards every record of `ring` to its outlet until `stop` turns true,
/// then drains what is left in the ring and returns.
pub async fn read_ring(
    ring: RingBuf<MapData>,
    events: Outlets,
    metrics: Arc<AgentMetrics>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    // SAFETY: the RingBuf owns its map fd and is moved into the AsyncFd, so the
    // fd stays open for as long as it is registered.
    let mut ring = unsafe { AsyncFd::register_with_interest(ring, tokio::io::Interest::READABLE)? };
    // The kernel programs only wake us when a lot is waiting (see
    // ebpf/probes/src/emit.rs); the rest is drained on this tick.
    let mut tick = tokio::time::interval(DRAIN_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => drain(ring.get_mut(), &events, &metrics),
            guard = ring.readable_mut() => {
                let mut guard = guard?;
                drain(guard.get_inner_mut(), &events, &metrics);
                guard.clear_ready();
            }
            _ = stop.wait_for(|stop| *stop) => {
                drain(ring.get_mut(), &events, &metrics);
                return Ok(());
            }
        }
    }
}

fn drain(ring: &mut RingBuf<MapData>, events: &Outlets, metrics: &AgentMetrics) {
    while let Some(record) = ring.next() {
        match decode(&record) {
            Ok(event) => {
                let kind = event.kind();
                if matches!(kind, EventKind::ProcessExec | EventKind::ProcessExit) {
                    // The HTTP pipeline forgets what it knew of the process;
                    // the log still gets the event, so a full channel loses nothing.
                    let _ = events.flows.try_send(event.clone());
                }
                let sent = if event.is_flow() {
                    events.flows.try_send(event).is_ok()
                } else {
                    events.log.try_send(OutputRecord::Event(event)).is_ok()
                };
                if !sent {
                    metrics.event_dropped(kind, DropReason::ChannelFull);
                }
            }
            Err(error) => {
                tracing::debug!(%error, "undecodable ring-buffer record");
                metrics.decode_error();
            }
        }
    }
}
