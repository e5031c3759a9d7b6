//! Spans, logs and metrics, as the receiver shows them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::{
    logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity},
    metrics::MeterProvider as _,
    KeyValue,
};
use opentelemetry_otlp::{
    tonic_types::metadata::MetadataMap, Compression, LogExporter, MetricExporter, RetryPolicy,
    WithExportConfig, WithTonicConfig,
};
use opentelemetry_sdk::{logs::SdkLoggerProvider, metrics::SdkMeterProvider};
use sonde_tests::otlp::{
    AggregationTemporality, AttrValue, Code, MetricKind, OtlpReceiver, ReceiverOptions,
    SeverityNumber, Signal, SpanKind, StatusCode,
};

use crate::{
    client_runtime, export, one_span, resource, span, span_exporter, EXPORT_TIMEOUT,
    RECEIVE_TIMEOUT,
};

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).expect("after 1970").as_nanos() as u64
}

#[test]
fn spans_keep_ids_parent_links_attributes_and_resource() {
    let receiver = OtlpReceiver::start(ReceiverOptions::default());
    let runtime = client_runtime();
    let exporter = span_exporter(&runtime, &receiver.endpoint(), |b| b);
    let start = SystemTime::now();
    let trace = 0x0123_4567_89ab_cdef_0011_2233_4455_6677;
    export(
        &runtime,
        &exporter,
        vec![
            span(trace, 0x1111, 0, "GET /orders/<id>", start),
            span(trace, 0x2222, 0x1111, "SELECT shop", start),
        ],
    )
    .expect("export two spans to the receiver");

    let spans = receiver.spans();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let root = &spans[0];
    assert_eq!(root.trace_id, "0123456789abcdef0011223344556677");
    assert_eq!(root.span_id, "0000000000001111");
    assert_eq!(root.parent_span_id, None);
    assert_eq!(root.name, "GET /orders/<id>");
    assert_eq!(root.kind, SpanKind::Server);
    assert_eq!(root.status_code, StatusCode::Unset);
    assert_eq!(root.start_unix_nanos, nanos(start));
    assert_eq!(root.end_unix_nanos, nanos(start) + 2_000_000);
    assert_eq!(root.str_attr("http.route"), Some("/orders/<id>"));
    assert_eq!(
        root.attributes["http.response.status_code"],
        AttrValue::Int(200)
    );
    assert_eq!(root.attributes["sonde.test.ratio"], AttrValue::Double(0.5));
    assert_eq!(root.attributes["sonde.test.flag"], AttrValue::Bool(true));
    assert_eq!(root.resource_str("service.name"), Some("shop"));
    assert_eq!(root.resource_str("host.name"), Some("test-host"));
    assert_eq!(root.resource["process.pid"], AttrValue::Int(4242));
    assert_eq!(root.scope_name, "sonde-test");

    let child = &spans[1];
    assert_eq!(child.trace_id, root.trace_id);
    assert_eq!(child.parent_span_id.as_deref(), Some(root.span_id.as_str()));
    assert_eq!(child.kind, SpanKind::Client);
    assert_eq!(receiver.requests(Signal::Traces), 1);
    assert_eq!(receiver.items(Signal::Traces), 2);
    assert_eq!(receiver.requests(Signal::Logs), 0);
}

#[test]
fn gzip_requests_and_their_metadata_are_received() {
    let receiver = OtlpReceiver::start(ReceiverOptions::default());
    let runtime = client_runtime();
    let mut metadata = MetadataMap::new();
    metadata.insert("x-sonde-tenant", "acme".parse().expect("ascii metadata"));
    let exporter = span_exporter(&runtime, &receiver.endpoint(), |b| {
        b.with_compression(Compression::Gzip)
            .with_metadata(metadata)
    });
    export(&runtime, &exporter, one_span("gzipped")).expect("export a gzip request");

    assert_eq!(receiver.spans()[0].name, "gzipped");
    let calls = receiver.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].signal, Signal::Traces);
    assert_eq!(
        calls[0].metadata.get("grpc-encoding").map(String::as_str),
        Some("gzip")
    );
    assert_eq!(
        calls[0].metadata.get("x-sonde-tenant").map(String::as_str),
        Some("acme")
    );
}

#[test]
fn injected_errors_refuse_calls_and_retries_get_through() {
    let receiver = OtlpReceiver::start(ReceiverOptions::default());
    let runtime = client_runtime();
    let fast_retries = RetryPolicy::recommended()
        .with_max_retries(3)
        .with_initial_delay(Duration::from_millis(10))
        .with_max_delay(Duration::from_millis(50));

    // Unavailable is retryable: two refusals, then the third call is kept.
    receiver.fail_next(Signal::Traces, Code::Unavailable, 2);
    let exporter = span_exporter(&runtime, &receiver.endpoint(), |b| {
        b.with_retry_policy(fast_retries)
    });
    export(&runtime, &exporter, one_span("retried")).expect("the third try is accepted");
    assert_eq!(receiver.requests(Signal::Traces), 3);
    let refused: Vec<_> = receiver.calls().iter().map(|c| c.refused_with).collect();
    assert_eq!(
        refused,
        [Some(Code::Unavailable), Some(Code::Unavailable), None]
    );
    assert_eq!(receiver.spans().len(), 1, "stored once");

    // InvalidArgument is not: the export fails at once and nothing is kept.
    receiver.clear();
    receiver.fail_next(Signal::Traces, Code::InvalidArgument, 1);
    export(&runtime, &exporter, one_span("rejected"))
        .expect_err("an InvalidArgument answer fails the export");
    assert_eq!(receiver.requests(Signal::Traces), 1);
    assert!(receiver.spans().is_empty());
}

#[test]
fn log_records_keep_severity_body_event_name_and_trace_context() {
    let receiver = OtlpReceiver::start(ReceiverOptions::default());
    let runtime = client_runtime();
    let exporter = {
        let _entered = runtime.enter();
        LogExporter::builder()
            .with_tonic()
            .with_endpoint(receiver.endpoint())
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .expect("build the OTLP log exporter")
    };
    // The simple processor exports on emit, blocking this (non-runtime) thread.
    let provider = SdkLoggerProvider::builder()
        .with_simple_exporter(exporter)
        .with_resource(resource())
        .build();
    let logger = provider.logger("sonde-test");
    let mut record = logger.create_log_record();
    let time = SystemTime::now();
    record.set_timestamp(time);
    record.set_event_name("process.exit");
    record.set_severity_number(Severity::Warn);
    record.set_severity_text("WARN");
    record.set_body(AnyValue::from("worker 12 exited"));
    record.add_attribute("process.exit.code", 3_i64);
    record.set_trace_context(
        opentelemetry::trace::TraceId::from(0xfeed_u128),
        opentelemetry::trace::SpanId::from(0xbeef_u64),
        None,
    );
    logger.emit(record);

    assert!(
        receiver.wait_for(RECEIVE_TIMEOUT, |r| !r.logs().is_empty()),
        "no log record arrived"
    );
    provider.shutdown().expect("shut the logger provider down");
    let logs = receiver.logs();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    let log = &logs[0];
    assert_eq!(log.time_unix_nanos, nanos(time));
    assert_eq!(log.severity_number, SeverityNumber::Warn);
    assert_eq!(log.severity_text, "WARN");
    assert_eq!(log.body_str(), Some("worker 12 exited"));
    assert_eq!(log.event_name.as_deref(), Some("process.exit"));
    assert_eq!(log.attributes["process.exit.code"], AttrValue::Int(3));
    assert_eq!(
        log.trace_id.as_deref(),
        Some("0000000000000000000000000000feed")
    );
    assert_eq!(log.span_id.as_deref(), Some("000000000000beef"));
    assert_eq!(
        log.resource.get("service.name").and_then(AttrValue::as_str),
        Some("shop")
    );
    assert_eq!(log.scope_name, "sonde-test");
    assert_eq!(receiver.requests(Signal::Logs), 1);
    assert_eq!(receiver.items(Signal::Logs), 1);
}

#[test]
fn metric_points_keep_counts_buckets_and_temporality() {
    let receiver = OtlpReceiver::start(ReceiverOptions::default());
    let runtime = client_runtime();
    let exporter = {
        let _entered = runtime.enter();
        MetricExporter::builder()
            .with_tonic()
            .with_endpoint(receiver.endpoint())
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .expect("build the OTLP metric exporter")
    };
    let provider = SdkMeterProvider::builder()
        .with_periodic_exporter(exporter)
        .with_resource(resource())
        .build();
    let meter = provider.meter("sonde-test");
    let duration = meter
        .f64_histogram("http.server.request.duration")
        .with_unit("s")
        .with_boundaries(vec![0.01, 0.1, 1.0])
        .build();
    let route = [KeyValue::new("http.route", "/orders/<id>")];
    for seconds in [0.005, 0.05, 0.07, 2.0] {
        duration.record(seconds, &route);
    }
    let dropped = meter.u64_counter("sonde.export.dropped").build();
    dropped.add(7, &[KeyValue::new("signal", "traces")]);
    // Collects and exports now, from this (non-runtime) thread.
    provider.force_flush().expect("export the metrics");
    provider.shutdown().expect("shut the meter provider down");

    let metrics = receiver.metrics();
    let histogram = metrics
        .iter()
        .find(|m| m.name == "http.server.request.duration")
        .unwrap_or_else(|| panic!("no duration histogram in {metrics:#?}"));
    assert_eq!(histogram.unit, "s");
    assert_eq!(histogram.kind, MetricKind::Histogram);
    assert_eq!(
        histogram.temporality,
        Some(AggregationTemporality::Cumulative)
    );
    assert_eq!(
        histogram
            .resource
            .get("service.name")
            .and_then(AttrValue::as_str),
        Some("shop")
    );
    assert_eq!(histogram.points.len(), 1);
    let point = &histogram.points[0];
    assert_eq!(point.str_attr("http.route"), Some("/orders/<id>"));
    assert!(point.start_unix_nanos > 0 && point.time_unix_nanos >= point.start_unix_nanos);
    let value = point.histogram().expect("a histogram point");
    assert_eq!(value.count, 4);
    assert_eq!(value.explicit_bounds, [0.01, 0.1, 1.0]);
    assert_eq!(value.bucket_counts, [1, 2, 0, 1]);
    assert!((value.sum.expect("a sum") - 2.125).abs() < 1e-9);

    let counter = metrics
        .iter()
        .find(|m| m.name == "sonde.export.dropped")
        .unwrap_or_else(|| panic!("no counter in {metrics:#?}"));
    assert_eq!(counter.kind, MetricKind::Sum { monotonic: true });
    assert_eq!(counter.points[0].number(), Some(7.0));
    assert_eq!(counter.points[0].str_attr("signal"), Some("traces"));
    assert!(receiver.requests(Signal::Metrics) >= 1);
    let points: usize = metrics.iter().map(|m| m.points.len()).sum();
    assert_eq!(receiver.items(Signal::Metrics), points);
}
