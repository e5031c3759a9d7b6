//! Garbage on a server's socket — random bytes, a request line followed by
//! random bytes, a truncated request, a 10 MB header — leaves the agent running
//! without a panic, and yields no span and no metric; valid requests sent after
//! it are counted as usual.

use std::{
    collections::BTreeMap,
    thread,
    time::{Duration, Instant},
};

use sonde_tests::{
    client::{self, Conn, Request, Rng},
    django::ServerKind,
    red::{self, CLIENT_DURATION, SERVER_DURATION},
    spans::{self, Kind},
};

use crate::{assert_counts, check_server_span, Rig, METRICS_TIMEOUT, SETTLE_QUIET, SPAN_TIMEOUT};

/// Valid requests sent after the garbage.
const MARKERS: usize = 3;

/// The garbage, by name.
fn garbage() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Rng::new(0x6A7B);
    let mut random = vec![0u8; 64 * 1024];
    rng.fill(&mut random);
    let mut after_request_line = b"GET /hello HTTP/1.1\r\n".to_vec();
    let mut tail = vec![0u8; 8 * 1024];
    rng.fill(&mut tail);
    after_request_line.extend_from_slice(&tail);
    let truncated =
        b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: sonde-tests\r\nX-Cut: he".to_vec();
    let mut huge = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ".to_vec();
    huge.resize(huge.len() + 10 * 1024 * 1024, b'a');
    huge.extend_from_slice(b"\r\n\r\n");
    vec![
        ("64 KiB of random bytes", random),
        (
            "a request line then 8 KiB of random bytes",
            after_request_line,
        ),
        ("a request cut in its headers", truncated),
        ("a request with a 10 MB header", huge),
    ]
}

fn garbage_is_ignored(kind: ServerKind) {
    let rig = Rig::start(kind, false);
    let port = rig.port();
    let workers = rig.server.worker_pids();
    let own_pid = std::process::id();

    let mut garbage_ports = BTreeMap::new();
    for (what, bytes) in garbage() {
        let mut conn = Conn::open(rig.server.addr(), false)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", rig.server.addr()));
        garbage_ports.insert(conn.local_port(), what);
        // The server may answer and close before it has read everything: a
        // failed write is part of the game.
        let _ = conn.write_raw(&bytes);
        let _ = conn.shutdown_write();
        let answer = conn.drain(Duration::from_secs(5));
        eprintln!(
            "{}: {what}: the server answered {:?}",
            kind.name(),
            String::from_utf8_lossy(&answer[..answer.len().min(60)])
        );
    }
    // Let the agent chew on it before the valid requests.
    thread::sleep(Duration::from_millis(500));

    let markers: Vec<_> = (0..MARKERS)
        .map(|_| {
            let mut conn = Conn::open(rig.server.addr(), false).expect("connect");
            conn.exchange(&Request::get("/hello", "/hello", 200), false)
                .expect("GET /hello after the garbage")
        })
        .collect();
    client::assert_statuses(&markers);
    let expected = client::count(&markers);
    let marker_ports: Vec<u16> = markers.iter().map(|e| e.local_port).collect();

    spans::wait_for(
        &rig.agent,
        &format!(
            "server spans on port {port} for the {MARKERS} valid requests sent after the garbage"
        ),
        MARKERS,
        SPAN_TIMEOUT,
        |s| s.kind == Kind::Server && s.server_port == port && marker_ports.contains(&s.peer_port),
    );
    // Both kinds: the test process's own client spans to the port count too.
    spans::settle(&rig.agent, SETTLE_QUIET, SPAN_TIMEOUT, |s| {
        s.server_port == port
    });
    assert_eq!(
        rig.agent.get("/readyz").status,
        200,
        "the agent is still ready after the garbage"
    );

    let server_spans = spans::on_port(&rig.agent, Kind::Server, port);
    let from_garbage: Vec<_> = server_spans
        .iter()
        .filter(|s| !marker_ports.contains(&s.peer_port))
        .map(|s| {
            (
                garbage_ports.get(&s.peer_port).copied().unwrap_or("?"),
                &s.raw,
            )
        })
        .collect();
    assert!(
        from_garbage.is_empty(),
        "server spans for garbage (what was sent, span): {from_garbage:#?}"
    );
    assert_counts("server spans", &spans::count(&server_spans), &expected);
    for exchange in &markers {
        let span = server_spans
            .iter()
            .find(|s| s.peer_port == exchange.local_port)
            .expect("a span per marker");
        check_server_span(span, exchange, &rig.server, &workers);
    }
    // This process was the garbage's client: no client span for it either.
    let own_client_spans: Vec<_> = spans::on_port(&rig.agent, Kind::Client, port)
        .into_iter()
        .filter(|s| s.pid == own_pid)
        .collect();
    assert!(
        own_client_spans.len() <= MARKERS
            && own_client_spans
                .iter()
                .all(|s| s.route == "/hello" && s.status == Some(200)),
        "client spans of the test process to port {port}: only the valid requests may have one: {:#?}",
        own_client_spans.iter().map(|s| &s.raw).collect::<Vec<_>>()
    );

    red::wait_for_total(
        &rig.agent,
        SERVER_DURATION,
        port,
        MARKERS as u64,
        METRICS_TIMEOUT,
    );
    let metrics = rig.agent.metrics();
    assert_counts(
        &format!("{SERVER_DURATION}_count{{server_port=\"{port}\"}}"),
        &red::counts(&red::histograms(&metrics, SERVER_DURATION, port)),
        &expected,
    );
    let client_counts = red::counts(&red::histograms(&metrics, CLIENT_DURATION, port));
    assert!(
        client_counts.keys().all(|k| k.0 == "/hello" && k.2 == 200)
            && client_counts.values().sum::<u64>() <= MARKERS as u64,
        "{CLIENT_DURATION} for port {port} counts garbage: {client_counts:?}"
    );
    // What the parser gave up on is counted, not silently lost: the request
    // line followed by random bytes and the 10 MB header at least (the
    // random bytes alone are never classified as HTTP).
    let deadline = Instant::now() + METRICS_TIMEOUT;
    let unparseable = loop {
        let value = dropped(&rig.agent.metrics(), "request_unparseable");
        if value >= 2 || Instant::now() > deadline {
            break value;
        }
        thread::sleep(Duration::from_millis(200));
    };
    assert!(
        unparseable >= 2,
        "sonde_http_messages_dropped_total{{reason=\"request_unparseable\"}} = {unparseable}, expected >= 2"
    );
    let stderr = rig.agent.stderr();
    assert!(!stderr.contains("panicked"), "agent stderr:\n{stderr}");
    rig.finish();
}

/// `sonde_http_messages_dropped_total{reason}` in a /metrics exposition.
fn dropped(metrics: &str, reason: &str) -> u64 {
    let prefix = format!("sonde_http_messages_dropped_total{{reason=\"{reason}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn gunicorn_sync_garbage_is_ignored() {
    garbage_is_ignored(ServerKind::GunicornSync);
}

#[test]
fn gunicorn_gthread_garbage_is_ignored() {
    garbage_is_ignored(ServerKind::GunicornGthread);
}

#[test]
fn uwsgi_garbage_is_ignored() {
    garbage_is_ignored(ServerKind::Uwsgi);
}
