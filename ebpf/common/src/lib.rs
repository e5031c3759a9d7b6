//! Types shared by sonde's kernel programs (`sonde-probes`) and its agent.
//!
//! Everything here is `#[repr(C)]` with explicit padding so both sides agree on
//! the layout byte for byte. Decoding into richer types happens on the user side.
#![no_std]

pub mod classify;
pub mod config;
pub mod counters;
pub mod event;

pub use config::*;
pub use counters::*;
pub use event::*;
