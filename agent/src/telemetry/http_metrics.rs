//! RED metrics of observed HTTP requests: `http.server.request.duration` and
//! `http.client.request.duration`, explicit-bucket histograms in seconds with
//! the OpenTelemetry semantic-convention boundaries and attributes.
//!
//! Recording is a hash of the span's label values, a shared read lock and
//! three relaxed atomic adds; a new label set takes the write lock once.
//! The number of label sets is capped: past the cap, observations go to one
//! series per instrument labelled `otel_metric_overflow="true"` (as the
//! OpenTelemetry SDKs do), and are counted in
//! `sonde_http_metric_series_overflow_total`, so totals stay exact.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use super::collector::Escaped;
use super::histogram::{Histogram, HTTP_DURATION};
use crate::events::kernel_keyed::KernelKeyedMap;
use crate::http::exchange::Role;
use crate::traces::Span;

/// Default cap on the label sets of both instruments together.
pub const DEFAULT_MAX_SERIES: usize = 10_000;

// Family names; the encoder appends the unit (`_seconds`) and the sample
// suffixes (`_bucket`, `_sum`, `_count`, `_total`).
const SERVER_DURATION: &str = "http_server_request_duration";
const CLIENT_DURATION: &str = "http_client_request_duration";
const SERIES_OVERFLOW: &str = "sonde_http_metric_series_overflow";
const SPANS_DROPPED: &str = "sonde_spans_dropped";

/// The HTTP pipeline's own state, as exported on /metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineStats {
    pub connections: u64,
    pub spans_in_flight: u64,
    pub spans_evicted: u64,
    pub unmatched_flow_events: u64,
    pub route_overflows: u64,
    /// What the HTTP/1.x parsers gave up on, over every connection so far.
    pub parser: crate::protocols::http1::Http1Stats,
}

/// The label values of one series, borrowed from a span (lookup key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct LabelsRef<'a> {
    kind: Kind,
    service_name: &'a str,
    route: &'a str,
    method: &'a str,
    status: Option<u16>,
    error_type: Option<&'a str>,
    server_port: Option<u16>,
}

/// [`Role`] with an order, to sort series for a stable exposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Server,
    Client,
}

/// The label values of one series, owned.
#[derive(Debug)]
struct Labels {
    kind: Kind,
    service_name: String,
    route: String,
    method: String,
    status: Option<u16>,
    error_type: Option<String>,
    server_port: Option<u16>,
}

impl Labels {
    fn as_ref(&self) -> LabelsRef<'_> {
        LabelsRef {
            kind: self.kind,
            service_name: &self.service_name,
            route: &self.route,
            method: &self.method,
            status: self.status,
            error_type: self.error_type.as_deref(),
            server_port: self.server_port,
        }
    }
}

impl From<LabelsRef<'_>> for Labels {
    fn from(labels: LabelsRef<'_>) -> Labels {
        Labels {
            kind: labels.kind,
            service_name: labels.service_name.to_string(),
            route: labels.route.to_string(),
            method: labels.method.to_string(),
            status: labels.status,
            error_type: labels.error_type.map(str::to_string),
            server_port: labels.server_port,
        }
    }
}

#[derive(Debug)]
struct Series {
    labels: Labels,
    histogram: Histogram,
}

#[derive(Debug, Default)]
struct Table {
    /// Series by the hash of their labels (a collision shares a list).
    /// The hashes are keyed with a random seed already: foldhash suffices.
    by_hash: KernelKeyedMap<u64, Vec<Arc<Series>>>,
    len: usize,
}

/// The HTTP duration histograms, shared by the pipeline (which records) and
/// the /metrics endpoint (which renders).
#[derive(Debug)]
pub struct HttpMetrics {
    hasher: RandomState,
    table: RwLock<Table>,
    max_series: usize,
    /// Overflow series of the server and client instruments.
    overflow: [Histogram; 2],
    overflow_total: AtomicU64,
    /// Finished spans the output had no room for.
    spans_dropped: AtomicU64,
    /// The HTTP pipeline's own state, published about once a second.
    pipeline: std::sync::Mutex<PipelineStats>,
}

impl Default for HttpMetrics {
    fn default() -> HttpMetrics {
        HttpMetrics::new()
    }
}

impl HttpMetrics {
    /// Histograms with at most [`DEFAULT_MAX_SERIES`] label sets.
    pub fn new() -> HttpMetrics {
        HttpMetrics::with_max_series(DEFAULT_MAX_SERIES)
    }

    /// Histograms with at most `max_series` label sets, server and client
    /// together.
    pub fn with_max_series(max_series: usize) -> HttpMetrics {
        HttpMetrics {
            hasher: RandomState::new(),
            table: RwLock::new(Table::default()),
            max_series,
            overflow: [
                Histogram::new(&HTTP_DURATION),
                Histogram::new(&HTTP_DURATION),
            ],
            overflow_total: AtomicU64::new(0),
            spans_dropped: AtomicU64::new(0),
            pipeline: std::sync::Mutex::new(PipelineStats::default()),
        }
    }

    /// Records the duration of a finished span in its instrument, labelled
    /// with its method, route, status code, `error.type` and server port,
    /// and with `service_name`.
    pub fn record(&self, span: &Span, service_name: &str) {
        let kind = match span.kind {
            Role::Server => Kind::Server,
            Role::Client => Kind::Client,
        };
        let labels = LabelsRef {
            kind,
            service_name,
            route: span.str_attribute("http.route").unwrap_or(""),
            // Spans carry the normalized method already (`_OTHER` for the
            // unknown), so this cannot grow without bound.
            method: span.str_attribute("http.request.method").unwrap_or(""),
            status: span
                .int_attribute("http.response.status_code")
                .and_then(|status| u16::try_from(status).ok()),
            error_type: span.error_type.as_deref(),
            server_port: span
                .int_attribute("server.port")
                .and_then(|port| u16::try_from(port).ok()),
        };
        let duration_ns = span.duration_ns();
        let hash = self.hasher.hash_one(labels);
        {
            let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = find(&table, hash, &labels) {
                series.histogram.observe(duration_ns);
                return;
            }
        }
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(series) = find(&table, hash, &labels) {
            series.histogram.observe(duration_ns);
            return;
        }
        if table.len >= self.max_series {
            drop(table);
            self.overflow[kind as usize].observe(duration_ns);
            self.overflow_total.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let series = Series {
            labels: labels.into(),
            histogram: Histogram::new(&HTTP_DURATION),
        };
        series.histogram.observe(duration_ns);
        table
            .by_hash
            .entry(hash)
            .or_default()
            .push(Arc::new(series));
        table.len += 1;
    }

    /// Every series and the overflow counter, at scrape time.
    fn encode(&self, encoder: &mut DescriptorEncoder) -> fmt::Result {
        let mut series: Vec<Arc<Series>> = {
            let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
            table.by_hash.values().flatten().cloned().collect()
        };
        series.sort_unstable_by(|a, b| a.labels.as_ref().cmp(&b.labels.as_ref()));
        for (kind, name, help) in [
            (
                Kind::Server,
                SERVER_DURATION,
                "Duration of inbound HTTP requests observed by sonde, from the first byte of the request read to the last byte of the response written, in seconds.",
            ),
            (
                Kind::Client,
                CLIENT_DURATION,
                "Duration of outbound HTTP requests observed by sonde, from the first byte of the request written to the last byte of the response read, in seconds.",
            ),
        ] {
            let mut family =
                encoder.encode_descriptor(name, help, Some(&Unit::Seconds), MetricType::Histogram)?;
            for series in series.iter().filter(|s| s.labels.kind == kind) {
                let labels = &series.labels;
                let status = labels.status.map(|status| status.to_string());
                let port = labels.server_port.map(|port| port.to_string());
                let mut set = Vec::with_capacity(6);
                set.push(("http_request_method", Escaped(&labels.method)));
                if !labels.route.is_empty() {
                    set.push(("http_route", Escaped(&labels.route)));
                }
                if let Some(status) = &status {
                    set.push(("http_response_status_code", Escaped(status)));
                }
                if let Some(error_type) = &labels.error_type {
                    set.push(("error_type", Escaped(error_type)));
                }
                if let Some(port) = &port {
                    set.push(("server_port", Escaped(port)));
                }
                set.push(("service_name", Escaped(&labels.service_name)));
                let (sum, count, buckets) = series.histogram.snapshot();
                family
                    .encode_family(&set)?
                    .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
            }
            let (sum, count, buckets) = self.overflow[kind as usize].snapshot();
            if count > 0 {
                family
                    .encode_family(&[("otel_metric_overflow", Escaped("true"))])?
                    .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
            }
        }
        let metric = encoder.encode_descriptor(
            SERIES_OVERFLOW,
            "HTTP requests recorded in the otel_metric_overflow series because the HTTP duration histograms had reached their cap on label sets.",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(self.overflow_total.load(Ordering::Relaxed)).encode(metric)?;
        let metric = encoder.encode_descriptor(
            SPANS_DROPPED,
            "Finished HTTP spans not printed because the output was behind (their metrics were recorded).",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(self.spans_dropped.load(Ordering::Relaxed)).encode(metric)?;
        let stats = *self.pipeline.lock().unwrap_or_else(PoisonError::into_inner);
        for (name, help, value, kind) in [
            ("sonde_http_connections", "Connections whose HTTP/1.x traffic is being parsed.", stats.connections, MetricType::Gauge),
            ("sonde_http_spans_in_flight", "Requests started and not yet finished.", stats.spans_in_flight, MetricType::Gauge),
            ("sonde_http_spans_evicted", "In-flight requests forgotten because too many were in flight; their spans are lost.", stats.spans_evicted, MetricType::Counter),
            ("sonde_flow_events_unmatched", "Captured data for a connection whose start was never received (its event was dropped).", stats.unmatched_flow_events, MetricType::Counter),
            ("sonde_http_route_overflow", "Requests whose route fell into /{overflow} because a service had too many distinct routes.", stats.route_overflows, MetricType::Counter),
            ("sonde_http_bytes_skipped", "Captured HTTP connection bytes the parser skipped: out of sync, or after a switch to another protocol.", stats.parser.bytes_skipped, MetricType::Counter),
        ] {
            let metric = encoder.encode_descriptor(name, help, None, kind)?;
            if matches!(kind, MetricType::Gauge) {
                prometheus_client::metrics::gauge::ConstGauge::new(value as i64).encode(metric)?;
            } else {
                ConstCounter::new(value).encode(metric)?;
            }
        }
        let parser = stats.parser;
        let mut family = encoder.encode_descriptor(
            "sonde_http_messages_dropped",
            "HTTP messages the parser gave up on, by reason: no span or metric was made of them.",
            None,
            MetricType::Counter,
        )?;
        for (reason, value) in [
            ("request_unparseable", parser.requests_unparseable),
            ("request_over_pipelining_cap", parser.requests_dropped),
            ("response_unparseable", parser.responses_unparseable),
            ("response_unpaired", parser.responses_unpaired),
        ] {
            ConstCounter::new(value)
                .encode(family.encode_family(&[("reason", Escaped(reason))])?)?;
        }
        Ok(())
    }

    /// Publishes the HTTP pipeline's own counters.
    pub fn set_pipeline_stats(&self, stats: PipelineStats) {
        *self.pipeline.lock().unwrap_or_else(PoisonError::into_inner) = stats;
    }

    /// Counts a finished span the output had no room for.
    pub fn span_dropped(&self) {
        self.spans_dropped.fetch_add(1, Ordering::Relaxed);
    }
}

fn find<'t>(table: &'t Table, hash: u64, labels: &LabelsRef<'_>) -> Option<&'t Arc<Series>> {
    table
        .by_hash
        .get(&hash)?
        .iter()
        .find(|series| series.labels.as_ref() == *labels)
}

/// Registers [`HttpMetrics`] with the /metrics registry.
#[derive(Debug)]
pub(super) struct HttpCollector(pub Arc<HttpMetrics>);

impl Collector for HttpCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        self.0.encode(&mut encoder)
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::registry::Registry;

    use super::super::exposition::to_prometheus_text;
    use super::super::{AgentMetrics, KernelCounterSource, KernelCounters};
    use super::*;
    use crate::events::{Text, Value};

    fn span(
        kind: Role,
        method: &'static str,
        route: &str,
        status: Option<u16>,
        duration_ns: u64,
    ) -> Span {
        let mut attributes = vec![("http.request.method", Value::from(method))];
        if !route.is_empty() {
            attributes.push(("http.route", Text::copied(route).into()));
        }
        if let Some(status) = status {
            attributes.push(("http.response.status_code", status.into()));
        }
        attributes.push(("server.port", Value::Int(8000)));
        let failed = status.is_some_and(|s| s >= 500 || (kind == Role::Client && s >= 400));
        Span {
            trace_id: [1; 16],
            span_id: [2; 8],
            parent_span_id: None,
            kind,
            name: format!("{method} {route}").into(),
            start_ns: 1_000,
            end_ns: 1_000 + duration_ns,
            attributes,
            error_type: failed.then(|| status.unwrap_or_default().to_string().into()),
        }
    }

    /// Both text formats of `metrics` alone.
    fn render(metrics: &Arc<HttpMetrics>) -> (String, String) {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(HttpCollector(Arc::clone(metrics))));
        let mut openmetrics = String::new();
        prometheus_client::encoding::text::encode(&mut openmetrics, &registry).expect("encode");
        (to_prometheus_text(&openmetrics), openmetrics)
    }

    fn value(body: &str, series: &str) -> Option<f64> {
        body.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|v| v.parse().ok())
    }

    const GET_ORDER: &str = "http_request_method=\"GET\",http_route=\"/orders/{id}\",http_response_status_code=\"200\",server_port=\"8000\",service_name=\"shop\"";

    #[test]
    fn histograms_count_sum_and_bucket() {
        let metrics = Arc::new(HttpMetrics::new());
        for duration_ms in [1, 5, 7, 60, 20_000] {
            let span = span(
                Role::Server,
                "GET",
                "/orders/{id}",
                Some(200),
                duration_ms * 1_000_000,
            );
            metrics.record(&span, "shop");
        }
        metrics.record(
            &span(Role::Server, "GET", "/boom", Some(500), 3_000_000),
            "shop",
        );
        metrics.record(
            &span(Role::Client, "POST", "", Some(404), 30_000_000),
            "shop",
        );
        let (body, openmetrics) = render(&metrics);

        let name = "http_server_request_duration_seconds";
        // prometheus-client writes `le` first.
        let get =
            |suffix: &str, le: &str| value(&body, &format!("{name}_{suffix}{{{le}{GET_ORDER}}}"));
        assert_eq!(get("count", ""), Some(5.0), "{body}");
        assert_eq!(get("sum", ""), Some(20.073), "{body}");
        // Cumulative: 1 and 5 ms are ≤ 5 ms (upper bounds are inclusive).
        for (le, count) in [
            ("0.005", 2.0),
            ("0.01", 3.0),
            ("0.05", 3.0),
            ("0.075", 4.0),
            ("10.0", 4.0),
            ("+Inf", 5.0),
        ] {
            assert_eq!(
                get("bucket", &format!("le=\"{le}\",")),
                Some(count),
                "le={le}\n{body}"
            );
        }
        let buckets = format!("{name}_bucket{{le=");
        let series_end = format!("\",{GET_ORDER}}} ");
        let bucket_lines = body
            .lines()
            .filter(|line| line.starts_with(&buckets) && line.contains(&series_end))
            .count();
        assert_eq!(bucket_lines, 15, "{body}");
        let boom = "http_request_method=\"GET\",http_route=\"/boom\",http_response_status_code=\"500\",error_type=\"500\",server_port=\"8000\",service_name=\"shop\"";
        assert_eq!(
            value(&body, &format!("{name}_count{{{boom}}}")),
            Some(1.0),
            "{body}"
        );
        // A client series without a route has no http_route label.
        let client = "http_request_method=\"POST\",http_response_status_code=\"404\",error_type=\"404\",server_port=\"8000\",service_name=\"shop\"";
        assert_eq!(
            value(
                &body,
                &format!("http_client_request_duration_seconds_bucket{{le=\"0.05\",{client}}}")
            ),
            Some(1.0),
            "{body}"
        );
        assert!(
            body.contains(&format!("# TYPE {name} histogram\n")),
            "{body}"
        );
        assert!(
            body.contains("# TYPE http_client_request_duration_seconds histogram\n"),
            "{body}"
        );
        assert_eq!(
            value(&body, "sonde_http_metric_series_overflow_total"),
            Some(0.0)
        );
        assert!(
            !body.contains("# UNIT") && !body.contains("# EOF"),
            "{body}"
        );

        assert!(
            openmetrics.contains(&format!("# UNIT {name} seconds\n")),
            "{openmetrics}"
        );
        assert!(
            openmetrics.contains("# TYPE sonde_http_metric_series_overflow counter\n"),
            "{openmetrics}"
        );
        assert_eq!(
            value(&openmetrics, &format!("{name}_count{{{GET_ORDER}}}")),
            Some(5.0)
        );
    }

    #[test]
    fn label_sets_are_capped_and_overflow_counted() {
        let metrics = Arc::new(HttpMetrics::with_max_series(3));
        for n in 0..10 {
            let route = format!("/r{n}");
            metrics.record(&span(Role::Server, "GET", &route, Some(200), 1), "shop");
        }
        // An existing series keeps counting past the cap.
        metrics.record(&span(Role::Server, "GET", "/r0", Some(200), 1), "shop");
        metrics.record(&span(Role::Client, "GET", "/x", Some(200), 1), "shop");
        let (body, _) = render(&metrics);
        assert_eq!(
            value(&body, "sonde_http_metric_series_overflow_total"),
            Some(8.0)
        );
        assert_eq!(
            value(
                &body,
                "http_server_request_duration_seconds_count{otel_metric_overflow=\"true\"}"
            ),
            Some(7.0),
            "{body}"
        );
        assert_eq!(
            value(
                &body,
                "http_client_request_duration_seconds_count{otel_metric_overflow=\"true\"}"
            ),
            Some(1.0),
            "{body}"
        );
        let r0 = "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/r0\",http_response_status_code=\"200\",server_port=\"8000\",service_name=\"shop\"}";
        assert_eq!(value(&body, r0), Some(2.0), "{body}");
        let series = body
            .lines()
            .filter(|l| l.starts_with("http_") && l.contains("_count{"))
            .count();
        assert_eq!(series, 3 + 2, "{body}");
    }

    #[test]
    fn label_values_are_escaped_and_absent_ones_left_out() {
        let metrics = Arc::new(HttpMetrics::new());
        let mut odd = span(Role::Server, "GET", "/a\"b\\c", None, 1);
        odd.error_type = Some("connection_closed".into());
        odd.attributes.retain(|(key, _)| *key != "server.port");
        metrics.record(&odd, "svc\n2");
        let (body, _) = render(&metrics);
        let expected = "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/a\\\"b\\\\c\",error_type=\"connection_closed\",service_name=\"svc\\n2\"} 1\n";
        assert!(body.contains(expected), "{body}");
    }

    #[test]
    fn recording_is_shared_across_threads() {
        let metrics = Arc::new(HttpMetrics::new());
        std::thread::scope(|scope| {
            for _ in 0..4 {
                let metrics = &metrics;
                scope.spawn(move || {
                    for n in 0..1_000u64 {
                        let route = format!("/r{}", n % 10);
                        let span = span(Role::Server, "GET", &route, Some(200), 1_000_000);
                        metrics.record(&span, "shop");
                    }
                });
            }
        });
        let (body, _) = render(&metrics);
        let total: f64 = body
            .lines()
            .filter(|l| l.starts_with("http_server_request_duration_seconds_count{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert_eq!(total, 4_000.0, "{body}");
    }

    struct IdleKernel;

    impl KernelCounterSource for IdleKernel {
        fn read(&self) -> Result<KernelCounters, String> {
            Ok(KernelCounters::default())
        }
    }

    #[test]
    fn agent_metrics_expose_the_http_histograms() {
        let metrics = AgentMetrics::new(Box::new(IdleKernel));
        let (_, before) = metrics.render(false);
        assert!(
            before.contains("# TYPE http_server_request_duration_seconds histogram\n"),
            "{before}"
        );
        assert!(
            !before.contains("http_server_request_duration_seconds_count"),
            "{before}"
        );
        let span = span(Role::Server, "GET", "/orders/{id}", Some(200), 2_000_000);
        metrics.http().record(&span, "shop");
        let (_, body) = metrics.render(false);
        let series =
            format!("http_server_request_duration_seconds_bucket{{le=\"0.005\",{GET_ORDER}}}");
        assert_eq!(value(&body, &series), Some(1.0), "{body}");
        assert!(body.contains("sonde_build_info{"), "{body}");
        let (_, openmetrics) = metrics.render(true);
        assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");
        assert!(
            openmetrics.contains("# TYPE http_server_request_duration_seconds histogram\n"),
            "{openmetrics}"
        );
    }
}
