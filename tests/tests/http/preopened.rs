//! A keep-alive connection opened, and used, before the agent starts, then used
//! again once it runs: the agent never saw its accept nor its first bytes, yet
//! counts every request sent on it after the start (and none from before).

use sonde_tests::{
    agent::agent_lock,
    client::{self, open_before, Request},
    django::{Server, ServerKind},
    red::{self, SERVER_DURATION},
    spans::{self, Kind},
    Agent,
};

use crate::{
    assert_counts, check_server_span, finish_agent, pair, settled, METRICS_TIMEOUT, SPAN_TIMEOUT,
};

/// Requests sent on the old connection once the agent runs.
fn after_start(kind: ServerKind) -> Vec<Request> {
    let mut requests = Vec::new();
    for i in 0..4 {
        requests.push(Request::get("/hello", "/hello", 200));
        requests.push(
            Request::get(&format!("/items/{}", 100 + i), "/items/{id}", 200).with_query("from=old"),
        );
        requests.push(Request::get("/error", "/error", 500));
        requests.push(Request::get("/does-not-exist", "/does-not-exist", 404));
        requests.push(Request::post("/upload", "/upload", 200, 64 * 1024));
        requests.push(Request::get("/slow", "/slow", 200));
    }
    if kind != ServerKind::UwsgiKeepAlive {
        // uwsgi's --http11-socket never ends a streaming response.
        requests.push(Request::get("/stream", "/stream", 200));
    }
    requests
}

fn connection_opened_before_the_agent_is_counted(kind: ServerKind) {
    assert!(kind.keeps_alive(), "{} has no keep-alive", kind.name());
    let lock = agent_lock();
    let mut server = Server::start(kind, None);
    let port = server.port();
    let workers = server.worker_pids();
    let warm = [
        Request::get("/hello", "/hello", 200),
        Request::get("/items/1", "/items/{id}", 200),
    ];
    let (mut conn, warmed, mut agent) = open_before(server.addr(), true, &warm, || {
        Agent::start_locked(lock, &[])
    });
    let requests = after_start(kind);
    let exchanges: Vec<_> = requests
        .iter()
        .map(|request| {
            assert!(
                conn.is_open(),
                "{} closed the kept-alive connection",
                kind.name()
            );
            conn.exchange(request, true).unwrap_or_else(|e| {
                panic!(
                    "{} {} on the old connection: {e}",
                    request.method,
                    request.target()
                )
            })
        })
        .collect();
    client::assert_statuses(&exchanges);
    let old_port = conn.local_port();
    assert!(
        exchanges
            .iter()
            .all(|e| e.connection == warmed[0].connection),
        "every request went over the connection opened before the agent"
    );
    let expected = client::count(&exchanges);

    spans::wait_for(
        &agent,
        &format!(
            "server spans on port {port} for the {} requests sent, after the agent started, on a \
             connection (client port {old_port}) opened and used before it",
            exchanges.len()
        ),
        exchanges.len(),
        SPAN_TIMEOUT,
        |s| s.kind == Kind::Server && s.server_port == port,
    );
    let server_spans = settled(&agent, Kind::Server, port);
    assert_counts(
        "server spans of the old connection",
        &spans::count(&server_spans),
        &expected,
    );
    for (exchange, span) in pair(&exchanges, &server_spans) {
        check_server_span(span, exchange, &server, &workers);
    }

    red::wait_for_total(
        &agent,
        SERVER_DURATION,
        port,
        exchanges.len() as u64,
        METRICS_TIMEOUT,
    );
    let histograms = red::histograms(&agent.metrics(), SERVER_DURATION, port);
    assert_counts("the histogram", &red::counts(&histograms), &expected);

    drop(conn);
    finish_agent(&mut agent);
    server.stop();
}

#[test]
fn gunicorn_gthread_connection_opened_before_the_agent_is_counted() {
    connection_opened_before_the_agent_is_counted(ServerKind::GunicornGthread);
}

#[test]
fn uwsgi_connection_opened_before_the_agent_is_counted() {
    connection_opened_before_the_agent_is_counted(ServerKind::UwsgiKeepAlive);
}
