//! sonde's log records (socket and process events) as OpenTelemetry SDK log
//! records, ready for the OTLP exporter; the process attributes move to
//! the resource.

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::logs::{SdkLogRecord, SdkLogger, SdkLoggerProvider};

use crate::events::record::Severity as EventSeverity;
use crate::events::{LogRecord, Value};

/// Attributes that describe the process: the resource has them.
const RESOURCE_KEYS: [&str; 1] = ["process.pid"];

/// Makes SDK log records (which only an SDK logger can create).
#[derive(Debug)]
pub struct LogConverter {
    // Kept alive for the logger; it has no processor, nothing is emitted.
    _provider: SdkLoggerProvider,
    logger: SdkLogger,
}

/// Where a log record's resource comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogOrigin {
    pub pid: u32,
    pub comm: String,
}

/// The origin of `record`, from its process attributes.
pub fn origin(record: &LogRecord) -> LogOrigin {
    let pid = match record.attributes.iter().find(|(k, _)| *k == "process.pid") {
        Some((_, Value::Int(pid))) => u32::try_from(*pid).unwrap_or(0),
        _ => 0,
    };
    let comm = match record
        .attributes
        .iter()
        .find(|(k, _)| *k == "process.command")
    {
        Some((_, Value::Str(comm))) => comm.to_string(),
        _ => String::new(),
    };
    LogOrigin { pid, comm }
}

impl LogConverter {
    pub fn new(scope: InstrumentationScope) -> LogConverter {
        let provider = SdkLoggerProvider::builder().build();
        let logger = provider.logger_with_scope(scope);
        LogConverter {
            _provider: provider,
            logger,
        }
    }

    /// `record` as an SDK log record: event name, severity, time,
    /// attributes; the body is the event name, for viewers that show only
    /// bodies.
    pub fn convert(&self, record: LogRecord) -> SdkLogRecord {
        let mut sdk = self.logger.create_log_record();
        let name = record.name();
        sdk.set_event_name(name);
        sdk.set_body(AnyValue::from(name));
        sdk.set_timestamp(record.time);
        sdk.set_observed_timestamp(record.time);
        let (number, text) = match record.severity {
            EventSeverity::Info => (Severity::Info, "INFO"),
            EventSeverity::Warn => (Severity::Warn, "WARN"),
        };
        sdk.set_severity_number(number);
        sdk.set_severity_text(text);
        for (key, value) in record.attributes {
            if RESOURCE_KEYS.contains(&key) {
                continue;
            }
            match value {
                Value::Int(value) => sdk.add_attribute(key, value),
                Value::Str(value) => {
                    sdk.add_attribute(key, opentelemetry::StringValue::from(value))
                }
            }
        }
        sdk
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use opentelemetry::Key;
    use sonde_common::EventKind;

    use super::*;

    #[test]
    fn a_socket_event_becomes_a_log_record() {
        let time = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let record = LogRecord {
            time,
            kind: EventKind::TcpConnect,
            severity: EventSeverity::Info,
            attributes: vec![
                ("process.pid", Value::Int(42)),
                ("process.command", "gunicorn".into()),
                ("network.peer.port", Value::Int(5432)),
            ],
        };
        assert_eq!(
            origin(&record),
            LogOrigin {
                pid: 42,
                comm: "gunicorn".into()
            }
        );
        let name = record.name();
        let converter = LogConverter::new(InstrumentationScope::builder("sonde").build());
        let sdk = converter.convert(record);
        assert_eq!(sdk.event_name(), Some(name));
        assert_eq!(sdk.timestamp(), Some(time));
        assert_eq!(sdk.severity_number(), Some(Severity::Info));
        let keys: Vec<Key> = sdk.attributes_iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(
            keys,
            [Key::from("process.command"), Key::from("network.peer.port")]
        );
    }
}
