//! Trace context: an inbound W3C `traceparent` puts the server span in that
//! trace under that parent; a call the view makes with `requests` is a client
//! span, child of the view's server span, made by the same thread.

use std::{
    collections::BTreeMap,
    time::{SystemTime, UNIX_EPOCH},
};

use sonde_tests::{
    client::{self, Conn, Exchange, Request, Rng},
    django::{ServerKind, BACKEND_SERVICE},
    spans::{self, Kind, Span},
};

use crate::{check_server_span, settled, Rig, LOOPBACK, SERVICE, SPAN_TIMEOUT};

fn rng() -> Rng {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    Rng::new(now)
}

/// Sends each request on a connection of its own.
fn send_each(rig: &Rig, requests: &[Request]) -> Vec<Exchange> {
    let exchanges: Vec<Exchange> = requests
        .iter()
        .map(|request| {
            let mut conn = Conn::open(rig.server.addr(), rig.server.kind().keeps_alive())
                .unwrap_or_else(|e| panic!("connect to {}: {e}", rig.server.addr()));
            conn.exchange(request, false)
                .unwrap_or_else(|e| panic!("{} {}: {e}", request.method, request.target()))
        })
        .collect();
    client::assert_statuses(&exchanges);
    exchanges
}

/// The server span of each exchange (one request per connection), by id.
fn server_spans_of(rig: &Rig, exchanges: &[Exchange]) -> BTreeMap<u64, Span> {
    let port = rig.port();
    let client_ports: Vec<u16> = exchanges.iter().map(|e| e.local_port).collect();
    spans::wait_for(
        &rig.agent,
        &format!("server spans on port {port} from client ports {client_ports:?}"),
        exchanges.len(),
        SPAN_TIMEOUT,
        |s| s.kind == Kind::Server && s.server_port == port && client_ports.contains(&s.peer_port),
    );
    let all = settled(&rig.agent, Kind::Server, port);
    let workers = rig.server.worker_pids();
    exchanges
        .iter()
        .map(|exchange| {
            let found: Vec<&Span> = all
                .iter()
                .filter(|s| s.peer_port == exchange.local_port)
                .collect();
            assert_eq!(
                found.len(),
                1,
                "one server span for {} {} from client port {}: {:#?}",
                exchange.request.method,
                exchange.request.path,
                exchange.local_port,
                found.iter().map(|s| &s.raw).collect::<Vec<_>>()
            );
            check_server_span(found[0], exchange, &rig.server, &workers);
            (exchange.id, found[0].clone())
        })
        .collect()
}

fn traceparent_is_honoured(kind: ServerKind) {
    let rig = Rig::start(kind, false);
    let mut rng = rng();
    let (trace, parent) = (rng.hex(32), rng.hex(16));
    let header = format!("00-{trace}-{parent}-01");
    let invalid = format!("00-{}-{}-01", "0".repeat(32), rng.hex(16));
    let requests = [
        Request::get("/hello", "/hello", 200).with_header("traceparent", &header),
        Request::get("/items/7", "/items/{id}", 200).with_header("traceparent", &header),
        Request::get("/items/8", "/items/{id}", 200),
        Request::get("/hello", "/hello", 200).with_header("traceparent", &invalid),
    ];
    let exchanges = send_each(&rig, &requests);
    let spans = server_spans_of(&rig, &exchanges);
    let span = |i: usize| &spans[&exchanges[i].id];

    for i in [0, 1] {
        let s = span(i);
        assert_eq!(
            (s.trace_id.as_str(), s.parent_span_id.as_deref()),
            (trace.as_str(), Some(parent.as_str())),
            "a request with `traceparent: {header}` gives a server span in trace {trace} with \
             parent {parent}: {}",
            s.raw
        );
        assert_ne!(
            s.span_id, parent,
            "the span has an id of its own: {}",
            s.raw
        );
    }
    assert_ne!(span(0).span_id, span(1).span_id, "span ids are unique");
    for i in [2, 3] {
        let s = span(i);
        assert!(
            s.parent_span_id.is_none() && s.trace_id != trace,
            "without a (valid) traceparent a server span starts a trace of its own: {}",
            s.raw
        );
    }
    assert_ne!(span(2).trace_id, span(3).trace_id, "two new traces");
    rig.finish();
}

fn backend_call_is_a_child_of_the_view(kind: ServerKind) {
    let rig = Rig::start(kind, true);
    let backend_port = rig.backend_port();
    let mut rng = rng();
    let (trace, parent) = (rng.hex(32), rng.hex(16));
    let requests = [
        Request::get("/call-backend", "/call-backend", 200),
        Request::get("/call-backend", "/call-backend", 200)
            .with_header("traceparent", &format!("00-{trace}-{parent}-01")),
    ];
    let exchanges = send_each(&rig, &requests);
    let server_spans = server_spans_of(&rig, &exchanges);
    spans::wait_for(
        &rig.agent,
        &format!("client spans to the backend on port {backend_port}"),
        exchanges.len(),
        SPAN_TIMEOUT,
        |s| s.kind == Kind::Client && s.server_port == backend_port,
    );
    let client_spans = spans::on_port(&rig.agent, Kind::Client, backend_port);
    assert_eq!(
        client_spans.len(),
        exchanges.len(),
        "one client span per backend call: {:#?}",
        client_spans.iter().map(|s| &s.raw).collect::<Vec<_>>()
    );

    for exchange in &exchanges {
        let view = &server_spans[&exchange.id];
        let children: Vec<&Span> = client_spans
            .iter()
            .filter(|c| c.parent_span_id.as_deref() == Some(view.span_id.as_str()))
            .collect();
        assert_eq!(
            children.len(),
            1,
            "one client span whose parent_span_id is the view's span_id {}; view: {}\nclient spans: {:#?}",
            view.span_id,
            view.raw,
            client_spans.iter().map(|s| &s.raw).collect::<Vec<_>>()
        );
        let call = children[0];
        let mut wrong = Vec::new();
        let mut expect = |what: &str, ok: bool| {
            if !ok {
                wrong.push(what.to_owned());
            }
        };
        expect("trace_id (the view's)", call.trace_id == view.trace_id);
        expect("process.pid (the view's)", call.pid == view.pid);
        expect("thread.id (the view's)", call.tid == view.tid);
        expect("service.name", call.service_name == SERVICE);
        expect("http.request.method", call.method == "GET");
        expect(
            "url.path (/orders/N, no query)",
            call.url_path.starts_with("/orders/"),
        );
        expect("http.route", call.route == "/orders/{id}");
        expect("http.response.status_code", call.status == Some(200));
        expect("no error.type", call.error_type.is_none());
        expect("server.address", call.server_address == LOOPBACK);
        expect("network.peer.address", call.peer_address == LOOPBACK);
        expect("network.peer.port", call.peer_port == backend_port);
        expect(
            "start/end within the view's",
            view.start_ns <= call.start_ns && call.end_ns <= view.end_ns,
        );
        assert!(
            wrong.is_empty(),
            "the backend call has a wrong {}:\ncall: {}\nview: {}",
            wrong.join(", "),
            call.raw,
            view.raw
        );
    }
    let traced = &server_spans[&exchanges[1].id];
    assert_eq!(
        (traced.trace_id.as_str(), traced.parent_span_id.as_deref()),
        (trace.as_str(), Some(parent.as_str())),
        "{}",
        traced.raw
    );

    // The backend's own server spans, named after its OTEL_SERVICE_NAME.
    let backend_spans = spans::wait_for(
        &rig.agent,
        &format!("server spans of the backend on port {backend_port}"),
        exchanges.len(),
        SPAN_TIMEOUT,
        |s| s.kind == Kind::Server && s.server_port == backend_port,
    );
    for span in &backend_spans {
        assert!(
            span.service_name == BACKEND_SERVICE && span.route == "/orders/{id}",
            "the backend runs with OTEL_SERVICE_NAME={BACKEND_SERVICE}: {}",
            span.raw
        );
    }
    rig.finish();
}

#[test]
fn gunicorn_sync_traceparent_is_honoured() {
    traceparent_is_honoured(ServerKind::GunicornSync);
}

#[test]
fn gunicorn_gthread_traceparent_is_honoured() {
    traceparent_is_honoured(ServerKind::GunicornGthread);
}

#[test]
fn uwsgi_traceparent_is_honoured() {
    traceparent_is_honoured(ServerKind::Uwsgi);
}

#[test]
fn gunicorn_sync_backend_call_is_a_child_of_the_view() {
    backend_call_is_a_child_of_the_view(ServerKind::GunicornSync);
}

#[test]
fn gunicorn_gthread_backend_call_is_a_child_of_the_view() {
    backend_call_is_a_child_of_the_view(ServerKind::GunicornGthread);
}

#[test]
fn uwsgi_backend_call_is_a_child_of_the_view() {
    backend_call_is_a_child_of_the_view(ServerKind::Uwsgi);
}
