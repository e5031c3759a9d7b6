//! Load generators for `cargo xtask bench`: each drives one part of the
//! agent with synthetic input, away from the capture path, so that part's
//! cost is measured alone.

pub mod export_load;
mod synthetic_spans;
mod thread_cpu;
