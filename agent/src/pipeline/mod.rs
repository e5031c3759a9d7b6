//! kernel ring buffer → reader (+ protocol pipelines, inline) → batches →
//! writer thread → stdout.
//!
//! The reader never waits for the writer: when too many records wait, a
//! batch is dropped and counted (`sonde_events_dropped_total{reason="channel_full"}`).

pub mod batch;
pub mod format;
pub mod output;
pub mod reader;
pub mod writer;
