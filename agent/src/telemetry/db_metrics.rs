//! Metrics of observed database calls: `db.client.operation.duration`
//! (seconds, semantic-convention boundaries and attributes), the queries
//! each HTTP server request made, by route, and what the database parsers
//! gave up on.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use super::collector::Escaped;
use super::histogram::{DB_DURATION, PER_REQUEST_COUNT};
use super::series::{Family, SeriesTable};
use crate::protocols::db::{DbStats, DbSystem};
use crate::traces::Span;

/// Default cap on the label sets of each instrument.
pub const DEFAULT_MAX_SERIES: usize = 10_000;

/// What the database parsers gave up on, per system, over every
/// connection so far.
pub type DbParserStats = [(DbSystem, DbStats); 3];

/// The database instruments, shared by the pipeline (which records) and
/// the /metrics endpoint (which renders).
#[derive(Debug)]
pub struct DbMetrics {
    duration: SeriesTable<7>,
    queries_per_request: SeriesTable<3>,
    parsers: Mutex<DbParserStats>,
}

impl Default for DbMetrics {
    fn default() -> DbMetrics {
        DbMetrics::new()
    }
}

impl DbMetrics {
    pub fn new() -> DbMetrics {
        DbMetrics {
            duration: SeriesTable::new(
                Family {
                    name: "db_client_operation_duration",
                    help: "Duration of database calls observed by sonde, from the first byte of the request written to the last byte of the answer read, in seconds.",
                    unit: Some(Unit::Seconds),
                    labels: [
                        "db_system_name",
                        "db_operation_name",
                        "db_namespace",
                        "error_type",
                        "server_address",
                        "server_port",
                        "service_name",
                    ],
                    buckets: &DB_DURATION,
                },
                DEFAULT_MAX_SERIES,
            ),
            queries_per_request: SeriesTable::new(
                Family {
                    name: "sonde_http_server_request_db_queries",
                    help: "SQL queries each inbound HTTP request made (transaction control and session settings left out), by route.",
                    unit: None,
                    labels: ["http_request_method", "http_route", "service_name"],
                    buckets: &PER_REQUEST_COUNT,
                },
                DEFAULT_MAX_SERIES,
            ),
            parsers: Mutex::new([
                (DbSystem::Postgresql, DbStats::default()),
                (DbSystem::Mysql, DbStats::default()),
                (DbSystem::Redis, DbStats::default()),
            ]),
        }
    }

    /// Records a finished database span of `service_name`.
    pub fn record_call(&self, span: &Span, service_name: &str) {
        // Formatted on the stack: this runs for every call.
        let mut digits = [0u8; 20];
        let port = span
            .int_attribute("server.port")
            .map(|port| decimal(port.unsigned_abs(), &mut digits));
        self.duration.record(
            [
                span.str_attribute("db.system.name"),
                span.str_attribute("db.operation.name"),
                span.str_attribute("db.namespace"),
                span.error_type.as_deref(),
                span.str_attribute("server.address"),
                port,
                Some(service_name),
            ],
            span.duration_ns(),
        );
    }

    /// Records the SQL queries an inbound request made.
    pub fn record_request_queries(&self, server_span: &Span, service_name: &str, queries: u64) {
        self.queries_per_request.record(
            [
                server_span.str_attribute("http.request.method"),
                server_span.str_attribute("http.route"),
                Some(service_name),
            ],
            queries,
        );
    }

    /// Publishes the parsers' counters.
    pub fn set_parser_stats(&self, stats: DbParserStats) {
        *self.parsers.lock().unwrap_or_else(PoisonError::into_inner) = stats;
    }

    fn encode(&self, encoder: &mut DescriptorEncoder) -> fmt::Result {
        self.duration.encode(encoder)?;
        self.queries_per_request.encode(encoder)?;
        let overflowed = self.duration.overflowed() + self.queries_per_request.overflowed();
        let metric = encoder.encode_descriptor(
            "sonde_db_metric_series_overflow",
            "Observations recorded in an otel_metric_overflow series because a database instrument had reached its cap on label sets.",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(overflowed).encode(metric)?;
        let parsers = *self.parsers.lock().unwrap_or_else(PoisonError::into_inner);
        let mut family = encoder.encode_descriptor(
            "sonde_db_messages_dropped",
            "Database requests and replies the parsers gave up on, by system and reason: no span or metric was made of them.",
            None,
            MetricType::Counter,
        )?;
        for (system, stats) in parsers {
            for (reason, value) in [
                ("request_unparseable", stats.calls_unparseable),
                ("request_over_waiting_cap", stats.calls_dropped),
                ("reply_unpaired", stats.replies_unpaired),
            ] {
                let labels = [
                    ("db_system_name", Escaped(system.name())),
                    ("reason", Escaped(reason)),
                ];
                ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "sonde_db_bytes_skipped",
            "Captured database connection bytes the parsers skipped: out of sync, COPY data, or encrypted.",
            None,
            MetricType::Counter,
        )?;
        for (system, stats) in parsers {
            let labels = [("db_system_name", Escaped(system.name()))];
            ConstCounter::new(stats.bytes_skipped).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// `value` in decimal, written into `digits`.
fn decimal(mut value: u64, digits: &mut [u8; 20]) -> &str {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    std::str::from_utf8(&digits[start..]).unwrap_or_default()
}

/// Registers [`DbMetrics`] with the /metrics registry.
#[derive(Debug)]
pub(super) struct DbCollector(pub Arc<DbMetrics>);

impl Collector for DbCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        self.0.encode(&mut encoder)
    }
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimals() {
        let mut digits = [0u8; 20];
        for value in [0, 7, 5432, u64::MAX] {
            assert_eq!(decimal(value, &mut digits), value.to_string());
        }
    }
}
