//! Harness for sonde's integration tests: run the real agent (the release binary
//! named by `SONDE_BIN`) against real processes and compare what it reports with
//! what those processes say they did.
//!
//! - [`agent`]: start `sonde run`, collect its JSON lines, read `/metrics`, stop it.
//! - [`workload`]: run the `sonde-workload` binary of this crate and read its report.
//! - [`events`]: typed access to the agent's flat, dotted event attributes.
//! - [`metrics`]: the Prometheus text format, parsed just enough to read a series.
//! - [`http`]: a raw HTTP/1.0 GET.
//! - [`django`]: the Django test app under gunicorn or uwsgi, and its access log.
//! - [`databases`]: real PostgreSQL, MariaDB and Redis servers on loopback.
//! - [`django_db`]: the app with a database (`shop.settings_db`), its /db/
//!   views and its per-request query log.
//! - [`client`]: a raw HTTP/1.1 client and a driver for a known mix of requests.
//! - [`spans`]: the agent's HTTP span lines, checked against the span contract.
//! - [`red`]: the HTTP duration histograms on `/metrics`.
//! - [`prometheus`]: a real Prometheus server scraping the agent, and its API.
//! - [`command`]: run a command with a deadline.
//! - [`kernel`]: what `bpftool` and `/proc` say about global kernel state.
//! - [`otlp`]: a real OTLP/gRPC receiver (TLS, outages, injected errors) and
//!   flat views of the spans, logs and metrics it received.
//!
//! Tests that need the agent fail, never skip, when it is missing or cannot run.

pub mod agent;
pub mod client;
pub mod command;
pub mod databases;
pub mod django;
pub mod django_db;
pub mod events;
pub mod http;
pub mod kernel;
pub mod metrics;
pub mod otlp;
pub mod paths;
pub mod prometheus;
pub mod red;
pub mod spans;
pub mod workload;

pub use agent::{Agent, Stopped};
pub use workload::{Workload, WorkloadRun};

/// Path of this crate's `sonde-workload` binary, as Cargo builds it for
/// integration tests (only they get `CARGO_BIN_EXE_*`).
#[macro_export]
macro_rules! workload_bin {
    () => {
        env!("CARGO_BIN_EXE_sonde-workload")
    };
}
