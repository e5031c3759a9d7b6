//! Issue 4's acceptance tests with the agent: the Django app's database and
//! cache calls (PostgreSQL with psycopg2 and psycopg 3, MariaDB with
//! mysqlclient, Redis), seen by `sonde run`, against what Django itself
//! logged per request (the query log of `tests/django/orders`).
//!
//! # The contract under test
//!
//! Each call is a span line (`event.name` = `span`, `span.kind` = `client`)
//! with `db.system.name` (`postgresql`, `mysql`, `redis`), `db.query.text`
//! (SQL only, every literal a `?`), `db.operation.name`, `db.query.summary`,
//! `process.pid`, `thread.id`, and on failure `error.type` and
//! `db.response.status_code` (a SQLSTATE, a MySQL error number). A call made
//! by the thread serving an HTTP request is a child of that request's server
//! span (same trace). The server span has `sonde.db.queries` — equal to
//! Django's own count of the request's queries (`connection.queries`:
//! statements and transaction boundaries, not session settings) —,
//! `sonde.db.repeated_queries` (calls of a normalized statement run more
//! than once) and `sonde.redis.commands` (cache commands, not connection
//! set-up). `/metrics` has `db_client_operation_duration_seconds` and
//! `sonde_http_server_request_db_queries` by route.
//!
//! Each test drives every /db/ view a known number of times, one request per
//! connection (so that a server span is found by the client's port), and
//! checks every request. No literal of the test data (the canary e-mail of
//! /db/transaction) may appear in anything the agent writes.

mod check;

use std::time::Duration;

use sonde_tests::{
    agent::agent_lock,
    client::{self, Conn, Exchange, Request},
    databases::Transport,
    django::ServerKind,
    django_db::{shared_databases, DbConfig, DbServer, Driver, View},
    Agent,
};

use check::{check_canary, check_metrics, check_request, db_spans, server_span_of};

/// How many times each view is driven (/db/cached: once more, the miss).
const REPEATS: usize = 3;
/// How long spans may take to show up.
const SPAN_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends each request on a connection of its own, in order.
fn send_each(server: &DbServer, requests: &[Request]) -> Vec<Exchange> {
    let endpoint = server.server().endpoint().clone();
    let exchanges: Vec<Exchange> = requests
        .iter()
        .map(|request| {
            let mut conn = Conn::open(endpoint.clone(), false)
                .unwrap_or_else(|e| panic!("connect to {endpoint:?}: {e}"));
            conn.exchange(request, false)
                .unwrap_or_else(|e| panic!("{} {}: {e}", request.method, request.target()))
        })
        .collect();
    client::assert_statuses(&exchanges);
    exchanges
}

/// /db/cached once (a miss), then every view [`REPEATS`] times.
fn requests() -> Vec<Request> {
    std::iter::once(View::Cached.request())
        .chain((0..REPEATS).flat_map(|_| View::ALL.map(View::request)))
        .collect()
}

/// Starts the app, opens its connections first when `warm_before_agent`
/// (persistent connections the agent never saw open), starts the agent,
/// drives the views, and checks every request against Django's log.
fn observe(driver: Driver, kind: ServerKind, transport: Transport, conn_max_age: u32) {
    let lock = agent_lock();
    let dbs = shared_databases();
    let config = DbConfig::new(driver)
        .over(transport)
        .with_conn_max_age(conn_max_age);
    let mut server = DbServer::start(kind, &dbs, config);
    if conn_max_age > 0 {
        // Every worker thread queries (and connects) before the agent runs.
        let warm: Vec<Request> = (0..4 * kind.concurrency())
            .map(|_| View::One.request())
            .collect();
        send_each(&server, &warm);
    }
    let mut agent = Agent::start_locked(lock, &[]);
    let exchanges = send_each(&server, &requests());
    let ids: Vec<u64> = exchanges.iter().map(|e| e.id).collect();
    let records = server.query_records(&ids);
    let port = server.server().port();

    for exchange in &exchanges {
        let record = &records[&exchange.id];
        if conn_max_age > 0 && kind == ServerKind::GunicornSync {
            assert!(
                !record.connected,
                "the connection was opened before the agent started: {record:?}"
            );
        }
        let server_span = server_span_of(&agent, port, exchange, SPAN_TIMEOUT);
        let calls = db_spans(&agent, &server_span, record);
        check_request(driver, exchange, record, &server_span, &calls);
    }
    check_metrics(&agent, &exchanges, &records);
    check_canary(&mut agent);
    server.server_mut().stop();
}

#[test]
fn psycopg2_gunicorn_sync_tcp() {
    observe(
        Driver::Psycopg2,
        ServerKind::GunicornSync,
        Transport::Tcp,
        0,
    );
}

#[test]
fn psycopg3_gunicorn_gthread_unix_socket() {
    observe(
        Driver::Psycopg3,
        ServerKind::GunicornGthread,
        Transport::Unix,
        0,
    );
}

#[test]
fn mysqlclient_gunicorn_sync_tcp() {
    observe(
        Driver::Mysqlclient,
        ServerKind::GunicornSync,
        Transport::Tcp,
        0,
    );
}

#[test]
fn mysqlclient_gunicorn_gthread_unix_socket() {
    observe(
        Driver::Mysqlclient,
        ServerKind::GunicornGthread,
        Transport::Unix,
        0,
    );
}

#[test]
fn psycopg2_persistent_connections_opened_before_the_agent() {
    observe(
        Driver::Psycopg2,
        ServerKind::GunicornSync,
        Transport::Tcp,
        600,
    );
}

#[test]
fn psycopg3_persistent_connections_opened_before_the_agent() {
    observe(
        Driver::Psycopg3,
        ServerKind::GunicornSync,
        Transport::Tcp,
        600,
    );
}

#[test]
fn mysqlclient_persistent_connections_opened_before_the_agent() {
    observe(
        Driver::Mysqlclient,
        ServerKind::GunicornGthread,
        Transport::Tcp,
        600,
    );
}
