//! `CONN_MAX_AGE=600`: connections opened by the warm-up stay open, and the
//! measured requests reuse them: none connects, none logs set-up statements,
//! and the workers hold exactly one connection per thread that ever queried.

use std::collections::{BTreeMap, BTreeSet};

use sonde_tests::{
    client::{run_mix, MixOptions},
    databases::Databases,
    django::ServerKind,
    django_db::{shared_databases, DbConfig, DbServer, Driver, View},
};

use crate::{
    assert_db_connections, check_cache, check_committed, check_record, drive, expected_setup,
};

/// The persistent connections' lifetime.
const MAX_AGE: u32 = 600;

/// Sends /db/one from every slot until each worker has opened a connection
/// (the server's warm-up usually did already).
fn connect_every_worker(server: &DbServer) {
    let kind = server.server().kind();
    for _ in 0..100 {
        let connected: BTreeSet<u32> = server
            .query_log()
            .iter()
            .filter(|r| r.connected)
            .map(|r| r.pid)
            .collect();
        let workers = server.server().worker_pids();
        if workers.iter().all(|pid| connected.contains(pid)) {
            return;
        }
        let requests = vec![View::One.request(); kind.concurrency()];
        let options = MixOptions {
            threads: kind.concurrency(),
            ..MixOptions::new(kind.keeps_alive())
        };
        run_mix(server.server().endpoint().clone(), &requests, options).assert_statuses();
    }
    panic!(
        "not every worker of {:?} opened a connection after 100 rounds",
        server.server().worker_pids()
    );
}

fn persistent(driver: Driver, kind: ServerKind) {
    let dbs = shared_databases();
    let config = DbConfig::new(driver).with_conn_max_age(MAX_AGE);
    let mut server = DbServer::start(kind, &dbs, config);
    connect_every_worker(&server);
    // The threads that hold a connection before the measured requests.
    let warm: BTreeSet<(u32, u32)> = server
        .query_log()
        .iter()
        .filter(|r| r.connected)
        .map(|r| (r.pid, r.thread_id))
        .collect();

    let run = drive(&server);
    for (view, exchange) in run.by_view() {
        let record = run.record(exchange);
        check_record(&server, view, exchange, record);
        if warm.contains(&(record.pid, record.thread_id)) {
            assert!(
                !record.connected && record.setup_sql.is_empty(),
                "a thread connected during the warm-up reuses its connection: {record:?}"
            );
        }
    }
    if kind == ServerKind::GunicornSync {
        // One thread per worker, all warmed: nothing connects any more.
        let connected: Vec<_> = run.records.values().filter(|r| r.connected).collect();
        assert!(
            connected.is_empty(),
            "measured requests connected: {connected:?}"
        );
    }
    check_connections_per_thread(&server, &dbs, driver);
    check_cache(&server, &dbs, &run);
    check_committed(&dbs, driver, &run);
    server.server_mut().stop();
}

/// Over the whole log, each thread connected once, with the set-up of a
/// first connection; the workers hold that many connections to the server.
fn check_connections_per_thread(server: &DbServer, dbs: &Databases, driver: Driver) {
    let mut connects = BTreeMap::new();
    for record in server.query_log() {
        if record.connected {
            let expected = expected_setup(driver, true);
            assert_eq!(record.setup_sql.len(), expected.len(), "{record:?}");
            *connects
                .entry((record.pid, record.thread_id))
                .or_insert(0usize) += 1;
        }
    }
    assert!(
        connects.values().all(|&n| n == 1),
        "each thread connects once with CONN_MAX_AGE={MAX_AGE}: {connects:?}"
    );
    let workers = server.server().worker_pids();
    let threads_per_worker = connects.keys().filter(|(pid, _)| workers.contains(pid));
    assert_eq!(threads_per_worker.count(), connects.len());
    assert_db_connections(server, dbs, connects.len());
}

#[test]
fn psycopg2_persistent_gunicorn_sync() {
    persistent(Driver::Psycopg2, ServerKind::GunicornSync);
}

#[test]
fn psycopg3_persistent_gunicorn_sync() {
    persistent(Driver::Psycopg3, ServerKind::GunicornSync);
}

#[test]
fn mysqlclient_persistent_gunicorn_sync() {
    persistent(Driver::Mysqlclient, ServerKind::GunicornSync);
}

#[test]
fn psycopg3_persistent_gunicorn_gthread() {
    persistent(Driver::Psycopg3, ServerKind::GunicornGthread);
}
