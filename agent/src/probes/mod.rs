//! Loading, configuring and attaching the kernel programs.

pub mod attach;
pub mod calibrate;
pub mod counters;
pub mod kernel_offsets;
pub mod loader;
pub mod object;
pub mod program_stats;

pub use loader::{load, ProbeSettings, Probes};
pub mod tracefs;
