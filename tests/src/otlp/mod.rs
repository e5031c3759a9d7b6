//! A real OTLP/gRPC receiver for the export tests: the collector services of
//! the official protobuf definitions (`opentelemetry-proto`) served by tonic
//! on loopback, with optional TLS and mTLS, gzip accepted, and everything it
//! receives kept for assertions in flat views ([`ReceivedSpan`],
//! [`ReceivedLog`], [`ReceivedMetric`]).
//!
//! It can be stopped (a real outage: the port refuses connections) and
//! restarted on the same port, and told to answer the next calls with a gRPC
//! error ([`OtlpReceiver::fail_next`]) to exercise the exporter's retries.

mod attributes;
mod collector;
mod logs;
mod metrics;
mod receiver;
mod spans;
mod store;
mod tls;

pub use attributes::{AttrValue, Attributes};
pub use logs::ReceivedLog;
pub use metrics::{DataPoint, HistogramValue, MetricKind, PointValue, ReceivedMetric};
pub use opentelemetry_proto::tonic::{
    logs::v1::SeverityNumber,
    metrics::v1::AggregationTemporality,
    trace::v1::{span::SpanKind, status::StatusCode},
};
pub use receiver::{OtlpReceiver, ReceiverOptions};
pub use spans::ReceivedSpan;
pub use store::{Counts, ExportCall, Signal};
pub use tonic::Code;
