//! HTTP spans as `sonde run --log-format json` prints them: one JSON line per
//! finished exchange with `event.name` = `span`. Every span a test selects is
//! checked against the contract (see [`Span::from_event`]); spans of other
//! processes on the machine are not judged.
//!
//! A span of a connection over a Unix-domain socket (`network.transport` =
//! `unix`) has no ports: never `network.peer.port`, no `server.port` on a
//! server span (a client span may take one from its `Host` header); its
//! `network.peer.address` (the peer socket's path) and `client.address` are
//! absent when the peer socket has no name, as a client's usually has not.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    agent::Agent,
    client::RouteKey,
    events::{self, Event},
};

/// `span.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Server,
    Client,
}

/// A span event, with every contract attribute typed.
#[derive(Debug, Clone)]
pub struct Span {
    pub kind: Kind,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub start_ns: u64,
    pub end_ns: u64,
    pub duration_ns: u64,
    pub method: String,
    pub url_path: String,
    pub route: String,
    pub status: Option<u16>,
    pub error_type: Option<String>,
    pub server_address: String,
    /// 0 when absent (only allowed on a Unix-socket span).
    pub server_port: u16,
    /// Required on TCP server spans only.
    pub client_address: Option<String>,
    /// Empty when absent (only allowed on a Unix-socket span).
    pub peer_address: String,
    /// 0 when absent (always so on a Unix-socket span).
    pub peer_port: u16,
    /// `network.transport`: `tcp`, `unix`, or absent.
    pub transport: Option<String>,
    pub service_name: String,
    pub pid: u32,
    pub tid: u32,
    /// Every way in which the span breaks the contract (empty when it keeps it).
    pub problems: Vec<String>,
    /// The whole event, for messages.
    pub raw: Event,
}

fn is_hex_id(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && text.bytes().any(|b| b != b'0')
}

impl Span {
    /// `None` when `event` is not a span; otherwise the span, its attributes
    /// read as well as they can be, with its [`Span::problems`].
    pub fn from_event(event: &Event) -> Option<Span> {
        (events::name(event) == "span").then(|| Span::parse(event))
    }

    fn parse(event: &Event) -> Span {
        let mut problems: Vec<String> = Vec::new();
        let transport = match event.get("network.transport") {
            None => None,
            Some(Value::String(t)) if t == "tcp" || t == "unix" => Some(t.clone()),
            Some(other) => {
                problems.push(format!(
                    "network.transport is {other}, expected \"tcp\" or \"unix\" (or absent)"
                ));
                None
            }
        };
        let tcp = transport.as_deref() != Some("unix");
        // An absent optional attribute reads as "" or 0.
        let mut string = |key: &str, required: bool| -> String {
            match event.get(key) {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(other) => {
                    problems.push(format!("{key} is {other}, expected a non-empty string"));
                    String::new()
                }
                None => {
                    if required {
                        problems.push(format!("no {key}"));
                    }
                    String::new()
                }
            }
        };
        let kind_text = string("span.kind", true);
        let trace_id = string("trace_id", true);
        let span_id = string("span_id", true);
        let name = string("name", true);
        let method = string("http.request.method", true);
        let url_path = string("url.path", true);
        let route = string("http.route", true);
        let server_address = string("server.address", true);
        let peer_address = string("network.peer.address", tcp);
        let service_name = string("service.name", true);
        let mut problems2: Vec<String> = Vec::new();
        let mut number = |key: &str, required: bool| -> u64 {
            match event.get(key).map(|v| (v, v.as_u64())) {
                Some((_, Some(n))) => n,
                Some((v, None)) => {
                    problems2.push(format!("{key} is {v}, expected a non-negative integer"));
                    0
                }
                None => {
                    if required {
                        problems2.push(format!("no {key}"));
                    }
                    0
                }
            }
        };
        let start_ns = number("start_time_unix_nano", true);
        let end_ns = number("end_time_unix_nano", true);
        let duration_ns = number("duration_ns", true);
        let server_port = number("server.port", tcp);
        let peer_port = number("network.peer.port", tcp);
        let pid = number("process.pid", true);
        let tid = number("thread.id", true);
        problems.append(&mut problems2);

        let kind = match kind_text.as_str() {
            "server" => Kind::Server,
            "client" => Kind::Client,
            other => {
                problems.push(format!("span.kind {other:?} is neither server nor client"));
                Kind::Server
            }
        };
        if !trace_id.is_empty() && !is_hex_id(&trace_id, 32) {
            problems.push(format!(
                "trace_id {trace_id:?} is not 32 lowercase hex digits (not all 0)"
            ));
        }
        if !span_id.is_empty() && !is_hex_id(&span_id, 16) {
            problems.push(format!(
                "span_id {span_id:?} is not 16 lowercase hex digits (not all 0)"
            ));
        }
        let parent_span_id = match event.get("parent_span_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if is_hex_id(p, 16) => Some(p.clone()),
            Some(other) => {
                problems.push(format!(
                    "parent_span_id {other} is not 16 lowercase hex digits (absent when there is no parent)"
                ));
                None
            }
        };
        let status = match event.get("http.response.status_code") {
            None => None,
            Some(v) => match v.as_u64().filter(|s| (100..=599).contains(s)) {
                Some(s) => Some(s as u16),
                None => {
                    problems.push(format!(
                        "http.response.status_code {v} is not an integer in 100..=599"
                    ));
                    None
                }
            },
        };
        let error_type = match event.get("error.type") {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(other) => {
                problems.push(format!("error.type {other} is not a non-empty string"));
                None
            }
        };
        let client_address = match event.get("client.address") {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(other) => {
                problems.push(format!("client.address {other} is not a non-empty string"));
                None
            }
        };
        if kind == Kind::Server && client_address.is_none() && tcp {
            problems.push("a server span without client.address".into());
        }
        if end_ns < start_ns {
            problems.push(format!(
                "end_time_unix_nano {end_ns} < start_time_unix_nano {start_ns}"
            ));
        } else if duration_ns != end_ns - start_ns {
            problems.push(format!(
                "duration_ns {duration_ns} != end - start = {}",
                end_ns - start_ns
            ));
        }
        if !name.is_empty() && name != format!("{method} {route}") {
            problems.push(format!("name {name:?} is not \"{method} {route}\""));
        }
        for (key, value) in [("url.path", &url_path), ("http.route", &route)] {
            if !value.is_empty() && (!value.starts_with('/') || value.contains('?')) {
                problems.push(format!("{key} {value:?} is not a path without a query"));
            }
        }
        match (status, &error_type) {
            (Some(s), Some(e)) if s >= 500 && *e != s.to_string() => {
                problems.push(format!("error.type {e:?} for status {s}: expected \"{s}\""));
            }
            (Some(s), None) if s >= 500 => {
                problems.push(format!("no error.type for status {s}"));
            }
            // A status as error.type where the status is no error (a failure
            // such as connection_closed may come with any status).
            (Some(s), Some(e))
                if e.parse::<u16>().is_ok() && (s < 400 || (s < 500 && kind == Kind::Server)) =>
            {
                problems.push(format!(
                    "error.type {e:?} on a {kind_text} span with status {s}"
                ));
            }
            (None, None) => {
                problems.push("no http.response.status_code and no error.type".into());
            }
            _ => {}
        }
        if tcp {
            for (key, value) in [
                ("server.port", server_port),
                ("network.peer.port", peer_port),
            ] {
                if value == 0 || value > 65_535 {
                    problems.push(format!("{key} {value} is not a port"));
                }
            }
        } else {
            let mut portless = vec!["network.peer.port"];
            if kind == Kind::Server {
                portless.push("server.port");
            }
            for key in portless {
                if let Some(value) = event.get(key) {
                    problems.push(format!(
                        "{key} {value} on a {kind_text} span over a Unix socket, which has no port"
                    ));
                }
            }
            if server_port > 65_535 {
                problems.push(format!("server.port {server_port} is not a port"));
            }
        }
        if pid == 0 || tid == 0 {
            problems.push(format!("process.pid {pid} / thread.id {tid} must be > 0"));
        }
        Span {
            kind,
            trace_id,
            span_id,
            parent_span_id,
            name,
            start_ns,
            end_ns,
            duration_ns,
            method,
            url_path,
            route,
            status,
            error_type,
            server_address,
            server_port: server_port as u16,
            client_address,
            peer_address,
            peer_port: peer_port as u16,
            transport,
            service_name,
            pid: pid as u32,
            tid: tid as u32,
            problems,
            raw: event.clone(),
        }
    }

    /// (route, method, status); status 0 when there was no response.
    pub fn key(&self) -> RouteKey {
        (
            self.route.clone(),
            self.method.clone(),
            self.status.unwrap_or(0),
        )
    }

    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.duration_ns)
    }

    /// `server.address:server.port`, or the address alone when there is no port.
    pub fn server_endpoint(&self) -> String {
        match self.server_port {
            0 => self.server_address.clone(),
            port => format!("{}:{port}", self.server_address),
        }
    }
}

/// Every span the agent printed so far, valid or not.
pub fn all(agent: &Agent) -> Vec<Span> {
    agent.with_events(|events| events.iter().filter_map(Span::from_event).collect())
}

/// Panics, listing them, when any of `spans` breaks the contract.
pub fn assert_valid(spans: &[Span]) {
    let bad: Vec<String> = spans
        .iter()
        .filter(|s| !s.problems.is_empty())
        .map(|s| format!("{}\n    in {}", s.problems.join("; "), s.raw))
        .collect();
    assert!(
        bad.is_empty(),
        "{} span line(s) break the span contract, e.g.:\n{}",
        bad.len(),
        bad[..bad.len().min(5)].join("\n")
    );
}

/// The spans satisfying `pred`, checked against the contract.
pub fn matching(agent: &Agent, pred: impl Fn(&Span) -> bool) -> Vec<Span> {
    let found: Vec<Span> = all(agent).into_iter().filter(|s| pred(s)).collect();
    assert_valid(&found);
    found
}

/// Spans of `kind` whose `server.port` is `port`, checked against the contract.
pub fn on_port(agent: &Agent, kind: Kind, port: u16) -> Vec<Span> {
    matching(agent, |s| s.kind == kind && s.server_port == port)
}

/// Waits until at least `n` spans satisfy `pred`, then returns them. Panics
/// after `timeout` with `what` was expected, what came instead, and the agent's
/// stderr.
pub fn wait_for(
    agent: &Agent,
    what: &str,
    n: usize,
    timeout: Duration,
    pred: impl Fn(&Span) -> bool,
) -> Vec<Span> {
    let deadline = Instant::now() + timeout;
    loop {
        let spans = all(agent);
        let found: Vec<Span> = spans.iter().filter(|s| pred(s)).cloned().collect();
        assert_valid(&found);
        if found.len() >= n {
            return found;
        }
        if Instant::now() >= deadline {
            let mut by_kind_port: BTreeMap<(Kind, String), usize> = BTreeMap::new();
            for span in &spans {
                *by_kind_port
                    .entry((span.kind, span.server_endpoint()))
                    .or_default() += 1;
            }
            let names: BTreeMap<String, usize> = agent.with_events(|events| {
                let mut names = BTreeMap::new();
                for event in events {
                    *names.entry(events::name(event).to_owned()).or_default() += 1;
                }
                names
            });
            let stderr = agent.stderr();
            let tail = &stderr[stderr.len().saturating_sub(3000)..];
            panic!(
                "expected {n} {what}, the agent printed {} after {timeout:?}.\n\
                 Spans in all, by (span.kind, server.address[:server.port]): {by_kind_port:?}\n\
                 Events in all, by event.name: {names:?}\n\
                 First matching spans: {:#?}\nagent stderr (tail):\n{tail}",
                found.len(),
                found.iter().take(3).map(|s| &s.raw).collect::<Vec<_>>(),
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until the number of spans satisfying `pred` has not changed for
/// `quiet` (so that late spans and duplicates have time to show up), then
/// returns them. Unlike `Agent::wait_until_idle`, this ignores whatever else
/// the machine does. Panics if they still change after `max`.
pub fn settle(
    agent: &Agent,
    quiet: Duration,
    max: Duration,
    pred: impl Fn(&Span) -> bool,
) -> Vec<Span> {
    let start = Instant::now();
    let mut last = usize::MAX;
    let mut last_change = Instant::now();
    loop {
        let found = matching(agent, &pred);
        if found.len() != last {
            last = found.len();
            last_change = Instant::now();
        } else if last_change.elapsed() >= quiet {
            return found;
        }
        assert!(
            start.elapsed() < max,
            "the number of matching spans still changes after {max:?} (now {last})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Spans per (route, method, status).
pub fn count<'a>(spans: impl IntoIterator<Item = &'a Span>) -> BTreeMap<RouteKey, u64> {
    let mut counts = BTreeMap::new();
    for span in spans {
        *counts.entry(span.key()).or_default() += 1;
    }
    counts
}

/// The value at quantile `q` (0..=1, nearest rank) of `values`, sorted here.
pub fn quantile<T: Copy + Ord>(values: &[T], q: f64) -> Option<T> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn good() -> Event {
        json!({
            "timestamp": "2026-01-01T00:00:00.000000000Z", "event.name": "span",
            "span.kind": "server",
            "trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331",
            "name": "GET /items/{id}",
            "start_time_unix_nano": 1_000u64, "end_time_unix_nano": 3_500u64, "duration_ns": 2_500u64,
            "http.request.method": "GET", "url.path": "/items/12", "http.route": "/items/{id}",
            "http.response.status_code": 200,
            "server.address": "127.0.0.1", "server.port": 8000,
            "client.address": "127.0.0.1", "network.peer.address": "127.0.0.1",
            "network.peer.port": 40000, "service.name": "shop",
            "process.pid": 10, "thread.id": 11,
        })
    }

    #[test]
    fn a_good_span_parses() {
        let span = Span::from_event(&good()).unwrap();
        assert!(span.problems.is_empty(), "{:?}", span.problems);
        assert_eq!(span.key(), ("/items/{id}".into(), "GET".into(), 200));
        assert_eq!(span.duration(), Duration::from_nanos(2500));
        assert_eq!(span.parent_span_id, None);
        assert!(Span::from_event(&json!({"event.name": "tcp.close"})).is_none());
    }

    #[test]
    fn contract_breaches_are_named() {
        let breach = |key: &str, value: Value| {
            let mut event = good();
            if value.is_null() {
                event.as_object_mut().unwrap().remove(key);
            } else {
                event[key] = value;
            }
            Span::from_event(&event).unwrap().problems.join("; ")
        };
        assert!(breach("trace_id", json!("0AF7651916CD43DD8448EB211C80319C")).contains("trace_id"));
        assert!(breach("span_id", json!("0000000000000000")).contains("span_id"));
        assert!(breach("parent_span_id", json!("")).contains("parent_span_id"));
        assert!(breach("url.path", json!("/items/12?x=1")).contains("url.path"));
        assert!(breach("duration_ns", json!(2)).contains("duration_ns"));
        assert!(breach("name", json!("GET /items/12")).contains("name"));
        assert!(breach("http.response.status_code", json!(500)).contains("error.type"));
        assert!(breach("error.type", json!("404")).contains("error.type"));
        assert!(breach("client.address", Value::Null).contains("client.address"));
        assert!(breach("start_time_unix_nano", json!("1000")).contains("start_time_unix_nano"));
        let mut failed = good();
        failed
            .as_object_mut()
            .unwrap()
            .remove("http.response.status_code");
        failed["error.type"] = json!("connection_closed");
        let failed = Span::from_event(&failed).unwrap();
        assert!(failed.problems.is_empty(), "{:?}", failed.problems);
        assert_eq!(failed.status, None);
        let mut cut = good();
        cut["error.type"] = json!("connection_closed");
        assert!(Span::from_event(&cut).unwrap().problems.is_empty());
    }

    #[test]
    fn unix_socket_spans_have_no_ports() {
        let unix = || {
            let mut event = good();
            let map = event.as_object_mut().unwrap();
            for key in [
                "server.port",
                "network.peer.port",
                "client.address",
                "network.peer.address",
            ] {
                map.remove(key);
            }
            event["server.address"] = json!("/tmp/x/shop.sock");
            event["network.transport"] = json!("unix");
            event
        };
        let span = Span::from_event(&unix()).unwrap();
        assert!(span.problems.is_empty(), "{:?}", span.problems);
        assert_eq!((span.server_port, span.peer_port), (0, 0));
        assert_eq!(span.transport.as_deref(), Some("unix"));
        assert_eq!(span.server_endpoint(), "/tmp/x/shop.sock");
        let with = |key: &str, value: Value| {
            let mut event = unix();
            event[key] = value;
            Span::from_event(&event).unwrap().problems.join("; ")
        };
        assert!(with("server.port", json!(8000)).contains("no port"));
        assert!(with("network.peer.port", json!(1)).contains("no port"));
        assert!(with("span.kind", json!("client")).is_empty());
        let mut client = unix();
        client["span.kind"] = json!("client");
        client["server.port"] = json!(8000);
        assert!(Span::from_event(&client).unwrap().problems.is_empty());
        // Without network.transport, TCP's rules: ports are required.
        let mut bare = unix();
        bare.as_object_mut().unwrap().remove("network.transport");
        assert!(Span::from_event(&bare)
            .unwrap()
            .problems
            .join("; ")
            .contains("no server.port"));
        assert!(with("network.transport", json!("udp")).contains("network.transport"));
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        assert_eq!(quantile(&[5, 1, 3, 2, 4], 0.5), Some(3));
        assert_eq!(quantile(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(quantile(&[7], 0.99), Some(7));
        assert_eq!(quantile::<u32>(&[], 0.5), None);
    }
}
