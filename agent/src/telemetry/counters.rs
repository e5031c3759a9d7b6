//! Counters the agent itself updates on the hot path: plain atomics, one slot
//! per event kind, so counting an event costs one relaxed `fetch_add`.

use std::sync::atomic::{AtomicU64, Ordering};

use sonde_common::EventKind;

use super::kernel_counters::KIND_SLOTS;

/// Why an event was lost, exported as the `reason` label of
/// `sonde_events_dropped_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The kernel could not reserve room in the ring buffer (the reader lagged).
    /// The kernel counts these itself; the agent adds any it learns of.
    RingbufFull,
    /// The ring reader could not hand the event on: the bounded channel to the
    /// next stage was full.
    ChannelFull,
    /// The event reached the output but could not be written (stdout closed).
    OutputError,
}

impl DropReason {
    /// Every reason, in the order they are exported.
    pub const ALL: [DropReason; 3] = [
        DropReason::RingbufFull,
        DropReason::ChannelFull,
        DropReason::OutputError,
    ];

    /// The `reason` label value.
    pub fn label(self) -> &'static str {
        match self {
            DropReason::RingbufFull => "ringbuf_full",
            DropReason::ChannelFull => "channel_full",
            DropReason::OutputError => "output_error",
        }
    }

    /// Row of this reason in [`UserCounters`]' drop table.
    fn index(self) -> usize {
        match self {
            DropReason::RingbufFull => 0,
            DropReason::ChannelFull => 1,
            DropReason::OutputError => 2,
        }
    }
}

/// The userspace half of the event accounting.
#[derive(Debug, Default)]
pub(super) struct UserCounters {
    delivered: [AtomicU64; KIND_SLOTS],
    dropped: [[AtomicU64; KIND_SLOTS]; DropReason::ALL.len()],
    decode_errors: AtomicU64,
}

/// A point-in-time copy of [`UserCounters`], taken once per scrape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct UserSnapshot {
    pub delivered: [u64; KIND_SLOTS],
    pub dropped: [[u64; KIND_SLOTS]; DropReason::ALL.len()],
    pub decode_errors: u64,
}

impl UserSnapshot {
    /// Events of `kind` the agent dropped for `reason`.
    pub fn dropped(&self, kind: EventKind, reason: DropReason) -> u64 {
        self.dropped[reason.index()][kind as usize]
    }

    /// Events dropped for `reason`, over all kinds.
    pub fn dropped_total(&self, reason: DropReason) -> u64 {
        self.dropped[reason.index()].iter().sum()
    }
}

impl UserCounters {
    /// Counts one event handed to the output.
    pub fn delivered(&self, kind: EventKind) {
        self.delivered[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one event lost in userspace.
    pub fn dropped(&self, kind: EventKind, reason: DropReason) {
        self.dropped[reason.index()][kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one ring record that did not decode.
    pub fn decode_error(&self) {
        self.decode_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Copies every counter. Relaxed loads are enough: each counter is
    /// monotonic on its own and no reader needs two of them to agree exactly.
    pub fn snapshot(&self) -> UserSnapshot {
        let load =
            |row: &[AtomicU64; KIND_SLOTS]| row.each_ref().map(|c| c.load(Ordering::Relaxed));
        UserSnapshot {
            delivered: load(&self.delivered),
            dropped: self.dropped.each_ref().map(load),
            decode_errors: self.decode_errors.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_kind_and_reason() {
        let counters = UserCounters::default();
        counters.delivered(EventKind::TcpConnect);
        counters.delivered(EventKind::TcpConnect);
        counters.dropped(EventKind::ProcessExit, DropReason::ChannelFull);
        counters.decode_error();
        let snap = counters.snapshot();
        assert_eq!(snap.delivered[EventKind::TcpConnect as usize], 2);
        assert_eq!(
            snap.dropped(EventKind::ProcessExit, DropReason::ChannelFull),
            1
        );
        assert_eq!(
            snap.dropped(EventKind::ProcessExit, DropReason::RingbufFull),
            0
        );
        assert_eq!(snap.dropped_total(DropReason::ChannelFull), 1);
        assert_eq!(snap.decode_errors, 1);
    }

    #[test]
    fn reason_labels() {
        assert_eq!(DropReason::RingbufFull.label(), "ringbuf_full");
        assert_eq!(DropReason::ChannelFull.label(), "channel_full");
    }
}
