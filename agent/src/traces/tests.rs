//! Spans from event sequences as the HTTP pipeline delivers them.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::assembler::DEFAULT_MAX_IN_FLIGHT;
use super::context::{Hex, IdGenerator, TraceContext};
use super::*;
use crate::events::clock::MonotonicClock;
use crate::events::Value;
use crate::http::exchange::{ConnectionKey, Endpoint, HttpEvent, Role};
use crate::protocols::http1::{ExchangeError, Http1Event, Http1Exchange, RequestHead};

const INBOUND: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const SERVICE: &str = "shop";

fn conn(n: u64) -> ConnectionKey {
    ConnectionKey {
        sk: 0xffff_0000 + n,
        ino: n,
    }
}

fn inet(addr: &str) -> Option<Endpoint> {
    Some(Endpoint::Inet(addr.parse::<SocketAddr>().expect("address")))
}

fn head(method: &str, target: &str, traceparent: Option<&str>) -> RequestHead {
    RequestHead {
        method: method.to_string().into(),
        target: target.to_string(),
        version: 1,
        host: Some("api.internal:9000".into()),
        traceparent: traceparent.map(str::to_string),
    }
}

fn event(role: Role, connection: ConnectionKey, pid: u32, event: Http1Event) -> HttpEvent {
    let (local, peer) = match role {
        Role::Server => (inet("10.0.0.1:8000"), inet("[::ffff:10.0.0.2]:51000")),
        Role::Client => (inet("10.0.0.1:40000"), inet("10.0.0.3:9000")),
    };
    HttpEvent {
        role,
        connection,
        pid,
        local,
        peer,
        event,
    }
}

/// A started request, to end it with.
struct Started {
    key: (ConnectionKey, u64),
    role: Role,
    pid: u32,
    tid: u32,
    start_ns: u64,
    head: RequestHead,
}

/// Drives an assembler the way the pipeline does, one event at a time.
struct Driver {
    spans: SpanAssembler,
    started: Vec<Started>,
}

impl Driver {
    fn new() -> Driver {
        Driver::with_capacity(DEFAULT_MAX_IN_FLIGHT)
    }

    fn with_capacity(capacity: usize) -> Driver {
        Driver {
            spans: SpanAssembler::with_capacity(capacity, IdGenerator::with_seed(42)),
            started: Vec::new(),
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a test helper naming every field"
    )]
    fn start(
        &mut self,
        role: Role,
        connection: ConnectionKey,
        sequence: u64,
        pid: u32,
        tid: u32,
        start_ns: u64,
        head: RequestHead,
    ) {
        let started = Http1Event::RequestStarted {
            sequence,
            head: Arc::new(head.clone()),
            start_ns,
            tid,
        };
        let span = self.spans.on_event(
            &event(role, connection, pid, started),
            &SERVICE.into(),
            &"/r".into(),
        );
        assert!(span.is_none());
        self.started.push(Started {
            key: (connection, sequence),
            role,
            pid,
            tid,
            start_ns,
            head,
        });
    }

    fn server(&mut self, connection: ConnectionKey, sequence: u64, pid: u32, tid: u32, at: u64) {
        let head = head("GET", "/orders/7?x=1", None);
        self.start(Role::Server, connection, sequence, pid, tid, at, head);
    }

    fn client(&mut self, connection: ConnectionKey, sequence: u64, pid: u32, tid: u32, at: u64) {
        let head = head("POST", "/pay", None);
        self.start(Role::Client, connection, sequence, pid, tid, at, head);
    }

    /// Ends a started request with a 200 at `end_ns`.
    fn end(&mut self, connection: ConnectionKey, sequence: u64, end_ns: u64) -> Span {
        let index = self
            .started
            .iter()
            .position(|started| started.key == (connection, sequence))
            .expect("started");
        let started = self.started.remove(index);
        let exchange = exchange(
            sequence,
            started.head,
            started.start_ns,
            started.tid,
            Some(200),
            end_ns,
        );
        self.spans
            .on_event(
                &event(
                    started.role,
                    connection,
                    started.pid,
                    Http1Event::Exchange(exchange),
                ),
                &SERVICE.into(),
                &"/r".into(),
            )
            .expect("a span")
    }
}

fn exchange(
    sequence: u64,
    head: RequestHead,
    start_ns: u64,
    tid: u32,
    status: Option<u16>,
    end_ns: u64,
) -> Http1Exchange {
    Http1Exchange {
        sequence,
        head: Arc::new(head),
        status,
        request_start_ns: start_ns,
        request_tid: tid,
        request_end_ns: start_ns + 10,
        response_start_ns: status.map(|_| end_ns),
        response_end_ns: status.map(|_| end_ns),
        response_tid: status.map(|_| tid),
        request_body_bytes: 0,
        response_body_bytes: 0,
        error: None,
    }
}

fn assert_child(child: &Span, parent: &Span) {
    assert_eq!(child.trace_id, parent.trace_id, "{child:?}\n{parent:?}");
    assert_eq!(child.parent_span_id, Some(parent.span_id));
}

fn assert_root(span: &Span, others: &[&Span]) {
    assert_eq!(span.parent_span_id, None);
    for other in others {
        assert_ne!(span.trace_id, other.trace_id);
    }
}

#[test]
fn sync_worker_client_call_is_a_child_of_the_request() {
    let mut d = Driver::new();
    let inbound = TraceContext::parse_traceparent(INBOUND).expect("valid");
    let (s, c) = (conn(1), conn(2));
    let head = head("GET", "/orders/7", Some(INBOUND));
    d.start(Role::Server, s, 0, 100, 100, 1_000, head);
    d.client(c, 0, 100, 100, 2_000);
    let client = d.end(c, 0, 3_000);
    let server = d.end(s, 0, 4_000);
    assert_eq!(server.trace_id, inbound.trace_id);
    assert_eq!(server.parent_span_id, Some(inbound.span_id));
    assert_ne!(server.span_id, inbound.span_id);
    assert_child(&client, &server);
    assert_eq!(server.kind, Role::Server);
    assert_eq!(client.kind, Role::Client);
    assert_eq!((server.start_ns, server.end_ns), (1_000, 4_000));
    assert_eq!((client.start_ns, client.end_ns), (2_000, 3_000));

    // Next request on the keep-alive connection, without a traceparent: a
    // new trace, and the pooled client connection's next request its child.
    d.server(s, 1, 100, 100, 5_000);
    d.client(c, 1, 100, 100, 6_000);
    let client2 = d.end(c, 1, 7_000);
    let server2 = d.end(s, 1, 8_000);
    assert_root(&server2, &[&server]);
    assert_child(&client2, &server2);

    // Between requests the worker serves nothing: a root span.
    d.client(c, 2, 100, 100, 9_000);
    let idle = d.end(c, 2, 9_500);
    assert_root(&idle, &[&server, &server2]);
    assert_eq!(d.spans.in_flight(), 0);
}

#[test]
fn gthread_threads_interleave_without_mixing() {
    let mut d = Driver::new();
    let pid = 200;
    d.server(conn(1), 0, pid, 201, 100);
    d.server(conn(2), 0, pid, 202, 110);
    d.client(conn(12), 0, pid, 202, 120);
    d.client(conn(11), 0, pid, 201, 130);
    d.server(conn(3), 0, pid, 203, 140);
    // A second call from thread 201, on another pooled connection.
    d.client(conn(21), 0, pid, 201, 150);
    d.client(conn(13), 0, pid, 203, 160);
    let c12 = d.end(conn(12), 0, 170);
    let s2 = d.end(conn(2), 0, 180);
    let c13 = d.end(conn(13), 0, 190);
    let c11 = d.end(conn(11), 0, 200);
    let s3 = d.end(conn(3), 0, 210);
    let c21 = d.end(conn(21), 0, 220);
    let s1 = d.end(conn(1), 0, 230);
    assert_child(&c11, &s1);
    assert_child(&c21, &s1);
    assert_child(&c12, &s2);
    assert_child(&c13, &s3);
    for server in [&s1, &s2, &s3] {
        assert_eq!(server.parent_span_id, None);
    }
    assert_root(&s1, &[&s2, &s3]);
    assert_root(&s2, &[&s3]);
    // Thread ids are the request's thread.
    assert_eq!(c13.int_attribute("thread.id"), Some(203));
    assert_eq!(s2.int_attribute("thread.id"), Some(202));
}

#[test]
fn a_thread_that_moved_on_keeps_its_new_request() {
    let mut d = Driver::new();
    // Request 0 on conn 1 ends late (its end is only known later), after
    // the thread has started serving conn 2.
    d.server(conn(1), 0, 300, 301, 100);
    d.server(conn(2), 0, 300, 301, 200);
    let first = d.end(conn(1), 0, 250);
    d.client(conn(9), 0, 300, 301, 300);
    let client = d.end(conn(9), 0, 400);
    let second = d.end(conn(2), 0, 500);
    assert_child(&client, &second);
    assert_root(&first, &[&second]);
}

#[test]
fn threads_are_per_process_and_time_ordered() {
    let mut d = Driver::new();
    d.server(conn(1), 0, 400, 401, 1_000);
    // Same tid in another process (a different pid namespace view): unrelated.
    d.client(conn(2), 0, 999, 401, 1_100);
    // A client request that began before the server request did.
    d.client(conn(3), 0, 400, 401, 900);
    let other_process = d.end(conn(2), 0, 1_200);
    let earlier = d.end(conn(3), 0, 1_300);
    let server = d.end(conn(1), 0, 1_400);
    assert_root(&other_process, &[&server]);
    assert_root(&earlier, &[&server]);
}

#[test]
fn pipelined_requests_keep_their_own_ids() {
    let mut d = Driver::new();
    let inbound = TraceContext::parse_traceparent(INBOUND).expect("valid");
    d.start(
        Role::Server,
        conn(1),
        0,
        500,
        501,
        100,
        head("GET", "/a", Some(INBOUND)),
    );
    d.server(conn(1), 1, 500, 501, 110);
    let second_first = d.end(conn(1), 1, 300);
    let first = d.end(conn(1), 0, 200);
    assert_eq!(first.trace_id, inbound.trace_id);
    assert_root(&second_first, &[&first]);
}

#[test]
fn exchanges_never_announced_still_get_linked() {
    let mut d = Driver::new();
    d.server(conn(1), 0, 600, 601, 100);
    // The client request's start was never seen (e.g. the agent started
    // mid-request): linked at its end through its thread.
    let unannounced = exchange(0, head("GET", "/x", None), 150, 601, Some(204), 180);
    let client = d
        .spans
        .on_event(
            &event(
                Role::Client,
                conn(2),
                600,
                Http1Event::Exchange(unannounced),
            ),
            &SERVICE.into(),
            &"/x".into(),
        )
        .expect("span");
    let server = d.end(conn(1), 0, 200);
    assert_child(&client, &server);
    // A server exchange never announced honours its traceparent.
    let inbound = TraceContext::parse_traceparent(INBOUND).expect("valid");
    let unannounced = exchange(0, head("GET", "/x", Some(INBOUND)), 10, 602, Some(200), 20);
    let server = d
        .spans
        .on_event(
            &event(
                Role::Server,
                conn(3),
                600,
                Http1Event::Exchange(unannounced),
            ),
            &SERVICE.into(),
            &"/x".into(),
        )
        .expect("span");
    assert_eq!(server.trace_id, inbound.trace_id);
    assert_eq!(server.parent_span_id, Some(inbound.span_id));
}

#[test]
fn memory_is_bounded_and_evictions_counted() {
    let mut d = Driver::with_capacity(4);
    for n in 0..10 {
        d.server(conn(n), 0, 700, 700 + n as u32, n * 10);
    }
    assert_eq!(d.spans.in_flight(), 4);
    assert_eq!(d.spans.evicted(), 6);
    // An evicted server request no longer parents its thread's calls...
    d.client(conn(100), 0, 700, 700, 1_000);
    let orphan = d.end(conn(100), 0, 1_100);
    // ...and still gets a span at its end.
    let evicted = d.end(conn(0), 0, 1_200);
    assert_root(&orphan, &[&evicted]);
    // The newest are remembered: thread 709 still parents its call.
    d.client(conn(101), 0, 700, 709, 1_300);
    let child = d.end(conn(101), 0, 1_400);
    let server = d.end(conn(9), 0, 1_500);
    assert_child(&child, &server);

    // Churn far past the bound: in-flight stays bounded.
    let mut d = Driver::with_capacity(100);
    for n in 0..10_000u64 {
        d.server(conn(n), 0, 1, 2, n);
        if n % 3 != 0 {
            d.end(conn(n), 0, n + 1);
        }
        assert!(d.spans.in_flight() <= 100);
    }
    assert_eq!(d.spans.evicted(), 10_000 / 3 + 1 - 100);
}

#[test]
fn forgotten_connections_release_their_requests() {
    let mut d = Driver::new();
    d.server(conn(1), 0, 800, 801, 100);
    d.server(conn(1), 1, 800, 801, 110);
    d.client(conn(2), 0, 800, 802, 120);
    assert_eq!(d.spans.in_flight(), 3);
    d.spans.forget_connection(conn(1));
    d.spans.forget_connection(conn(42));
    assert_eq!(d.spans.in_flight(), 1);
    // The thread no longer serves the forgotten request.
    d.client(conn(3), 0, 800, 801, 130);
    let client = d.end(conn(3), 0, 140);
    assert_eq!(client.parent_span_id, None);
    assert_eq!(d.spans.evicted(), 0);
}

#[test]
fn server_span_attributes() {
    let mut d = Driver::new();
    d.server(conn(1), 0, 900, 901, 1_000);
    let span = d.end(conn(1), 0, 2_000);
    assert_eq!(span.name, "GET /r");
    let expected: Vec<(&str, Value)> = vec![
        ("http.request.method", "GET".into()),
        ("url.path", "/orders/7".into()),
        ("http.route", "/r".into()),
        ("http.response.status_code", Value::Int(200)),
        ("network.protocol.version", "1.1".into()),
        ("server.address", "10.0.0.1".into()),
        ("server.port", Value::Int(8000)),
        ("client.address", "10.0.0.2".into()),
        ("network.peer.address", "10.0.0.2".into()),
        ("network.peer.port", Value::Int(51000)),
        ("network.transport", "tcp".into()),
        ("service.name", SERVICE.into()),
        ("process.pid", Value::Int(900)),
        ("thread.id", Value::Int(901)),
    ];
    assert_eq!(span.attributes, expected);
    assert_eq!(span.error_type, None);
}

#[test]
fn client_span_attributes_and_errors() {
    let mut d = Driver::new();
    d.client(conn(1), 0, 900, 901, 1_000);
    let started = d.started.pop().expect("started");
    let mut failed = exchange(0, started.head, 1_000, 901, Some(503), 3_000);
    Arc::make_mut(&mut failed.head).method = "BREW".into();
    let span = d
        .spans
        .on_event(
            &event(Role::Client, conn(1), 900, Http1Event::Exchange(failed)),
            &SERVICE.into(),
            &"".into(),
        )
        .expect("span");
    assert_eq!(span.name, "HTTP");
    assert_eq!(span.str_attribute("http.request.method"), Some("_OTHER"));
    assert_eq!(
        span.str_attribute("http.request.method_original"),
        Some("BREW")
    );
    assert_eq!(span.str_attribute("server.address"), Some("api.internal"));
    assert_eq!(span.int_attribute("server.port"), Some(9000));
    assert_eq!(span.str_attribute("network.peer.address"), Some("10.0.0.3"));
    assert_eq!(span.attribute("client.address"), None);
    assert_eq!(span.attribute("http.route"), None);
    assert_eq!(span.error_type.as_deref(), Some("503"));

    // Closed before any response: the span ends with the request.
    let mut closed = exchange(1, head("GET", "/", None), 5_000, 901, None, 0);
    closed.error = Some(ExchangeError::ConnectionClosed);
    let mut unix = event(Role::Server, conn(2), 900, Http1Event::Exchange(closed));
    unix.local = Some(Endpoint::Unix("/run/gunicorn.sock".into()));
    unix.peer = Some(Endpoint::Unix("".into()));
    let span = d
        .spans
        .on_event(&unix, &SERVICE.into(), &"/".into())
        .expect("span");
    assert_eq!((span.start_ns, span.end_ns), (5_000, 5_010));
    assert_eq!(span.error_type.as_deref(), Some("connection_closed"));
    assert_eq!(span.attribute("http.response.status_code"), None);
    assert_eq!(span.str_attribute("network.transport"), Some("unix"));
    assert_eq!(
        span.str_attribute("server.address"),
        Some("/run/gunicorn.sock")
    );
    assert_eq!(span.attribute("server.port"), None);
    assert_eq!(span.attribute("client.address"), None);
    assert_eq!(span.attribute("network.peer.address"), None);
}

/// The keys of a JSON object, in the order written.
struct Keys(Vec<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Keys, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

#[test]
fn json_line_has_exactly_the_expected_keys() {
    let mut d = Driver::new();
    let head = head("GET", "/orders/7", Some(INBOUND));
    d.start(Role::Server, conn(1), 0, 100, 101, 1_000_000, head);
    d.client(conn(2), 0, 100, 101, 1_500_000);
    let client = d.end(conn(2), 0, 2_000_000);
    let mut server = d.end(conn(1), 0, 3_000_000);
    server.error_type = Some("500".into());
    let clock = MonotonicClock::new();

    let line = to_json_line(&server, &clock);
    assert!(!line.contains('\n'));
    let keys = serde_json::from_str::<Keys>(&line).expect("json").0;
    let mut expected = vec![
        "event.name",
        "span.kind",
        "trace_id",
        "span_id",
        "parent_span_id",
        "name",
        "start_time_unix_nano",
        "end_time_unix_nano",
        "duration_ns",
    ];
    expected.extend(server.attributes.iter().map(|(key, _)| *key));
    expected.push("error.type");
    assert_eq!(keys, expected);

    let json: serde_json::Value = serde_json::from_str(&line).expect("json");
    assert_eq!(json["event.name"], "span");
    assert_eq!(json["span.kind"], "server");
    assert_eq!(json["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(json["parent_span_id"], "00f067aa0ba902b7");
    assert_eq!(json["span_id"].as_str().map(str::len), Some(16));
    assert_eq!(json["name"], "GET /r");
    assert_eq!(json["duration_ns"], 2_000_000);
    let start = json["start_time_unix_nano"].as_u64().expect("start");
    let end = json["end_time_unix_nano"].as_u64().expect("end");
    assert_eq!(end - start, 2_000_000);
    assert_eq!(json["http.response.status_code"], 200);
    assert_eq!(json["http.route"], "/r");
    assert_eq!(json["url.path"], "/orders/7");
    assert_eq!(json["error.type"], "500");

    let json: serde_json::Value =
        serde_json::from_str(&to_json_line(&client, &clock)).expect("json");
    assert_eq!(json["span.kind"], "client");
    assert_eq!(json["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(
        json["parent_span_id"].as_str(),
        Some(Hex(&server.span_id).to_string().as_str())
    );
    assert!(json.get("error.type").is_none());

    // A root has no parent_span_id at all.
    d.server(conn(3), 0, 100, 101, 10);
    let root = d.end(conn(3), 0, 20);
    let keys = serde_json::from_str::<Keys>(&to_json_line(&root, &clock))
        .expect("json")
        .0;
    assert!(!keys.iter().any(|k| k == "parent_span_id"), "{keys:?}");
    assert!(!keys.iter().any(|k| k == "error.type"), "{keys:?}");
}

#[test]
fn human_line_reads_as_one_line() {
    let mut d = Driver::new();
    d.server(conn(1), 0, 100, 101, 1_000_000);
    let mut span = d.end(conn(1), 0, 13_345_000);
    span.error_type = Some("500".into());
    span.attributes
        .push(("http.route", Value::Str("/a b\"c".into())));
    let line = to_human_line(&span, &MonotonicClock::new());
    assert!(!line.contains('\n'), "{line}");
    assert!(
        line.contains(" SPAN server \"GET /r\" 12.345ms trace_id="),
        "{line}"
    );
    assert!(!line.contains("parent_span_id"), "{line}");
    assert!(line.contains(" http.response.status_code=200 "), "{line}");
    assert!(line.contains(" http.route=\"/a b\\\"c\""), "{line}");
    assert!(line.ends_with(" error.type=500"), "{line}");
}
