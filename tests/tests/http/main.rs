//! Issue 3's acceptance tests: HTTP/1.x RED metrics and spans for an unmodified
//! Django app (tests/django) served by real gunicorn (sync and gthread workers)
//! and uwsgi, compared with what the client sent and what the servers logged.
//! They are one test binary, so they share the agent lock: no two agents run
//! at once. They need the venv of `tests/django/setup.sh`.
//!
//! # The contract under test
//!
//! `sonde run --log-format json` (no filter flag: the agent observes every
//! process) prints, besides its other events, one JSON line per finished HTTP
//! exchange, with `event.name` = `span` and: `span.kind` (`server` | `client`),
//! `trace_id` (32 hex), `span_id` (16 hex), `parent_span_id` (16 hex, or absent),
//! `name` (`GET /items/{id}`), `start_time_unix_nano`, `end_time_unix_nano`,
//! `duration_ns` (integers), `http.request.method`, `url.path` (never the query),
//! `http.route`, `http.response.status_code` (absent if there was no response),
//! `error.type`, `server.address`, `server.port`, `client.address`,
//! `network.peer.address`, `network.peer.port`, `service.name`, `process.pid`,
//! `thread.id`. `/metrics` has `http_server_request_duration_seconds_bucket`,
//! `_count` and `_sum` with the labels `http_request_method`, `http_route`,
//! `http_response_status_code`, `service_name`, `server_port` (and `le`), in
//! seconds with the semantic-convention default buckets (0.005 … 10), and
//! likewise `http_client_request_duration_seconds_*`. `sonde_tests::spans` and
//! `sonde_tests::red` check every span and every series against this.
//!
//! # Choices where the contract is silent
//!
//! - Hex ids are lowercase (as W3C traceparent writes them); all-zero ids are invalid.
//! - `name` is exactly `"{http.request.method} {http.route}"`.
//! - `http.route` is the templated path for every status, 404 included
//!   (`/does-not-exist` stays `/does-not-exist`; `/items/0` → `/items/{id}`).
//! - `error.type`: on a 5xx, the status as a string. Never a status code where
//!   the status is no error: below 500 on a server span (semantic conventions:
//!   a 4xx is the client's error, not the server's), below 400 on a client span.
//!   A failure reason (`connection_closed`) may come with any status, and a
//!   span without a status must have one. The tests' own requests all complete,
//!   so none of their spans has a failure reason.
//! - `client.address` is required on server spans; on client spans it may be absent.
//! - `server.address` of a server span is the local address it was reached
//!   on (`127.0.0.1` here); `network.peer.*` is the other end of the connection
//!   (for a server span, the client's address and ephemeral port).
//! - `service.name`: the app runs with `DJANGO_SETTINGS_MODULE=shop.settings`
//!   and no `OTEL_SERVICE_NAME`, and is expected as `shop` — the project, the
//!   settings module's top-level package. The backend runs with
//!   `OTEL_SERVICE_NAME=sonde-test-backend`, which wins.
//! - A request whose header block never ends (truncated, or a 10 MB header that
//!   a server refuses with 400 before reading it all) is garbage, not a request:
//!   no span and no metric, even when the server answered it with an error.
//! - The test process itself is an HTTP client of the servers: the agent may
//!   report its client spans, which the tests ignore except after garbage, where
//!   none may show up for the garbage.
//! - An invalid `traceparent` (all-zero trace id) is ignored: the span starts a
//!   new trace and has no parent.
//! - Over a Unix-domain socket (gunicorn `--bind unix:PATH`): `network.transport`
//!   is `unix`, `server.address` of a server span is the socket's path, and
//!   nothing has a port: no `server.port` nor `network.peer.port` on the spans,
//!   no `server_port` label on the series. The client's socket has no name, so
//!   its server spans have no `network.peer.address` nor `client.address`; its
//!   client spans have `network.peer.address` = the path (and `server.address`
//!   from the `Host` header, `localhost`).
//!
//! # Where each server is used
//!
//! - The 2,000-request mix (exact counts from spans and from `_count`, the
//!   per-request durations against the access log, /slow's p50): gunicorn sync,
//!   gunicorn gthread, uwsgi. Durations are compared with gunicorn's `%(D)s` and
//!   with uwsgi's `%(micros)` (uwsgi starts its clock when it takes up the
//!   connection, a little before the first byte is read; the median still holds).
//! - `/items/1` … `/items/5000` → one route: gunicorn gthread (templating does
//!   not depend on the server; keep-alive makes 5,000 requests quick).
//! - A keep-alive connection opened before the agent: gunicorn gthread and uwsgi
//!   with `--http11-socket`. Not gunicorn sync nor uwsgi `--http-socket`, which
//!   close the connection after each response: they have no keep-alive.
//! - traceparent, the backend call, garbage: all three.
//! - A mix over a Unix socket: gunicorn gthread (keep-alive and new connections).
//!
//! Spans are told apart by `server.port` (each server has its own free port),
//! and matched to the client's requests by `network.peer.port` (the client's
//! port) and their order on the connection: spans never carry the query string
//! nor any header, so neither can be used. Over a Unix socket, where there are
//! no ports, spans are told apart by the socket path and matched to requests by
//! their `url.path` (every /items/ id is unique).

mod garbage;
mod mix;
mod preopened;
mod routes;
mod trace;
mod unix;

use std::{
    collections::{BTreeMap, BTreeSet},
    os::unix::process::ExitStatusExt,
    sync::MutexGuard,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use sonde_tests::{
    agent::agent_lock,
    client::{Exchange, RouteKey},
    django::{Server, ServerKind},
    spans::{self, Kind, Span},
    Agent,
};

/// The app's `service.name` (see the header).
pub const SERVICE: &str = "shop";
/// The loopback address everything runs on.
pub const LOOPBACK: &str = "127.0.0.1";
/// How long the agent may take to print the spans of requests already answered.
pub const SPAN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the number of spans must stay put before they are counted.
pub const SETTLE_QUIET: Duration = Duration::from_secs(2);
/// How long `/metrics` may lag the spans.
pub const METRICS_TIMEOUT: Duration = Duration::from_secs(30);

/// A server (and maybe the backend it calls) started first, then the agent.
pub struct Rig {
    pub agent: Agent,
    pub server: Server,
    pub backend: Option<Server>,
    /// Just before the agent started.
    pub started_at: SystemTime,
}

impl Rig {
    /// Takes the agent lock, starts (and warms up) the backend when asked and
    /// the app under `kind`, then `sonde run`.
    pub fn start(kind: ServerKind, with_backend: bool) -> Rig {
        let lock = agent_lock();
        let backend = with_backend.then(Server::backend);
        let server = Server::start(kind, backend.as_ref());
        Rig::start_agent(lock, server, backend)
    }

    /// Like [`Rig::start`], with the app bound to a Unix socket file instead
    /// of a port, and no backend.
    pub fn start_on_unix_socket(kind: ServerKind) -> Rig {
        let lock = agent_lock();
        let server = Server::start_on_unix_socket(kind);
        Rig::start_agent(lock, server, None)
    }

    fn start_agent(lock: MutexGuard<'static, ()>, server: Server, backend: Option<Server>) -> Rig {
        let started_at = SystemTime::now();
        let agent = Agent::start_locked(lock, &[]);
        Rig {
            agent,
            server,
            backend,
            started_at,
        }
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn backend_port(&self) -> u16 {
        self.backend.as_ref().expect("a rig with a backend").port()
    }

    /// Stops the agent (it must exit 0 without a panic), then the servers
    /// (which must still be running: the traffic did not kill them).
    pub fn finish(mut self) {
        finish_agent(&mut self.agent);
        self.server.stop();
        if let Some(backend) = self.backend.as_mut() {
            backend.stop();
        }
    }
}

/// The spans of `kind` on `port`, once their number has stopped changing for
/// [`SETTLE_QUIET`] (late spans and duplicates included).
pub fn settled(agent: &Agent, kind: Kind, port: u16) -> Vec<Span> {
    spans::settle(agent, SETTLE_QUIET, SPAN_TIMEOUT, |s| {
        s.kind == kind && s.server_port == port
    })
}

/// Stops the agent; it must exit 0 without a panic.
pub fn finish_agent(agent: &mut Agent) {
    let stopped = agent.stop();
    assert!(
        stopped.status.success() && !stopped.stderr.contains("panicked"),
        "the agent exited with {} (signal {:?}); stderr:\n{}",
        stopped.status,
        stopped.status.signal(),
        stopped.stderr
    );
}

fn unix_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Panics with a table of the keys where `got` (from the agent) and
/// `expected` (from the client) differ.
pub fn assert_counts(
    what: &str,
    got: &BTreeMap<RouteKey, u64>,
    expected: &BTreeMap<RouteKey, u64>,
) {
    if got == expected {
        return;
    }
    let keys: BTreeSet<&RouteKey> = got.keys().chain(expected.keys()).collect();
    let mut table = String::from("    route, method, status: client / agent\n");
    for key in keys {
        let (want, have) = (
            expected.get(key).copied().unwrap_or(0),
            got.get(key).copied().unwrap_or(0),
        );
        let mark = if want == have { "" } else { "   <-- differs" };
        table.push_str(&format!(
            "    {} {} {}: {want} / {have}{mark}\n",
            key.0, key.1, key.2
        ));
    }
    panic!(
        "{what}: the agent's counts differ from the client's (total client {}, agent {}):\n{table}",
        expected.values().sum::<u64>(),
        got.values().sum::<u64>()
    );
}

/// Pairs each exchange with its server span: same client port, same place in
/// time order on that port. Panics, listing the ports, when the numbers differ.
pub fn pair<'a>(exchanges: &'a [Exchange], spans: &'a [Span]) -> Vec<(&'a Exchange, &'a Span)> {
    let mut by_port: BTreeMap<u16, (Vec<&Exchange>, Vec<&Span>)> = BTreeMap::new();
    for exchange in exchanges {
        by_port
            .entry(exchange.local_port)
            .or_default()
            .0
            .push(exchange);
    }
    for span in spans {
        by_port.entry(span.peer_port).or_default().1.push(span);
    }
    let mut pairs = Vec::with_capacity(exchanges.len());
    let mut problems = Vec::new();
    for (port, (mut mine, mut theirs)) in by_port {
        mine.sort_by_key(|e| e.sent_at);
        theirs.sort_by_key(|s| s.start_ns);
        if mine.len() != theirs.len() {
            problems.push(format!(
                "client port {port}: the client sent {:?}, the agent has spans {:?}",
                mine.iter()
                    .map(|e| format!("{} {}", e.request.method, e.request.path))
                    .collect::<Vec<_>>(),
                theirs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>()
            ));
            continue;
        }
        pairs.extend(mine.into_iter().zip(theirs));
    }
    assert!(
        problems.is_empty(),
        "{} client port(s) have a different number of server spans than requests, e.g.:\n{}",
        problems.len(),
        problems[..problems.len().min(10)].join("\n")
    );
    pairs
}

/// Checks a server span against the request it answered and the server that
/// answered it: method, path (no query), route, status, endpoints, the worker,
/// the service, no parent unless the request sent a `traceparent`, and a time
/// within the request's.
pub fn check_server_span(span: &Span, exchange: &Exchange, server: &Server, workers: &[u32]) {
    let request = &exchange.request;
    let mut wrong = Vec::new();
    let mut expect = |what: &str, ok: bool| {
        if !ok {
            wrong.push(what.to_owned());
        }
    };
    expect("http.request.method", span.method == request.method);
    expect(
        "url.path (the path, without the query)",
        span.url_path == request.path,
    );
    expect("http.route", span.route == request.route);
    expect(
        "http.response.status_code",
        span.status == Some(exchange.status),
    );
    expect(
        "error.type (the status for a 5xx, else none: the exchange completed)",
        span.error_type == (exchange.status >= 500).then(|| exchange.status.to_string()),
    );
    expect("server.address", span.server_address == LOOPBACK);
    expect("server.port", span.server_port == server.port());
    expect(
        "client.address",
        span.client_address.as_deref() == Some(LOOPBACK),
    );
    expect("network.peer.address", span.peer_address == LOOPBACK);
    expect("network.peer.port", span.peer_port == exchange.local_port);
    expect("service.name", span.service_name == SERVICE);
    expect(
        "process.pid (a worker of the server)",
        workers.contains(&span.pid),
    );
    let sent_traceparent = request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("traceparent"));
    if !sent_traceparent {
        expect(
            "parent_span_id (none without a traceparent)",
            span.parent_span_id.is_none(),
        );
    }
    // Same slack as the other events' timestamps: the agent's clock is the
    // kernel's, converted to Unix time.
    let slack = 2_000_000_000;
    let sent = unix_ns(exchange.sent_at);
    let answered = sent + exchange.latency.as_nanos() as u64;
    expect(
        "start_time_unix_nano/end_time_unix_nano within the client's request (±2 s)",
        span.start_ns + slack >= sent && span.end_ns <= answered + slack,
    );
    assert!(
        wrong.is_empty(),
        "server span for {} {} (answered {}, client port {}, workers {workers:?}) has a wrong {}:\n{}",
        request.method,
        request.target(),
        exchange.status,
        exchange.local_port,
        wrong.join(", "),
        span.raw
    );
}

/// The 16-bit [`Exchange::local_port`]s of `exchanges`.
pub fn ports(exchanges: &[Exchange]) -> BTreeSet<u16> {
    exchanges.iter().map(|e| e.local_port).collect()
}
