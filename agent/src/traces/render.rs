//! Spans as lines of text: one flat JSON object (`--log-format json`, see
//! json.rs) or one readable line (`--log-format human`).

use std::fmt::Write as _;

use super::context::Hex;
#[cfg(test)]
use super::json::write_json;
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

/// The span as one JSON object, without a newline (see [`write_json`]).
#[cfg(test)]
pub fn to_json_line(span: &Span, clock: &MonotonicClock) -> String {
    let mut out = Vec::with_capacity(1024);
    write_json(span, clock, &mut out);
    // Built from &strs and ASCII: valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
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
