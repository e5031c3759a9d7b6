//! The Django test app and its servers, without the agent: the client's record
//! of a mix, the servers' access logs and the statuses must agree, so that the
//! HTTP agent tests (tests/http) compare the agent with a trustworthy truth.
//!
//! Needs the venv of `tests/django/setup.sh`.

use std::{collections::BTreeMap, time::Duration};

use sonde_tests::{
    client::{self, open_before, run_mix, standard_mix, MixOptions, Request},
    django::{self, Server, ServerKind},
    spans::quantile,
};

/// Runs a 400-request mix and checks it against the access log, request by request.
fn mix_agrees_with_the_access_log(kind: ServerKind) {
    let backend = Server::backend();
    let mut server = Server::start(kind, Some(&backend));
    let requests = standard_mix(400, true, 11);
    let report = run_mix(
        server.addr(),
        &requests,
        MixOptions::new(kind.keeps_alive()),
    );
    report.assert_statuses();
    assert_eq!(report.exchanges.len(), requests.len());

    let ids: Vec<u64> = report.exchanges.iter().map(|e| e.id).collect();
    let log = server.access_records(&ids);
    let workers = server.worker_pids();
    let mut logged_counts = BTreeMap::new();
    let mut gaps_us = Vec::new();
    for exchange in &report.exchanges {
        let record = &log[&exchange.id];
        let request = &exchange.request;
        assert_eq!(
            (
                record.method.as_str(),
                record.target.as_str(),
                record.status
            ),
            (
                request.method.as_str(),
                request.target().as_str(),
                exchange.status
            ),
            "request {} in the access log: {record:?}",
            exchange.id
        );
        assert!(
            workers.contains(&record.pid),
            "logged by {} which is not a worker {workers:?}",
            record.pid
        );
        // The server's measure lies within the client's, give or take the
        // scheduling of a busy 2-core machine (a server thread preempted after
        // its last write still counts until it logs); a record matched to the
        // wrong request would be off by far more (e.g. the 50 ms of /slow).
        assert!(
            record.duration <= exchange.latency + Duration::from_millis(25),
            "{} {}: the server logged {:?} but the client waited only {:?}",
            request.method,
            request.target(),
            record.duration,
            exchange.latency
        );
        gaps_us.push(exchange.latency.as_micros() as i64 - record.duration.as_micros() as i64);
        *logged_counts
            .entry((request.route.clone(), record.method.clone(), record.status))
            .or_insert(0u64) += 1;
        if request.path == "/slow" {
            assert!(
                record.duration >= Duration::from_millis(50),
                "/slow logged {:?}",
                record.duration
            );
        }
        if request.path == "/upload" && request.method == "POST" {
            assert_eq!(
                exchange.body,
                format!("{}\n", client::UPLOAD_BYTES).as_bytes()
            );
        }
        if request.path == "/stream" {
            assert_eq!(exchange.body.len(), 8 * 1025, "the /stream body");
        }
    }
    assert_eq!(logged_counts, report.counts());
    eprintln!(
        "{}: {} requests on {} connections in {:?}; client latency minus logged duration: \
         min {} µs, p10 {} µs, p50 {} µs, p90 {} µs, max {} µs",
        kind.name(),
        report.exchanges.len(),
        report.connections(),
        report.elapsed,
        quantile(&gaps_us, 0.0).unwrap_or_default(),
        quantile(&gaps_us, 0.1).unwrap_or_default(),
        quantile(&gaps_us, 0.5).unwrap_or_default(),
        quantile(&gaps_us, 0.9).unwrap_or_default(),
        quantile(&gaps_us, 1.0).unwrap_or_default(),
    );
    if kind == ServerKind::GunicornGthread {
        assert!(
            report.connections() < report.exchanges.len() * 3 / 4,
            "keep-alive sessions reuse connections: {} connections for {} requests",
            report.connections(),
            report.exchanges.len()
        );
    } else {
        assert_eq!(
            report.connections(),
            report.exchanges.len(),
            "{} serves one request per connection",
            kind.name()
        );
    }

    let pids = {
        let mut pids = server.worker_pids();
        pids.push(server.master_pid());
        pids
    };
    server.stop();
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} of {} outlived stop()",
            kind.name()
        );
    }
    assert!(
        std::net::TcpStream::connect(server.addr()).is_err(),
        "{} still accepts connections after stop()",
        kind.name()
    );
}

#[test]
fn gunicorn_sync_mix_agrees_with_the_access_log() {
    mix_agrees_with_the_access_log(ServerKind::GunicornSync);
}

#[test]
fn gunicorn_gthread_mix_agrees_with_the_access_log() {
    mix_agrees_with_the_access_log(ServerKind::GunicornGthread);
}

#[test]
fn uwsgi_mix_agrees_with_the_access_log() {
    mix_agrees_with_the_access_log(ServerKind::Uwsgi);
}

/// A connection opened and used before a closure runs stays usable after it.
fn connection_outlives_the_closure(kind: ServerKind) {
    let server = Server::start(kind, None);
    let warm = [Request::get("/hello", "/hello", 200)];
    let (mut conn, warmed, ()) = open_before(server.addr(), kind.keeps_alive(), &warm, || {
        std::thread::sleep(Duration::from_secs(3));
    });
    assert!(conn.is_open(), "{} closed the connection", kind.name());
    for i in 0..10 {
        let request = Request::get(&format!("/items/{}", i + 1), "/items/{id}", 200);
        let exchange = conn.exchange(&request, true).unwrap();
        assert_eq!(exchange.status, 200);
        assert_eq!(exchange.local_port, warmed[0].local_port);
        assert_eq!(exchange.connection, warmed[0].connection);
        assert_eq!(exchange.sequence, i + 1);
    }
}

#[test]
fn gunicorn_gthread_keeps_connections_alive() {
    connection_outlives_the_closure(ServerKind::GunicornGthread);
}

#[test]
fn uwsgi_http11_keeps_connections_alive() {
    connection_outlives_the_closure(ServerKind::UwsgiKeepAlive);
}

#[test]
fn the_venv_is_where_the_tests_look() {
    let venv = django::venv();
    assert!(venv.join("bin/python").is_file());
}
