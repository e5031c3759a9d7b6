//! A span as one JSON object, written straight into the output buffer.
//!
//! Every finished request and database call makes a line, so this is the
//! agent's busiest formatting: keys are static and need no escaping, ids are
//! hex-encoded in place, and a string is copied as is unless it holds a
//! character JSON must escape. Nothing is allocated.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use super::render::kind_name;
use super::span::Span;
use crate::events::clock::MonotonicClock;
use crate::events::Value;

/// Appends `span` to `out` as one JSON object, without a newline:
/// `event.name`, `span.kind`, `trace_id`, `span_id`, `parent_span_id`
/// (roots have none), `name`, `start_time_unix_nano`, `end_time_unix_nano`,
/// `duration_ns`, the attributes in order, then `error.type` when set.
pub fn write_json(span: &Span, clock: &MonotonicClock, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"event.name\":\"span\",\"span.kind\":\"");
    out.extend_from_slice(kind_name(span.kind).as_bytes());
    out.extend_from_slice(b"\",\"trace_id\":\"");
    hex(&span.trace_id, out);
    out.extend_from_slice(b"\",\"span_id\":\"");
    hex(&span.span_id, out);
    out.push(b'"');
    if let Some(parent) = &span.parent_span_id {
        out.extend_from_slice(b",\"parent_span_id\":\"");
        hex(parent, out);
        out.push(b'"');
    }
    key("name", out);
    string(&span.name, out);
    key("start_time_unix_nano", out);
    integer(unix_nanos(clock.to_system_time(span.start_ns)), out);
    key("end_time_unix_nano", out);
    integer(unix_nanos(clock.to_system_time(span.end_ns)), out);
    key("duration_ns", out);
    integer(span.duration_ns(), out);
    for (name, value) in &span.attributes {
        key(name, out);
        match value {
            Value::Int(value) => {
                let _ = write!(out, "{value}");
            }
            Value::Str(value) => string(value, out),
        }
    }
    if let Some(error_type) = &span.error_type {
        key("error.type", out);
        string(error_type, out);
    }
    out.push(b'}');
}

fn unix_nanos(time: SystemTime) -> u64 {
    let nanos = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX)
}

/// `,"name":` — attribute names are dotted ASCII: nothing to escape.
fn key(name: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn integer(value: u64, out: &mut Vec<u8>) {
    let _ = write!(out, "{value}");
}

fn hex(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0xf)]);
    }
}

/// `text` as a JSON string.
fn string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let plain = |byte: u8| byte >= 0x20 && byte != b'"' && byte != b'\\';
    if bytes.iter().all(|&byte| plain(byte)) {
        out.extend_from_slice(bytes);
    } else {
        for &byte in bytes {
            match byte {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                byte if byte < 0x20 => {
                    let _ = write!(out, "\\u{byte:04x}");
                }
                byte => out.push(byte),
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::exchange::Role;

    fn span(name: &str, text: &str) -> Span {
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
