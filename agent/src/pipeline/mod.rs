//! kernel ring buffer → reader → bounded channel → writer → stdout.
//!
//! The reader never waits for the writer: when the channel is full the event
//! is dropped and counted (`sonde_events_dropped_total{reason="channel_full"}`).

pub mod format;
pub mod output;
pub mod reader;
pub mod writer;
