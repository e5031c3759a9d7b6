//! Structured log records with OpenTelemetry attribute names.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    sync::Arc,
    time::SystemTime,
};

use sonde_common::{
    Endpoints, EventKind, ProcessEvent, TaskInfo, TcpEvent, AF_INET, AF_INET6, ROLE_CLIENT,
};

use super::{
    clock::MonotonicClock,
    errno,
    text_memo::{comm_text, ip_text},
    KernelEvent, Text,
};

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Str(Text),
}

impl From<u64> for Value {
    fn from(value: u64) -> Value {
        Value::Int(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Value {
        Value::Int(value.into())
    }
}

impl From<u16> for Value {
    fn from(value: u16) -> Value {
        Value::Int(value.into())
    }
}

impl From<i32> for Value {
    fn from(value: i32) -> Value {
        Value::Int(value.into())
    }
}

impl From<Text> for Value {
    fn from(value: Text) -> Value {
        Value::Str(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Str(value.into())
    }
}

/// Static text costs nothing; anything else must say how it is held.
impl From<&'static str> for Value {
    fn from(value: &'static str) -> Value {
        Value::Str(value.into())
    }
}

impl From<&Arc<str>> for Value {
    fn from(value: &Arc<str>) -> Value {
        Value::Str(value.into())
    }
}

/// OpenTelemetry severity of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warn,
}

impl Severity {
    pub fn text(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
        }
    }
}

/// One structured log record: what happened, when, and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    pub time: SystemTime,
    pub kind: EventKind,
    pub severity: Severity,
    /// In a stable order: process first, then the event's own attributes.
    pub attributes: Vec<(&'static str, Value)>,
}

impl LogRecord {
    /// The record of a kernel event; None for events that feed the
    /// protocol parsers instead of the log.
    pub fn from_event(event: &KernelEvent, clock: &MonotonicClock) -> Option<LogRecord> {
        match event {
            KernelEvent::Tcp(kind, tcp) => Some(tcp_record(*kind, tcp, clock)),
            KernelEvent::Process(kind, process) => Some(process_record(*kind, process, clock)),
            KernelEvent::FlowOpened(_) | KernelEvent::FlowData(_) | KernelEvent::FlowClosed(_) => {
                None
            }
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// The value of attribute `key`, if present.
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// A NUL-terminated kernel string as text.
fn c_text(raw: &[u8]) -> Text {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    Text::from(String::from_utf8_lossy(&raw[..end]).into_owned())
}

/// Attributes a record has at most (a TCP close).
const MAX_ATTRIBUTES: usize = 16;

fn task_attributes(task: &TaskInfo) -> Vec<(&'static str, Value)> {
    let mut attributes = Vec::with_capacity(MAX_ATTRIBUTES);
    attributes.extend([
        ("process.pid", task.tgid.into()),
        ("thread.id", task.tid.into()),
        ("process.command", comm_text(&task.comm).into()),
        ("sonde.cgroup.id", task.cgroup_id.into()),
    ]);
    attributes
}

/// An address as users expect to read it (IPv4-mapped IPv6 as IPv4).
fn address(family: u16, raw: &[u8; 16]) -> Option<IpAddr> {
    match family {
        AF_INET => Some(IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))),
        AF_INET6 => {
            let v6 = Ipv6Addr::from(*raw);
            Some(match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            })
        }
        _ => None,
    }
}

fn endpoint_attributes(ends: &Endpoints, attributes: &mut Vec<(&'static str, Value)>) {
    attributes.push(("network.transport", "tcp".into()));
    let local = address(ends.family, &ends.local_addr);
    let peer = address(ends.family, &ends.remote_addr);
    if let Some(addr) = peer.or(local) {
        let network_type = if addr.is_ipv4() { "ipv4" } else { "ipv6" };
        attributes.push(("network.type", network_type.into()));
    }
    if let Some(local) = local {
        attributes.push(("network.local.address", ip_text(local).into()));
    }
    attributes.push(("network.local.port", ends.local_port.into()));
    if let Some(peer) = peer {
        attributes.push(("network.peer.address", ip_text(peer).into()));
    }
    attributes.push(("network.peer.port", ends.remote_port.into()));
}

fn tcp_state_name(state: u32) -> Option<&'static str> {
    Some(match state {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        12 => "NEW_SYN_RECV",
        _ => return None,
    })
}

fn tcp_record(kind: EventKind, event: &TcpEvent, clock: &MonotonicClock) -> LogRecord {
    let mut attributes = task_attributes(&event.header.task);
    endpoint_attributes(&event.endpoints, &mut attributes);
    let role = if event.role == ROLE_CLIENT {
        "client"
    } else {
        "server"
    };
    attributes.push(("sonde.connection.role", role.into()));
    let mut severity = Severity::Info;
    match kind {
        EventKind::TcpClose => {
            let duration = event.header.timestamp_ns.saturating_sub(event.start_ns);
            attributes.push(("sonde.connection.duration_ns", duration.into()));
            attributes.push(("sonde.connection.bytes_sent", event.bytes_sent.into()));
            attributes.push((
                "sonde.connection.bytes_received",
                event.bytes_received.into(),
            ));
            attributes.push(("sonde.connection.retransmits", event.retransmits.into()));
        }
        EventKind::TcpConnectFailed => {
            severity = Severity::Warn;
            let error_type = if event.error > 0 {
                Text::from(errno::name(event.error))
            } else {
                // Closed before the handshake ended, without a socket error:
                // the caller gave up (e.g. its own timeout).
                Text::from("aborted")
            };
            attributes.push(("error.type", error_type.into()));
            attributes.push(("sonde.errno", event.error.into()));
        }
        EventKind::TcpResetSent | EventKind::TcpResetReceived => {
            severity = Severity::Warn;
            if let Some(state) = tcp_state_name(event.state) {
                attributes.push(("sonde.tcp.state", state.into()));
            }
        }
        _ => {}
    }
    LogRecord {
        time: clock.to_system_time(event.header.timestamp_ns),
        kind,
        severity,
        attributes,
    }
}

fn process_record(kind: EventKind, event: &ProcessEvent, clock: &MonotonicClock) -> LogRecord {
    let mut attributes = task_attributes(&event.header.task);
    attributes.push(("process.parent_pid", event.ppid.into()));
    let mut severity = Severity::Info;
    if kind == EventKind::ProcessExec {
        attributes.push(("process.executable.path", c_text(&event.filename).into()));
    } else {
        // A wait(2) status: low 7 bits the killing signal, else the code above.
        let signal = event.exit_status & 0x7f;
        if signal == 0 {
            let code = (event.exit_status >> 8) & 0xff;
            attributes.push(("process.exit.code", code.into()));
            if code != 0 {
                severity = Severity::Warn;
            }
        } else {
            attributes.push(("sonde.process.exit.signal", signal.into()));
            severity = Severity::Warn;
        }
    }
    LogRecord {
        time: clock.to_system_time(event.header.timestamp_ns),
        kind,
        severity,
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp_event(kind: EventKind) -> TcpEvent {
        let mut event = TcpEvent::default();
        event.header.kind = kind as u32;
        event.header.task.tgid = 42;
        event.header.task.tid = 43;
        event.header.task.comm[..4].copy_from_slice(b"curl");
        event.header.timestamp_ns = 5_000;
        event.start_ns = 1_000;
        event.role = ROLE_CLIENT;
        event.endpoints.family = AF_INET6;
        event.endpoints.local_port = 40000;
        event.endpoints.remote_port = 80;
        event.endpoints.local_addr = Ipv6Addr::LOCALHOST.octets();
        event.endpoints.remote_addr = Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped().octets();
        event
    }

    #[test]
    fn close_record_carries_semconv_attributes() {
        let mut event = tcp_event(EventKind::TcpClose);
        event.bytes_sent = 1000;
        event.bytes_received = 2000;
        let record = LogRecord::from_event(
            &KernelEvent::Tcp(EventKind::TcpClose, event),
            &MonotonicClock::new(),
        )
        .unwrap();
        assert_eq!(record.name(), "tcp.close");
        assert_eq!(record.get("process.pid"), Some(&Value::Int(42)));
        assert_eq!(record.get("process.command"), Some(&"curl".into()));
        assert_eq!(record.get("network.local.address"), Some(&"::1".into()));
        assert_eq!(record.get("network.peer.address"), Some(&"10.1.2.3".into()));
        assert_eq!(record.get("network.type"), Some(&"ipv4".into()));
        assert_eq!(
            record.get("sonde.connection.duration_ns"),
            Some(&Value::Int(4_000))
        );
        assert_eq!(
            record.get("sonde.connection.bytes_sent"),
            Some(&Value::Int(1000))
        );
        let mut line = Vec::new();
        crate::pipeline::format::write_line(crate::cli::LogFormat::Json, &record, &mut line);
        let json: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(json["event.name"], "tcp.close");
        assert_eq!(json["network.peer.port"], 80);
        assert!(json["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn failed_connect_names_the_error() {
        let mut event = tcp_event(EventKind::TcpConnectFailed);
        event.error = libc::ECONNREFUSED;
        let record = LogRecord::from_event(
            &KernelEvent::Tcp(EventKind::TcpConnectFailed, event),
            &MonotonicClock::new(),
        )
        .unwrap();
        assert_eq!(record.get("error.type"), Some(&"ECONNREFUSED".into()));
        assert_eq!(record.get("sonde.errno"), Some(&Value::Int(111)));
        assert_eq!(record.severity, Severity::Warn);
    }

    #[test]
    fn exit_status_is_decoded() {
        let mut event = ProcessEvent {
            header: Default::default(),
            ppid: 1,
            exit_status: 3 << 8,
            filename: [0; sonde_common::PATH_LEN],
        };
        let clock = MonotonicClock::new();
        let exited = LogRecord::from_event(
            &KernelEvent::Process(EventKind::ProcessExit, Box::new(event)),
            &clock,
        )
        .unwrap();
        assert_eq!(exited.get("process.exit.code"), Some(&Value::Int(3)));
        event.exit_status = 9;
        let killed = LogRecord::from_event(
            &KernelEvent::Process(EventKind::ProcessExit, Box::new(event)),
            &clock,
        )
        .unwrap();
        assert_eq!(
            killed.get("sonde.process.exit.signal"),
            Some(&Value::Int(9))
        );
        assert_eq!(killed.get("process.exit.code"), None);
    }
}
