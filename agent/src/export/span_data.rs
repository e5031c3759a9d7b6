//! sonde's spans as OpenTelemetry SDK span data, ready for the OTLP
//! exporter; the process attributes move to the resource.

use std::borrow::Cow;
use std::sync::Arc;

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

/// The origin of `span`, from its process attributes.
pub fn origin(span: &Span) -> SpanOrigin {
    SpanOrigin {
        pid: span
            .int_attribute("process.pid")
            .and_then(|pid| u32::try_from(pid).ok())
            .unwrap_or(0),
        service_name: span.str_attribute("service.name").map(str::to_string),
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
            // Shared, not owned: every export attempt clones the batch
            // (opentelemetry-otlp clones it once more inside), and cloning
            // an Arc costs no allocation.
            Value::Str(value) => OtelValue::String(Arc::<str>::from(value).into()),
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
        name: Cow::Owned(span.name),
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

    fn span(kind: Role, parent: Option<[u8; 8]>, error: Option<&str>) -> Span {
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
            error_type: error.map(str::to_string),
        }
    }

    #[test]
    fn a_failed_server_span_with_a_remote_parent() {
        let scope = InstrumentationScope::builder("sonde").build();
        let clock = MonotonicClock::new();
        let original = span(Role::Server, Some([9; 8]), Some("500"));
        assert_eq!(
            origin(&original),
            SpanOrigin {
                pid: 42,
                service_name: Some("shop".into())
            }
        );
        let data = to_span_data(original, &clock, &scope);
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
}
