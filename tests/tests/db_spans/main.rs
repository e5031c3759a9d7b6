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

use std::{
    collections::BTreeSet,
    process::Command,
    time::{Duration, Instant},
};

use sonde_tests::{
    agent::agent_lock,
    client::{self, Conn, Exchange, Request},
    databases::{Transport, DB_NAME, DB_PASSWORD, DB_USER},
    django::{venv, ServerKind},
    django_db::{shared_databases, DbConfig, DbServer, Driver, View},
    events::{self, Event},
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

#[test]
fn psycopg2_uwsgi_threads() {
    observe(Driver::Psycopg2, ServerKind::Uwsgi, Transport::Tcp, 0);
}

/// A job outside any HTTP request (a cron job, a Celery worker): its calls
/// are root spans, each in a trace of its own.
#[test]
fn calls_outside_a_request_are_root_spans() {
    const QUERIES: usize = 5;
    let lock = agent_lock();
    let dbs = shared_databases();
    let agent = Agent::start_locked(lock, &[]);
    let addr = dbs.postgres.addr();
    let script = format!(
        "import os, psycopg2\n\
         conn = psycopg2.connect(host='{}', port={}, user='{DB_USER}', password='{DB_PASSWORD}', dbname='{DB_NAME}')\n\
         conn.autocommit = True\n\
         cur = conn.cursor()\n\
         for i in range({QUERIES}):\n    cur.execute('SELECT %s + 1 AS job', (i,))\n    cur.fetchall()\n\
         conn.close()\n\
         print(os.getpid())\n",
        addr.ip(),
        addr.port()
    );
    let output = Command::new(venv().join("bin/python"))
        .args(["-c", &script])
        .output()
        .expect("run the job");
    assert!(output.status.success(), "{output:?}");
    let pid: u64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the job's pid");
    let is_job_query = |event: &Event| {
        events::name(event) == "span"
            && events::u64_attr(event, "process.pid") == Some(pid)
            && events::str_attr(event, "db.query.text") == Some("SELECT ? + ? AS job")
    };
    let deadline = Instant::now() + SPAN_TIMEOUT;
    let spans = loop {
        let spans = agent.events_matching(is_job_query);
        if spans.len() >= QUERIES || Instant::now() > deadline {
            break spans;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(spans.len(), QUERIES, "{spans:#?}\n{}", agent.stderr());
    let traces: BTreeSet<&str> = spans
        .iter()
        .filter_map(|span| events::str_attr(span, "trace_id"))
        .collect();
    assert_eq!(traces.len(), QUERIES, "a trace each: {spans:#?}");
    for span in &spans {
        assert!(
            span.get("parent_span_id").is_none(),
            "a call outside a request has no parent: {span}"
        );
        assert_eq!(events::str_attr(span, "db.system.name"), Some("postgresql"));
        assert_eq!(events::str_attr(span, "db.namespace"), Some(DB_NAME));
    }
}
