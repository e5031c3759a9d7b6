//! Metrics for OTLP: the observations /metrics shows, recorded into
//! OpenTelemetry SDK instruments with the semantic-convention names, units
//! and default bucket boundaries. Each service has its own meter provider,
//! hence its own resource; the export thread collects every provider's
//! reader at each interval.
//!
//! Recording happens on the flow pipeline's thread, which owns the
//! instruments; only the list of readers is shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use opentelemetry::metrics::{Histogram, Meter, MeterProvider as _};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{
    InstrumentKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
};
use opentelemetry_sdk::Resource;

use crate::http::exchange::Role;
use crate::telemetry::{ExportDrop, ExportMetrics, Signal};
use crate::traces::Span;

/// Semantic-convention boundaries of `http.*.request.duration`, seconds.
const HTTP_BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// Semantic-convention boundaries of `db.client.operation.duration`, seconds.
const DB_BOUNDARIES: [f64; 9] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];
/// Boundaries of the queries-per-request histogram (as on /metrics).
const QUERY_COUNT_BOUNDARIES: [f64; 11] = [
    0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0,
];
/// Services with instruments at most; beyond, new services' observations
/// are not exported (they stay on /metrics, which has its own cap).
const MAX_SERVICES: usize = 1024;

/// A reader both a meter provider and the export thread hold.
#[derive(Debug, Clone)]
pub struct SharedReader(Arc<ManualReader>);

impl MetricReader for SharedReader {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.0.register_pipeline(pipeline);
    }

    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// The readers of every provider, for the export thread.
pub type Readers = Arc<Mutex<Vec<SharedReader>>>;

/// Locks the readers (a panic elsewhere leaves the list usable).
pub fn lock_readers(readers: &Readers) -> std::sync::MutexGuard<'_, Vec<SharedReader>> {
    readers.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One service's instruments.
#[derive(Debug)]
struct ServiceMeters {
    // Keeps the instruments' pipeline alive.
    _provider: SdkMeterProvider,
    http_server: Histogram<f64>,
    http_client: Histogram<f64>,
    db: Histogram<f64>,
    queries_per_request: Histogram<u64>,
}

/// The OTLP instruments of every service.
#[derive(Debug)]
pub struct OtelMeters {
    common: Vec<KeyValue>,
    temporality: Temporality,
    services: HashMap<String, ServiceMeters>,
    readers: Readers,
    /// The agent's own meter provider, kept alive.
    agent: Option<SdkMeterProvider>,
}

impl OtelMeters {
    /// Instruments exporting with `temporality`, their resources carrying
    /// `common` attributes besides `service.name`.
    pub fn new(common: Vec<KeyValue>, temporality: Temporality, readers: Readers) -> OtelMeters {
        OtelMeters {
            common,
            temporality,
            services: HashMap::new(),
            readers,
            agent: None,
        }
    }

    fn service(&mut self, name: &str) -> Option<&ServiceMeters> {
        if !self.services.contains_key(name) {
            if self.services.len() >= MAX_SERVICES {
                return None;
            }
            let meters = self.make_service(name);
            self.services.insert(name.to_string(), meters);
        }
        self.services.get(name)
    }

    /// A meter provider whose resource is `attributes` plus the common
    /// ones, with a reader the export thread collects.
    fn provider(&self, attributes: impl IntoIterator<Item = KeyValue>) -> SdkMeterProvider {
        let reader = SharedReader(Arc::new(
            ManualReader::builder()
                .with_temporality(self.temporality)
                .build(),
        ));
        let resource = Resource::builder_empty()
            .with_attributes(attributes)
            .with_attributes(self.common.iter().cloned())
            .build();
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(reader.clone())
            .build();
        lock_readers(&self.readers).push(reader);
        provider
    }

    fn make_service(&self, name: &str) -> ServiceMeters {
        let provider = self.provider([KeyValue::new("service.name", name.to_string())]);
        let meter = provider.meter_with_scope(scope());
        ServiceMeters {
            http_server: duration(&meter, "http.server.request.duration", "Duration of HTTP server requests.", &HTTP_BOUNDARIES),
            http_client: duration(&meter, "http.client.request.duration", "Duration of HTTP client requests.", &HTTP_BOUNDARIES),
            db: duration(&meter, "db.client.operation.duration", "Duration of database client operations.", &DB_BOUNDARIES),
            queries_per_request: meter
                .u64_histogram("sonde.http.server.request.db_queries")
                .with_description("SQL queries each inbound HTTP request made (transaction control and session settings left out).")
                .with_unit("{query}")
                .with_boundaries(QUERY_COUNT_BOUNDARIES.to_vec())
                .build(),
            _provider: provider,
        }
    }

    /// The agent's own telemetry, under `service.name=sonde`: what the
    /// exporter did. Read when collected.
    pub fn observe_agent(&mut self, export: Arc<ExportMetrics>) {
        let provider = self.provider([
            KeyValue::new("service.name", "sonde"),
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("process.pid", i64::from(std::process::id())),
        ]);
        let meter = provider.meter_with_scope(scope());
        let exported = export.clone();
        let _ = meter
            .u64_observable_counter("sonde.export.exported")
            .with_description(
                "Spans, log records and metric data points the OTLP collector accepted.",
            )
            .with_callback(move |observer| {
                for signal in Signal::ALL {
                    let signal_label = KeyValue::new("signal", signal.label());
                    observer.observe(exported.exported_total(signal), &[signal_label]);
                }
            })
            .build();
        let _ = meter
            .u64_observable_counter("sonde.export.dropped")
            .with_description(
                "Spans, log records and metric data points the OTLP exporter gave up, by reason.",
            )
            .with_callback(move |observer| {
                for signal in Signal::ALL {
                    for reason in ExportDrop::ALL {
                        let labels = [
                            KeyValue::new("signal", signal.label()),
                            KeyValue::new("reason", reason.label()),
                        ];
                        observer.observe(export.dropped_total(signal, reason), &labels);
                    }
                }
            })
            .build();
        self.agent = Some(provider);
    }

    /// Records a finished HTTP span of `service`.
    pub fn record_http(&mut self, span: &Span, service: &str) {
        let Some(meters) = self.service(service) else {
            return;
        };
        let (instrument, keys): (_, &[&'static str]) = match span.kind {
            Role::Server => (
                &meters.http_server,
                &[
                    "http.request.method",
                    "http.route",
                    "http.response.status_code",
                    "server.port",
                ],
            ),
            Role::Client => (
                &meters.http_client,
                &[
                    "http.request.method",
                    "http.response.status_code",
                    "server.address",
                    "server.port",
                ],
            ),
        };
        instrument.record(seconds(span), &attributes(span, keys));
    }

    /// Records a finished database span of `service`.
    pub fn record_db(&mut self, span: &Span, service: &str) {
        let Some(meters) = self.service(service) else {
            return;
        };
        const KEYS: [&str; 5] = [
            "db.system.name",
            "db.operation.name",
            "db.namespace",
            "server.address",
            "server.port",
        ];
        meters.db.record(seconds(span), &attributes(span, &KEYS));
    }

    /// Records the SQL queries an inbound request of `service` made.
    pub fn record_request_queries(&mut self, server_span: &Span, service: &str, queries: u64) {
        let Some(meters) = self.service(service) else {
            return;
        };
        let mut attributes = Vec::with_capacity(2);
        for key in ["http.request.method", "http.route"] {
            if let Some(value) = server_span.str_attribute(key) {
                attributes.push(KeyValue::new(key, value.to_string()));
            }
        }
        meters.queries_per_request.record(queries, &attributes);
    }
}

/// The instrumentation scope of everything sonde reports.
pub fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("sonde")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

fn duration(
    meter: &Meter,
    name: &'static str,
    description: &'static str,
    bounds: &[f64],
) -> Histogram<f64> {
    meter
        .f64_histogram(name)
        .with_description(description)
        .with_unit("s")
        .with_boundaries(bounds.to_vec())
        .build()
}

fn seconds(span: &Span) -> f64 {
    span.duration_ns() as f64 / 1e9
}

/// The span's values of `keys` (those it has), plus `error.type`.
fn attributes(span: &Span, keys: &[&'static str]) -> Vec<KeyValue> {
    let mut attributes = Vec::with_capacity(keys.len() + 1);
    for &key in keys {
        if let Some(value) = span.str_attribute(key) {
            attributes.push(KeyValue::new(key, value.to_string()));
        } else if let Some(value) = span.int_attribute(key) {
            attributes.push(KeyValue::new(key, value));
        }
    }
    if let Some(error_type) = &span.error_type {
        attributes.push(KeyValue::new("error.type", error_type.clone()));
    }
    attributes
}
