//! Rendering a log record as one line of text.

use std::fmt::Write as _;

use crate::{
    cli::LogFormat,
    events::{json::JsonObject, rfc3339::rfc3339_nanos, LogRecord, Value},
};

/// Appends `record` to `out` as one line (with its newline).
pub fn write_line(format: LogFormat, record: &LogRecord, out: &mut Vec<u8>) {
    match format {
        LogFormat::Json => {
            // `timestamp`, `event.name`, `severity_text`, then the
            // attributes in order.
            let mut object = JsonObject::begin(out);
            object.plain_str("timestamp", rfc3339_nanos(record.time).as_bytes());
            object.str("event.name", record.name());
            object.str("severity_text", record.severity.text());
            for (key, value) in &record.attributes {
                object.value(key, value);
            }
            object.end();
            out.push(b'\n');
        }
        LogFormat::Human => {
            out.extend_from_slice(human(record).as_bytes());
            out.push(b'\n');
        }
        LogFormat::None => {}
    }
}

/// `2026-11-22T13:00:00.123456789Z INFO  tcp.close process.pid=42 ...`
fn human(record: &LogRecord) -> String {
    let mut line = format!(
        "{} {:<4} {}",
        humantime::format_rfc3339_nanos(record.time),
        record.severity.text(),
        record.name()
    );
    for (key, value) in &record.attributes {
        let _ = match value {
            Value::Int(v) => write!(line, " {key}={v}"),
            Value::Str(v) if v.is_empty() || v.contains([' ', '"', '=']) => {
                write!(line, " {key}={v:?}")
            }
            Value::Str(v) => write!(line, " {key}={v}"),
        };
    }
    line
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use sonde_common::EventKind;

    use super::*;
    use crate::events::record::Severity;

    fn record() -> LogRecord {
        LogRecord {
            time: UNIX_EPOCH,
            kind: EventKind::ProcessExec,
            severity: Severity::Info,
            attributes: vec![
                ("process.pid", Value::Int(7)),
                ("process.executable.path", Value::Str("/bin/a b".into())),
            ],
        }
    }

    #[test]
    fn json_is_one_object_per_line() {
        let mut out = Vec::new();
        write_line(LogFormat::Json, &record(), &mut out);
        write_line(LogFormat::Json, &record(), &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let value: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(value["event.name"], "process.exec");
        assert_eq!(value["process.pid"], 7);
        assert_eq!(value["timestamp"], "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn human_quotes_values_with_spaces() {
        let mut out = Vec::new();
        write_line(LogFormat::Human, &record(), &mut out);
        let line = String::from_utf8(out).unwrap();
        assert!(line.contains("process.exec process.pid=7 process.executable.path=\"/bin/a b\""));
    }
}
