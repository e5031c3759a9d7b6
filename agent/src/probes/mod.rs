//! Loading, configuring and attaching the kernel programs.

pub mod kernel_offsets;
pub mod attach;
pub mod counters;
pub mod loader;
pub mod object;

pub use loader::{load, Probes, ProbeSettings};
pub mod tracefs;
