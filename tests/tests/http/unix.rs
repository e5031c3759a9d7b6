//! gunicorn (gthread) bound to a Unix socket file, as behind nginx: a mix of a
//! few hundred requests over keep-alive and new connections is counted exactly
//! per (route, method, status) in the server spans and in the server histogram;
//! the spans say `network.transport` = `unix` with the socket's path as
//! `server.address` and no port anywhere; each one is a request the client
//! sent, timed like the access log. The test client's own requests are client
//! spans to the same path, as many as it sent.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, SystemTime},
};

use sonde_tests::{
    client::{run_mix, Exchange, MixOptions, Request, Rng},
    django::{Server, ServerKind},
    red::{self, Selector, CLIENT_DURATION, SERVER_DURATION},
    spans::{self, quantile, Kind, Span},
};

use crate::{assert_counts, unix_ns, Rig, METRICS_TIMEOUT, SERVICE, SETTLE_QUIET, SPAN_TIMEOUT};

const TOTAL: usize = 400;
const SEED: u64 = 0x0003_0d50;
/// Every request here is answered in milliseconds.
const MAX_DURATION: Duration = Duration::from_secs(1);
/// Limit on the median of |span duration − access-log duration|, as over TCP.
const MEDIAN_LIMIT: Duration = Duration::from_millis(1);
/// Slack on the spans' timestamps against the client's clock (as over TCP).
const CLOCK_SLACK_NS: u64 = 2_000_000_000;
/// The `Host` the client sends over a socket file, hence the client spans'
/// `server.address`.
const CLIENT_HOST: &str = "localhost";

/// `total` requests in a shuffled order: a quarter `/items/{id}` with unique
/// ids, 5 % each of `/items/0` (404), `/does-not-exist` (404) and `/error`
/// (500), the rest `/hello`; every third carries a query string.
fn mix(total: usize, seed: u64) -> Vec<Request> {
    let mut rng = Rng::new(seed);
    let share = |percent: usize| total * percent / 100;
    let mut requests = Vec::with_capacity(total);
    for i in 0..share(25) as u64 {
        let id = 1 + i * 1000 + rng.below(1000);
        requests.push(Request::get(&format!("/items/{id}"), "/items/{id}", 200));
    }
    for (percent, request) in [
        (5, Request::get("/items/0", "/items/{id}", 404)),
        (5, Request::get("/does-not-exist", "/does-not-exist", 404)),
        (5, Request::get("/error", "/error", 500)),
    ] {
        requests.extend(std::iter::repeat_n(request, share(percent)));
    }
    while requests.len() < total {
        requests.push(Request::get("/hello", "/hello", 200));
    }
    rng.shuffle(&mut requests);
    for (i, request) in requests.iter_mut().enumerate() {
        if i % 3 == 0 {
            request.query = Some(format!("n={i}&via=unix"));
        }
    }
    requests
}

/// (method, url.path, status) of each request, counted.
type PathKey = (String, String, u16);

fn by_path<'a>(keys: impl Iterator<Item = PathKey> + 'a) -> BTreeMap<PathKey, u64> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// Panics, listing a few, unless the spans' (method, url.path, status) are
/// exactly the requests the client sent.
fn assert_same_requests(what: &str, spans: &[Span], exchanges: &[Exchange]) {
    let sent = by_path(
        exchanges
            .iter()
            .map(|e| (e.request.method.clone(), e.request.path.clone(), e.status)),
    );
    let seen = by_path(
        spans
            .iter()
            .map(|s| (s.method.clone(), s.url_path.clone(), s.status.unwrap_or(0))),
    );
    if sent == seen {
        return;
    }
    let keys: BTreeSet<&PathKey> = sent.keys().chain(seen.keys()).collect();
    let differ: Vec<String> = keys
        .into_iter()
        .filter(|k| sent.get(*k) != seen.get(*k))
        .map(|(method, path, status)| {
            let key = (method.clone(), path.clone(), *status);
            format!(
                "    {method} {path} {status}: client {} / agent {}",
                sent.get(&key).copied().unwrap_or(0),
                seen.get(&key).copied().unwrap_or(0)
            )
        })
        .collect();
    panic!(
        "{what}: {} (method, url.path, status) differ between the client's requests and the \
         agent's spans, e.g.:\n{}",
        differ.len(),
        differ[..differ.len().min(15)].join("\n")
    );
}

/// The attributes of a span over the socket that do not depend on its kind:
/// `unix` transport, no port to its peer, a sane duration, a time within the
/// mix's. Adds what is wrong to `wrong`.
fn check_common(span: &Span, window: (u64, u64), wrong: &mut Vec<String>) {
    if span.transport.as_deref() != Some("unix") {
        wrong.push(format!(
            "network.transport is {:?}, expected \"unix\"",
            span.transport
        ));
    }
    if let Some(port) = span.raw.get("network.peer.port") {
        wrong.push(format!(
            "network.peer.port {port} (a Unix socket has no port)"
        ));
    }
    if span.duration_ns == 0 || span.duration() >= MAX_DURATION {
        wrong.push(format!(
            "duration_ns {} (expected > 0 and < {MAX_DURATION:?})",
            span.duration_ns
        ));
    }
    if span.start_ns + CLOCK_SLACK_NS < window.0 || span.end_ns > window.1 + CLOCK_SLACK_NS {
        wrong.push(format!(
            "start/end {}..{} outside the mix's {}..{} (±2 s)",
            span.start_ns, span.end_ns, window.0, window.1
        ));
    }
}

/// Checks a server span of the socket at `path` (it was selected by its
/// `server.address`).
fn check_server_span(span: &Span, path: &str, workers: &[u32], window: (u64, u64)) {
    let mut wrong = Vec::new();
    check_common(span, window, &mut wrong);
    if let Some(port) = span.raw.get("server.port") {
        wrong.push(format!("server.port {port} (a Unix socket has no port)"));
    }
    // The client's socket is unnamed: there is no address to give for it.
    for key in ["network.peer.address", "client.address"] {
        if let Some(value) = span.raw.get(key) {
            wrong.push(format!("{key} {value} (the client's socket has no name)"));
        }
    }
    if span.service_name != SERVICE {
        wrong.push(format!(
            "service.name {:?}, expected {SERVICE:?}",
            span.service_name
        ));
    }
    if !workers.contains(&span.pid) {
        wrong.push(format!(
            "process.pid {} is not a gunicorn worker {workers:?}",
            span.pid
        ));
    }
    if span.parent_span_id.is_some() {
        wrong.push("parent_span_id without a traceparent".into());
    }
    let status = span.status.unwrap_or(0);
    let want_error = (status >= 500).then(|| status.to_string());
    if span.error_type != want_error {
        wrong.push(format!(
            "error.type {:?} for status {status}, expected {want_error:?}",
            span.error_type
        ));
    }
    assert!(
        wrong.is_empty(),
        "a server span on the Unix socket {path} is wrong: {}\n{}",
        wrong.join("; "),
        span.raw
    );
}

/// Checks a client span of the test process to the socket at `path` (it was
/// selected by its `network.peer.address`).
fn check_client_span(span: &Span, path: &str, window: (u64, u64)) {
    let mut wrong = Vec::new();
    check_common(span, window, &mut wrong);
    if span.pid != std::process::id() {
        wrong.push(format!(
            "process.pid {} is not the test process {}",
            span.pid,
            std::process::id()
        ));
    }
    if span.server_address != CLIENT_HOST {
        wrong.push(format!(
            "server.address {:?}, expected {CLIENT_HOST:?} (the Host header)",
            span.server_address
        ));
    }
    if let Some(port) = span.raw.get("server.port") {
        wrong.push(format!(
            "server.port {port} (neither the Host header nor the socket has one)"
        ));
    }
    assert!(
        wrong.is_empty(),
        "a client span of the test process to the Unix socket {path} is wrong: {}\n{}",
        wrong.join("; "),
        span.raw
    );
}

/// Median |span − access log| below [`MEDIAN_LIMIT`], over the requests whose
/// path is unique (the `/items/{id}` ones), which pairs them with their span.
fn durations_agree_with_the_access_log(server: &Server, spans: &[Span], exchanges: &[Exchange]) {
    let mut span_of: BTreeMap<&str, Vec<&Span>> = BTreeMap::new();
    for span in spans {
        span_of.entry(&span.url_path).or_default().push(span);
    }
    let unique: Vec<(&Exchange, &Span)> = exchanges
        .iter()
        .filter(|e| e.request.route == "/items/{id}" && e.status == 200)
        .filter_map(|e| match span_of.get(e.request.path.as_str()) {
            Some(found) if found.len() == 1 => Some((e, found[0])),
            _ => None,
        })
        .collect();
    assert!(
        unique.len() >= TOTAL / 5,
        "only {} /items/{{id}} requests have exactly one span with their url.path",
        unique.len()
    );
    let ids: Vec<u64> = unique.iter().map(|(e, _)| e.id).collect();
    let log = server.access_records(&ids);
    let mut diffs: Vec<(u64, String)> = unique
        .iter()
        .map(|(exchange, span)| {
            let logged = log[&exchange.id].duration.as_nanos() as u64;
            let what = format!(
                "{}: span {:.3} ms, access log {:.3} ms",
                exchange.request.path,
                span.duration_ns as f64 / 1e6,
                logged as f64 / 1e6
            );
            (span.duration_ns.abs_diff(logged), what)
        })
        .collect();
    let abs: Vec<u64> = diffs.iter().map(|(d, _)| *d).collect();
    let median = Duration::from_nanos(quantile(&abs, 0.5).expect("some requests"));
    diffs.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
    let worst: Vec<&str> = diffs.iter().take(5).map(|(_, w)| w.as_str()).collect();
    eprintln!(
        "unix: |span − access log| over {} requests: median {median:?}; worst: {worst:#?}",
        unique.len()
    );
    assert!(
        median < MEDIAN_LIMIT,
        "over the Unix socket the median |span duration − access log| is {median:?} \
         (limit {MEDIAN_LIMIT:?}); worst: {worst:#?}"
    );
}

#[test]
fn gunicorn_over_a_unix_socket_is_observed() {
    let kind = ServerKind::GunicornGthread;
    let rig = Rig::start_on_unix_socket(kind);
    let path = rig
        .server
        .socket_path()
        .expect("the server is on a Unix socket")
        .to_str()
        .expect("a UTF-8 temp dir")
        .to_owned();
    let workers = rig.server.worker_pids();
    let requests = mix(TOTAL, SEED);
    let began = unix_ns(SystemTime::now());
    let report = run_mix(
        rig.server.endpoint().clone(),
        &requests,
        MixOptions::new(kind.keeps_alive()),
    );
    let window = (began, unix_ns(SystemTime::now()));
    report.assert_statuses();
    let expected = report.counts();
    let connections = report.connections();
    eprintln!(
        "unix: {TOTAL} requests over {path} on {connections} connections in {:?}",
        report.elapsed
    );
    assert!(
        1 < connections && connections < TOTAL,
        "the mix should use both keep-alive and new connections: {TOTAL} requests on \
         {connections} connections"
    );

    // One server span per request, all on the socket's path.
    let on_socket = |s: &Span| s.kind == Kind::Server && s.server_address == path;
    spans::wait_for(
        &rig.agent,
        &format!(
            "server spans (span.kind=server, server.address={path}) for the {TOTAL} requests \
             sent over the Unix socket"
        ),
        TOTAL,
        SPAN_TIMEOUT,
        on_socket,
    );
    let server_spans = spans::settle(&rig.agent, SETTLE_QUIET, SPAN_TIMEOUT, on_socket);
    assert_counts(
        &format!("server spans on the Unix socket {path}"),
        &spans::count(&server_spans),
        &expected,
    );
    let elsewhere: Vec<String> = spans::all(&rig.agent)
        .iter()
        .filter(|s| s.kind == Kind::Server && workers.contains(&s.pid) && !on_socket(s))
        .map(|s| s.raw.to_string())
        .collect();
    assert!(
        elsewhere.is_empty(),
        "{} server span(s) of the gunicorn workers {workers:?} are not on {path}, e.g.:\n{}",
        elsewhere.len(),
        elsewhere[..elsewhere.len().min(5)].join("\n")
    );
    for span in &server_spans {
        check_server_span(span, &path, &workers, window);
    }
    assert_same_requests(
        "server spans on the Unix socket",
        &server_spans,
        &report.exchanges,
    );
    durations_agree_with_the_access_log(&rig.server, &server_spans, &report.exchanges);

    // The same counts in the server histogram, on series without a port
    // (which do not say which socket: this assumes no other `shop` on a Unix
    // socket on the machine, while `shop`s on TCP ports are left out).
    let shop = Selector::NoPort { service: SERVICE };
    red::wait_for_selected(
        &rig.agent,
        SERVER_DURATION,
        shop,
        TOTAL as u64,
        METRICS_TIMEOUT,
    );
    let text = rig.agent.metrics();
    let histograms = red::select(&text, SERVER_DURATION, shop);
    assert_counts(
        &format!("{SERVER_DURATION}_count{shop}"),
        &red::counts(&histograms),
        &expected,
    );
    let span_seconds: f64 = server_spans
        .iter()
        .map(|s| s.duration_ns as f64 / 1e9)
        .sum();
    let metric_seconds: f64 = histograms.iter().map(|h| h.sum).sum();
    assert!(
        (span_seconds - metric_seconds).abs() <= span_seconds * 0.001 + 0.001,
        "{SERVER_DURATION}_sum{shop} adds up to {metric_seconds} s but the spans to \
         {span_seconds} s"
    );

    // The test process is the only client of the socket while the agent runs:
    // one client span per request, to the socket's path.
    let to_socket = |s: &Span| s.kind == Kind::Client && s.peer_address == path;
    spans::wait_for(
        &rig.agent,
        &format!(
            "client spans (span.kind=client, network.peer.address={path}) for the test \
             client's {TOTAL} requests"
        ),
        TOTAL,
        SPAN_TIMEOUT,
        to_socket,
    );
    let client_spans = spans::settle(&rig.agent, SETTLE_QUIET, SPAN_TIMEOUT, to_socket);
    assert_counts(
        &format!("client spans of the test process to {path}"),
        &spans::count(&client_spans),
        &expected,
    );
    for span in &client_spans {
        check_client_span(span, &path, window);
    }
    assert_same_requests(
        "client spans to the Unix socket",
        &client_spans,
        &report.exchanges,
    );
    let client_service = client_spans[0].service_name.as_str();
    let ours = Selector::NoPort {
        service: client_service,
    };
    red::wait_for_selected(
        &rig.agent,
        CLIENT_DURATION,
        ours,
        TOTAL as u64,
        METRICS_TIMEOUT,
    );
    assert_counts(
        &format!("{CLIENT_DURATION}_count{ours}"),
        &red::counts(&red::select(&rig.agent.metrics(), CLIENT_DURATION, ours)),
        &expected,
    );

    rig.finish();
}
