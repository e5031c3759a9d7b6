//! The OTLP receiver of `sonde_tests::otlp`, checked with the OTLP client the
//! agent uses (opentelemetry-otlp over tonic): what it stores and shows, gzip,
//! metadata, injected errors, TLS and mTLS, stop and restart. No agent, no
//! root: loopback only.

mod outage;
mod signals;
mod tls;

use std::{
    borrow::Cow,
    time::{Duration, SystemTime},
};

use opentelemetry::{
    trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState},
    InstrumentationScope, KeyValue,
};
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::{
    error::OTelSdkResult,
    trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks},
    Resource,
};
use tokio::runtime::Runtime;

/// What an export may take before the test calls it failed.
pub const EXPORT_TIMEOUT: Duration = Duration::from_secs(3);
/// What a receiver may take to show what was exported.
pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The client side's runtime: tonic's channels live on it.
pub fn client_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("build the client's tokio runtime")
}

/// The resource every test exports with.
pub fn resource() -> Resource {
    Resource::builder_empty()
        .with_service_name("shop")
        .with_attribute(KeyValue::new("host.name", "test-host"))
        .with_attribute(KeyValue::new("process.pid", 4242_i64))
        .build()
}

/// A span exporter to `endpoint` (built on `runtime`), with `configure`
/// applied to its tonic builder; the resource is [`resource`].
pub fn span_exporter(
    runtime: &Runtime,
    endpoint: &str,
    configure: impl FnOnce(
        opentelemetry_otlp::SpanExporterBuilder<opentelemetry_otlp::TonicExporterBuilderSet>,
    ) -> opentelemetry_otlp::SpanExporterBuilder<
        opentelemetry_otlp::TonicExporterBuilderSet,
    >,
) -> SpanExporter {
    let _entered = runtime.enter();
    let builder = SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(EXPORT_TIMEOUT);
    let mut exporter = configure(builder)
        .build()
        .expect("build the OTLP span exporter");
    exporter.set_resource(&resource());
    exporter
}

/// Exports `spans` through `exporter`, waiting for the answer.
pub fn export(runtime: &Runtime, exporter: &SpanExporter, spans: Vec<SpanData>) -> OTelSdkResult {
    runtime.block_on(exporter.export(spans))
}

/// A finished span of trace `trace`, with id `id` and parent `parent` (0:
/// none), started at `start` and lasting 2 ms.
pub fn span(trace: u128, id: u64, parent: u64, name: &'static str, start: SystemTime) -> SpanData {
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(trace),
            SpanId::from(id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::from(parent),
        parent_span_is_remote: false,
        span_kind: if parent == 0 {
            SpanKind::Server
        } else {
            SpanKind::Client
        },
        name: Cow::Borrowed(name),
        start_time: start,
        end_time: start + Duration::from_millis(2),
        attributes: vec![
            KeyValue::new("http.route", "/orders/<id>"),
            KeyValue::new("http.response.status_code", 200_i64),
            KeyValue::new("sonde.test.ratio", 0.5),
            KeyValue::new("sonde.test.flag", true),
        ],
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("sonde-test").build(),
    }
}

/// One root span: enough to tell whether an export went through.
pub fn one_span(name: &'static str) -> Vec<SpanData> {
    vec![span(0xabc, 0x1, 0, name, SystemTime::now())]
}
