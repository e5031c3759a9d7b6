//! Spans as lines of text: one flat JSON object (`--log-format json`) or one
//! readable line (`--log-format human`).

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::context::Hex;
use super::span::Span;
use crate::events::clock::MonotonicClock;
use crate::events::Value;
use crate::http::exchange::Role;

/// `span.kind` of a role.
pub fn kind_name(kind: Role) -> &'static str {
    match kind {
        Role::Server => "server",
        Role::Client => "client",
    }
}

fn unix_nanos(time: SystemTime) -> u64 {
    let nanos = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX)
}

/// A span with the clock to date it, serialized as one flat object.
struct JsonSpan<'a> {
    span: &'a Span,
    clock: &'a MonotonicClock,
}

impl Serialize for JsonSpan<'_> {
    /// `event.name`, `span.kind`, `trace_id`, `span_id`, `parent_span_id`
    /// (roots have none), `name`, `start_time_unix_nano`,
    /// `end_time_unix_nano`, `duration_ns`, the attributes in order, then
    /// `error.type` when set.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let span = self.span;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("event.name", "span")?;
        map.serialize_entry("span.kind", kind_name(span.kind))?;
        map.serialize_entry("trace_id", &Hex(&span.trace_id).to_string())?;
        map.serialize_entry("span_id", &Hex(&span.span_id).to_string())?;
        if let Some(parent) = &span.parent_span_id {
            map.serialize_entry("parent_span_id", &Hex(parent).to_string())?;
        }
        map.serialize_entry("name", &span.name)?;
        map.serialize_entry(
            "start_time_unix_nano",
            &unix_nanos(self.clock.to_system_time(span.start_ns)),
        )?;
        map.serialize_entry(
            "end_time_unix_nano",
            &unix_nanos(self.clock.to_system_time(span.end_ns)),
        )?;
        map.serialize_entry("duration_ns", &span.duration_ns())?;
        for (key, value) in &span.attributes {
            map.serialize_entry(key, value)?;
        }
        if let Some(error_type) = &span.error_type {
            map.serialize_entry("error.type", error_type)?;
        }
        map.end()
    }
}

/// The span as one JSON object, without a newline.
pub fn to_json_line(span: &Span, clock: &MonotonicClock) -> String {
    // Strings and integers into a String: serialization cannot fail.
    serde_json::to_string(&JsonSpan { span, clock }).unwrap_or_default()
}

/// The span as one readable line, without a newline:
///
/// ```text
/// 2026-11-22T13:00:00.123456789Z SPAN server "GET /orders/{id}" 12.345ms trace_id=… span_id=… parent_span_id=… http.request.method=GET …
/// ```
pub fn to_human_line(span: &Span, clock: &MonotonicClock) -> String {
    let mut line = format!(
        "{} SPAN {} {:?} {:.3}ms trace_id={} span_id={}",
        humantime::format_rfc3339_nanos(clock.to_system_time(span.start_ns)),
        kind_name(span.kind),
        span.name,
        span.duration_ns() as f64 / 1e6,
        Hex(&span.trace_id),
        Hex(&span.span_id),
    );
    if let Some(parent) = &span.parent_span_id {
        let _ = write!(line, " parent_span_id={}", Hex(parent));
    }
    for (key, value) in &span.attributes {
        let _ = match value {
            Value::Int(v) => write!(line, " {key}={v}"),
            Value::Str(v) => write!(line, " {key}={}", Quoted(v)),
        };
    }
    if let Some(error_type) = &span.error_type {
        let _ = write!(line, " error.type={}", Quoted(error_type));
    }
    line
}

/// A value as is, or debug-quoted when it would not read back as one token.
struct Quoted<'a>(&'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plain = !self.0.is_empty()
            && !self
                .0
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=');
        if plain {
            f.write_str(self.0)
        } else {
            write!(f, "{:?}", self.0)
        }
    }
}
