//! Every view, for each driver, under gunicorn sync over TCP and gunicorn
//! gthread over the Unix sockets (of the database and of Redis), with
//! `CONN_MAX_AGE=0`: Django opens a connection in every request that queries
//! and closes it when the request finishes.

use std::collections::{BTreeMap, BTreeSet};

use sonde_tests::{
    databases::Transport,
    django::ServerKind,
    django_db::{shared_databases, DbConfig, DbServer, Driver, View},
};

use crate::{
    assert_db_connections, check_cache, check_committed, check_record, drive, expected_setup,
    REPEATS,
};

fn counts(driver: Driver, kind: ServerKind, transport: Transport) {
    let dbs = shared_databases();
    let mut server = DbServer::start(kind, &dbs, DbConfig::new(driver).over(transport));
    let run = drive(&server);

    let mut per_view = BTreeMap::new();
    for (view, exchange) in run.by_view() {
        let record = run.record(exchange);
        check_record(&server, view, exchange, record);
        assert_eq!(
            record.connected,
            record.queries > 0,
            "with CONN_MAX_AGE=0 a request connects exactly when it queries: {record:?}"
        );
        *per_view.entry(view).or_insert(0) += 1;
    }
    let expected: BTreeMap<View, usize> = View::ALL
        .into_iter()
        .map(|v| (v, REPEATS + usize::from(v == View::Cached)))
        .collect();
    assert_eq!(per_view, expected, "records per view");

    // What Django logged at connect, over the whole log (the warm-up's
    // requests included): the first connection of each thread differs.
    let mut threads = BTreeSet::new();
    let mut connections = 0;
    for record in server.query_log() {
        if !record.connected {
            assert!(record.setup_sql.is_empty(), "{record:?}");
            continue;
        }
        connections += 1;
        let first = threads.insert((record.pid, record.thread_id));
        let expected = expected_setup(driver, first);
        let matches = record.setup_sql.len() == expected.len()
            && record
                .setup_sql
                .iter()
                .zip(&expected)
                .all(|(sql, want)| sql.trim().starts_with(want));
        assert!(
            matches,
            "set-up statements of a {} connection of its thread: expected {expected:?}, got {record:?}",
            if first { "first" } else { "later" }
        );
    }
    assert!(
        connections > threads.len(),
        "{connections} connections from {} threads: every request should reconnect",
        threads.len()
    );

    check_cache(&server, &dbs, &run);
    check_committed(&dbs, driver, &run);
    if transport == Transport::Tcp {
        // Every connection was closed at the end of its request.
        assert_db_connections(&server, &dbs, 0);
    }
    server.server_mut().stop();
}

#[test]
fn psycopg2_gunicorn_sync_tcp() {
    counts(Driver::Psycopg2, ServerKind::GunicornSync, Transport::Tcp);
}

#[test]
fn psycopg2_gunicorn_gthread_unix() {
    counts(
        Driver::Psycopg2,
        ServerKind::GunicornGthread,
        Transport::Unix,
    );
}

#[test]
fn psycopg3_gunicorn_sync_tcp() {
    counts(Driver::Psycopg3, ServerKind::GunicornSync, Transport::Tcp);
}

#[test]
fn psycopg3_gunicorn_gthread_unix() {
    counts(
        Driver::Psycopg3,
        ServerKind::GunicornGthread,
        Transport::Unix,
    );
}

#[test]
fn mysqlclient_gunicorn_sync_tcp() {
    counts(
        Driver::Mysqlclient,
        ServerKind::GunicornSync,
        Transport::Tcp,
    );
}

#[test]
fn mysqlclient_gunicorn_gthread_unix() {
    counts(
        Driver::Mysqlclient,
        ServerKind::GunicornGthread,
        Transport::Unix,
    );
}

/// The seed data is there, and every committed /db/transaction added one
/// order and one to the counter: the counter equals the number of orders
/// (read in one statement, so concurrent tests cannot come between).
#[test]
fn the_counter_counts_every_order() {
    let dbs = shared_databases();
    let seeded = "SELECT (SELECT COUNT(*) FROM orders_customer WHERE id <= 20), \
                  (SELECT COUNT(*) FROM orders_order WHERE id <= 40)";
    let balance = "SELECT (SELECT value FROM orders_counter WHERE name = 'orders') \
                   - (SELECT COUNT(*) FROM orders_order)";
    assert_eq!(dbs.postgres.superuser_sql("shop", seeded), "20|40");
    assert_eq!(dbs.postgres.superuser_sql("shop", balance), "0");
    assert_eq!(
        dbs.mariadb.root_sql(&format!("USE shop; {seeded}")),
        "20\t40"
    );
    assert_eq!(dbs.mariadb.root_sql(&format!("USE shop; {balance}")), "0");
}
