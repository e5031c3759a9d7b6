//! Tests that run the real agent (`SONDE_BIN`, else target/release/sonde) against
//! real processes. They are one test binary so that they share one lock: no two
//! agents (nor `sonde check`) ever run at the same time, which the tests that look
//! at global kernel state with bpftool rely on.

mod check;
mod filters;
mod lifecycle;
mod process;
mod storm;
mod tcp;

use sonde_tests::{workload_bin, Workload};

/// The comm of every workload process, and the `--comm` filter most tests use.
pub const WORKLOAD_COMM: &str = "sonde-workload";

pub fn workload() -> Workload {
    Workload::new(workload_bin!())
}
