//! A span as one JSON object, written straight into the output buffer
//! (every finished request and database call makes a line: the agent's
//! busiest formatting).

use std::time::{SystemTime, UNIX_EPOCH};

use super::render::kind_name;
use super::span::Span;
use crate::events::clock::MonotonicClock;
use crate::events::json::JsonObject;

/// Appends `span` to `out` as one JSON object, without a newline:
/// `event.name`, `span.kind`, `trace_id`, `span_id`, `parent_span_id`
/// (roots have none), `name`, `start_time_unix_nano`, `end_time_unix_nano`,
/// `duration_ns`, the attributes in order, then `error.type` when set.
pub fn write_json(span: &Span, clock: &MonotonicClock, out: &mut Vec<u8>) {
    let mut object = JsonObject::begin(out);
    object.str("event.name", "span");
    object.str("span.kind", kind_name(span.kind));
    object.hex("trace_id", &span.trace_id);
    object.hex("span_id", &span.span_id);
    if let Some(parent) = &span.parent_span_id {
        object.hex("parent_span_id", parent);
    }
    object.str("name", &span.name);
    object.u64(
        "start_time_unix_nano",
        unix_nanos(clock.to_system_time(span.start_ns)),
    );
    object.u64(
        "end_time_unix_nano",
        unix_nanos(clock.to_system_time(span.end_ns)),
    );
    object.u64("duration_ns", span.duration_ns());
    for (name, value) in &span.attributes {
        object.value(name, value);
    }
    if let Some(error_type) = &span.error_type {
        object.str("error.type", error_type);
    }
    object.end();
}

fn unix_nanos(time: SystemTime) -> u64 {
    let nanos = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Value;
    use crate::http::exchange::Role;

    fn span(name: &'static str, text: &'static str) -> Span {
        Span {
            trace_id: [0xab; 16],
            span_id: [0x01; 8],
            parent_span_id: Some([0xfe; 8]),
            kind: Role::Client,
            name: name.into(),
            start_ns: 1_000,
            end_ns: 3_500,
            attributes: vec![
                ("db.query.text", text.into()),
                ("process.pid", Value::Int(-7)),
                ("server.port", Value::Int(5432)),
            ],
            error_type: Some("42P01".into()),
        }
    }

    #[test]
    fn the_line_is_the_json_serde_reads_back() {
        let clock = MonotonicClock::new();
        let odd = "SELECT \"a\\b\"\n\t\r\u{1}\u{1f} é ☃";
        let mut out = Vec::new();
        write_json(&span("SELECT t", odd), &clock, &mut out);
        let value: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(value["event.name"], "span");
        assert_eq!(value["span.kind"], "client");
        assert_eq!(value["trace_id"], "ab".repeat(16));
        assert_eq!(value["span_id"], "0101010101010101");
        assert_eq!(value["parent_span_id"], "fefefefefefefefe");
        assert_eq!(value["name"], "SELECT t");
        assert_eq!(value["duration_ns"], 2_500);
        assert_eq!(value["db.query.text"], odd);
        assert_eq!(value["process.pid"], -7);
        assert_eq!(value["server.port"], 5432);
        assert_eq!(value["error.type"], "42P01");
        let start = value["start_time_unix_nano"].as_u64().unwrap();
        let end = value["end_time_unix_nano"].as_u64().unwrap();
        assert!((2_400..=2_600).contains(&(end - start)), "{start} {end}");
    }

    #[test]
    fn a_root_has_no_parent_and_lines_append() {
        let clock = MonotonicClock::new();
        let mut root = span("GET /", "x");
        root.parent_span_id = None;
        root.error_type = None;
        let mut out = b"before\n".to_vec();
        write_json(&root, &clock, &mut out);
        let line = &out[b"before\n".len()..];
        let value: serde_json::Value = serde_json::from_slice(line).expect("valid JSON");
        assert!(value.get("parent_span_id").is_none());
        assert!(value.get("error.type").is_none());
    }
}
