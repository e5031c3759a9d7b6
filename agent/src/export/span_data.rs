//! sonde's spans as OpenTelemetry SDK span data, ready for the OTLP
//! exporter; the process attributes move to the resource.

use std::borrow::Cow;

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue, Value as OtelValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};

use crate::events::{clock::MonotonicClock, Value};
use crate::http::exchange::Role;
use crate::traces::Span;

/// Attributes that describe the process, not the span: they go to the
/// resource.
const RESOURCE_KEYS: [&str; 2] = ["service.name", "process.pid"];

/// Where a span's resource comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpanOrigin {
    pub pid: u32,
    pub service_name: Option<String>,
}

/// The process attributes of `span`: its pid and service name.
fn process_of(span: &Span) -> (u32, Option<&str>) {
    let pid = span
        .int_attribute("process.pid")
        .and_then(|pid| u32::try_from(pid).ok())
        .unwrap_or(0);
    (pid, span.str_attribute("service.name"))
}

/// Spans as SDK span data, grouped by origin (one resource each).
#[derive(Debug, Default)]
pub struct Groups {
    groups: Vec<(SpanOrigin, Vec<SpanData>)>,
}

impl Groups {
    /// Converts `span` and adds it to its origin's group.
    pub fn add(&mut self, span: Span, clock: &MonotonicClock, scope: &InstrumentationScope) {
        let (pid, service_name) = process_of(&span);
        // A batch holds the spans of few processes: a scan beats hashing
        // an owned key for every span.
        let found = self.groups.iter().position(|(origin, _)| {
            origin.pid == pid && origin.service_name.as_deref() == service_name
        });
        let index = found.unwrap_or_else(|| {
            let origin = SpanOrigin {
                pid,
                service_name: service_name.map(str::to_string),
            };
            self.groups.push((origin, Vec::new()));
            self.groups.len() - 1
        });
        let data = to_span_data(span, clock, scope);
        self.groups[index].1.push(data);
    }

    pub fn into_groups(self) -> Vec<(SpanOrigin, Vec<SpanData>)> {
        self.groups
    }
}

/// `span` as SDK span data, its times converted with `clock`.
pub fn to_span_data(span: Span, clock: &MonotonicClock, scope: &InstrumentationScope) -> SpanData {
    let kind = match span.kind {
        Role::Server => SpanKind::Server,
        Role::Client => SpanKind::Client,
    };
    // A server span's parent can only come from an inbound traceparent; a
    // client span's parent is the local server span.
    let parent_span_is_remote = span.kind == Role::Server && span.parent_span_id.is_some();
    let mut attributes = Vec::with_capacity(span.attributes.len() + 1);
    for (key, value) in span.attributes {
        if RESOURCE_KEYS.contains(&key) {
            continue;
        }
        let value = match value {
            Value::Int(value) => OtelValue::I64(value),
            // Static or shared, never copied: every export attempt clones
            // the batch (opentelemetry-otlp clones it once more inside),
            // and cloning an Arc costs no allocation.
            Value::Str(value) => OtelValue::String(value.into()),
        };
        attributes.push(KeyValue::new(key, value));
    }
    let status = match span.error_type {
        Some(error_type) => {
            attributes.push(KeyValue::new("error.type", error_type));
            Status::Error {
                description: Cow::Borrowed(""),
            }
        }
        None => Status::Unset,
    };
    SpanData {
        span_context: SpanContext::new(
            TraceId::from_bytes(span.trace_id),
            SpanId::from_bytes(span.span_id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: span
            .parent_span_id
            .map_or(SpanId::INVALID, SpanId::from_bytes),
        parent_span_is_remote,
        span_kind: kind,
        name: span.name.into(),
        start_time: clock.to_system_time(span.start_ns),
        end_time: clock.to_system_time(span.end_ns),
        attributes,
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status,
        instrumentation_scope: scope.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn span(kind: Role, parent: Option<[u8; 8]>, error: Option<&'static str>) -> Span {
        Span {
            trace_id: [7; 16],
            span_id: [2; 8],
            parent_span_id: parent,
            kind,
            name: "GET /orders/{id}".into(),
            start_ns: 1_000_000_000,
            end_ns: 1_050_000_000,
            attributes: vec![
                ("http.request.method", "GET".into()),
                ("http.response.status_code", Value::Int(500)),
                ("service.name", "shop".into()),
                ("process.pid", Value::Int(42)),
            ],
            error_type: error.map(crate::events::Text::from),
        }
    }

    #[test]
    fn a_failed_server_span_with_a_remote_parent() {
        let scope = InstrumentationScope::builder("sonde").build();
        let clock = MonotonicClock::new();
        let mut groups = Groups::default();
        groups.add(
            span(Role::Server, Some([9; 8]), Some("500")),
            &clock,
            &scope,
        );
        let (origin, mut batch) = groups.into_groups().pop().unwrap();
        assert_eq!(
            origin,
            SpanOrigin {
                pid: 42,
                service_name: Some("shop".into())
            }
        );
        let data = batch.pop().unwrap();
        assert_eq!(data.span_context.trace_id(), TraceId::from_bytes([7; 16]));
        assert_eq!(data.parent_span_id, SpanId::from_bytes([9; 8]));
        assert!(data.parent_span_is_remote);
        assert_eq!(data.span_kind, SpanKind::Server);
        assert_eq!(
            data.end_time.duration_since(data.start_time).unwrap(),
            Duration::from_millis(50)
        );
        let keys: Vec<&str> = data.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "http.request.method",
                "http.response.status_code",
                "error.type"
            ]
        );
        assert_eq!(data.attributes[1].value, OtelValue::I64(500));
        assert!(matches!(data.status, Status::Error { .. }));
    }

    #[test]
    fn a_client_span_s_parent_is_local() {
        let scope = InstrumentationScope::builder("sonde").build();
        let data = to_span_data(
            span(Role::Client, Some([9; 8]), None),
            &MonotonicClock::new(),
            &scope,
        );
        assert!(!data.parent_span_is_remote);
        assert_eq!(data.status, Status::Unset);
        let root = to_span_data(
            span(Role::Server, None, None),
            &MonotonicClock::new(),
            &scope,
        );
        assert_eq!(root.parent_span_id, SpanId::INVALID);
        assert!(!root.parent_span_is_remote);
    }

    #[test]
    fn spans_are_grouped_by_process_and_service() {
        let scope = InstrumentationScope::builder("sonde").build();
        let clock = MonotonicClock::new();
        let mut groups = Groups::default();
        let with = |pid: i64, service: &'static str| {
            let mut span = span(Role::Client, None, None);
            span.attributes
                .retain(|(key, _)| !key.starts_with("process.") && !key.starts_with("service."));
            span.attributes.push(("process.pid", Value::Int(pid)));
            span.attributes.push(("service.name", service.into()));
            span
        };
        for (pid, service) in [(1, "a"), (2, "a"), (1, "a"), (1, "b"), (2, "a")] {
            groups.add(with(pid, service), &clock, &scope);
        }
        let sizes: Vec<(u32, Option<String>, usize)> = groups
            .into_groups()
            .into_iter()
            .map(|(origin, batch)| (origin.pid, origin.service_name, batch.len()))
            .collect();
        assert_eq!(
            sizes,
            [
                (1, Some("a".into()), 2),
                (2, Some("a".into()), 2),
                (1, Some("b".into()), 1)
            ]
        );
    }
}
