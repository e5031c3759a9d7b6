//! Issue 4's harness, without the agent: the Django app with a database
//! (`shop.settings_db`) under gunicorn, against real PostgreSQL 15, MariaDB
//! and Redis, for each driver (psycopg2, psycopg 3 with server-side binding,
//! mysqlclient). The per-request query log must say exactly what each view
//! did, so that the agent's database tests can compare its spans with it.
//! Needs the venv of `tests/django/setup.sh` and the servers' packages
//! (postgresql, mariadb-server, redis-server); runs as root or not.
//!
//! # What Django logs and what crosses the wire
//!
//! [`QueryRecord::sql`] is Django's `connection.queries` for the view. The
//! servers' own logs (PostgreSQL `log_statement=all`, MariaDB's general log,
//! Redis `MONITOR` and `INFO errorstats`) show more, sent by the drivers or by
//! Django outside its debug cursor. Per driver, as observed:
//!
//! - psycopg2: simple query protocol only, literals interpolated. Nothing at
//!   connect beyond the startup and SCRAM exchange (the server runs in UTC,
//!   so Django sends no `SET TIME ZONE`). In `atomic()` psycopg2 itself sends
//!   `BEGIN` before the first write, and Django's commit sends `COMMIT`: both
//!   in Django's log too (as `BEGIN`, `COMMIT`), so the counts agree.
//! - psycopg 3 with `server_side_binding`: a statement with parameters goes
//!   through the extended protocol with the unnamed statement (`execute
//!   <unnamed>:` with `$1`… and a `parameters:` line: the canary travels as
//!   `$1`); one without parameters (`BEGIN`, `COMMIT`, `SELECT COUNT(*)`, the
//!   raw /db/error statement) through the simple protocol. Django sets
//!   `prepare_threshold=None`: never a named prepared statement.
//! - mysqlclient: text protocol, literals interpolated. At every connect
//!   `SET NAMES utf8mb4`, `SET autocommit=0`, `SET autocommit=1` (not logged
//!   by Django), then `SET SESSION TRANSACTION ISOLATION LEVEL READ
//!   COMMITTED` (logged: [`QueryRecord::setup_sql`]), preceded on a thread's
//!   first connection by `SELECT VERSION(), @@sql_mode, ...` (also
//!   `setup_sql`). `atomic()` sends `SET autocommit=0` where Django logs
//!   `BEGIN`, then `COMMIT` (logged) and `SET autocommit=1` (not logged).
//!   Django logs /db/error's statement as `None` (mysqlclient keeps no
//!   executed query after a failure); the wire has [`ERROR_SQL`]. Each
//!   request with `CONN_MAX_AGE=0` ends with `COM_QUIT`.
//! - After a query fails (/db/error), Django checks the connection when the
//!   request finishes, after the response is sent: psycopg2 and psycopg 3
//!   `SELECT 1` (simple protocol, on a raw cursor), mysqlclient `COM_PING`
//!   (not in the general log; `Com_admin_commands` counts it). Neither is in
//!   the query log. With `CONN_MAX_AGE=0` the connection is closed after it.
//! - Redis: one connection per thread, kept across requests. redis-py 5.2
//!   opens it with `CLIENT SETINFO LIB-NAME redis-py` and `CLIENT SETINFO
//!   LIB-VER 5.2.1`, which Debian's Redis 7.0 rejects with `-ERR` (shown
//!   neither in `MONITOR` nor in commandstats: `errorstat_ERR` counts them).
//!   [`QueryRecord::cache_commands`] counts only what follows: `GET`, `SET
//!   ... EX 3600 NX`, `GET` on a miss, `GET` on a hit.

mod counts;
mod persistent;
mod servers;

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

use sonde_tests::{
    client::{run_mix, Exchange, MixOptions},
    databases::{established_connections, Databases, Transport},
    django::ServerKind,
    django_db::{DbServer, Driver, QueryRecord, View, CANARY_EMAIL, ERROR_SQL, LISTED_ORDERS},
};

/// How many times each view but /db/cached is driven in a run.
pub const REPEATS: usize = 4;
/// The statement Django logs for /db/error with mysqlclient (see above).
pub const MYSQL_LOGGED_ERROR_SQL: &str = "None";
/// The statement MariaDB connections get from Django at connect.
pub const MYSQL_ISOLATION_SQL: &str = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

/// What one run of the views did: the client's exchanges and their records.
pub struct Run {
    /// The first /db/cached request (a cache miss), then the others.
    pub first_cached: Exchange,
    pub exchanges: Vec<Exchange>,
    pub records: BTreeMap<u64, QueryRecord>,
}

impl Run {
    pub fn record(&self, exchange: &Exchange) -> &QueryRecord {
        &self.records[&exchange.id]
    }

    /// Every exchange with its view, the first /db/cached first.
    pub fn by_view(&self) -> Vec<(View, &Exchange)> {
        std::iter::once(&self.first_cached)
            .chain(&self.exchanges)
            .map(|e| (view_of(e), e))
            .collect()
    }
}

fn view_of(exchange: &Exchange) -> View {
    View::ALL
        .into_iter()
        .find(|v| v.path() == exchange.request.path)
        .unwrap_or_else(|| panic!("{} is not a /db/ view", exchange.request.path))
}

/// Sends /db/cached once alone (the miss), then every view [`REPEATS`] times
/// (/db/cached: hits), round-robin, from as many clients as the server has
/// slots (at most 4). Every response must have the view's status.
pub fn drive(server: &DbServer) -> Run {
    let kind = server.server().kind();
    let endpoint = server.server().endpoint().clone();
    let first = run_mix(
        endpoint.clone(),
        &[View::Cached.request()],
        MixOptions::new(kind.keeps_alive()),
    );
    first.assert_statuses();
    // Round-robin: every view once per round.
    let requests: Vec<_> = (0..REPEATS)
        .flat_map(|_| View::ALL.map(View::request))
        .collect();
    let options = MixOptions {
        threads: kind.concurrency().min(4),
        ..MixOptions::new(kind.keeps_alive())
    };
    let report = run_mix(endpoint, &requests, options);
    report.assert_statuses();
    let first_cached = first.exchanges.into_iter().next().expect("one exchange");
    let mut ids: Vec<u64> = report.exchanges.iter().map(|e| e.id).collect();
    ids.push(first_cached.id);
    let records = server.query_records(&ids);
    Run {
        first_cached,
        exchanges: report.exchanges,
        records,
    }
}

/// The statements Django logs at connect for `driver`, given whether this
/// was the thread's first connection.
pub fn expected_setup(driver: Driver, first_of_thread: bool) -> Vec<&'static str> {
    match (driver, first_of_thread) {
        (Driver::Mysqlclient, true) => vec!["SELECT VERSION(),", MYSQL_ISOLATION_SQL],
        (Driver::Mysqlclient, false) => vec![MYSQL_ISOLATION_SQL],
        _ => Vec::new(),
    }
}

/// Checks one record against its view, exactly: status, driver, worker and
/// thread, query count and statements, cache commands (the cache's miss or
/// hit is [`check_cache`]'s).
pub fn check_record(server: &DbServer, view: View, exchange: &Exchange, record: &QueryRecord) {
    let config = server.config();
    let driver = config.driver;
    let context = format!("{view:?} ({config}), request {}: {record:?}", exchange.id);
    assert_eq!(
        (record.method.as_str(), record.path.as_str(), record.status),
        (exchange.request.method.as_str(), view.path(), view.status()),
        "{context}"
    );
    assert_eq!(
        record.driver,
        driver.module(),
        "the driver in use: {context}"
    );
    let workers = server.server().worker_pids();
    assert!(
        workers.contains(&record.pid),
        "served by {} which is not a worker {workers:?}: {context}",
        record.pid
    );
    match server.server().kind() {
        ServerKind::GunicornGthread => assert_ne!(
            record.thread_id, record.pid,
            "gthread runs views in pool threads: {context}"
        ),
        _ => assert_eq!(
            record.thread_id, record.pid,
            "a sync worker runs views in its main thread: {context}"
        ),
    }
    assert_eq!(record.queries, record.sql.len(), "{context}");
    assert_eq!(record.writes(), view.writes(), "writes: {context}");
    let normalized = record.normalized();
    let distinct = |statements: &[String]| statements.iter().collect::<BTreeSet<_>>().len();
    match view {
        View::One => {
            assert_eq!(record.queries, 1, "{context}");
            assert!(
                normalized[0].starts_with("SELECT") && normalized[0].contains("orders_customer"),
                "{context}"
            );
        }
        View::Ten => {
            assert_eq!(record.queries, 10, "{context}");
            assert_eq!(distinct(&normalized), 1, "one statement: {context}");
            assert_eq!(distinct(&record.sql), 10, "ten ids: {context}");
        }
        View::NPlusOne => {
            assert_eq!(record.queries, 1 + LISTED_ORDERS, "{context}");
            assert!(record.sql[0].contains("orders_order"), "{context}");
            let per_order = &normalized[1..];
            assert_eq!(distinct(per_order), 1, "the N are one statement: {context}");
            assert!(per_order[0].contains("orders_customer"), "{context}");
            assert_eq!(distinct(&record.sql[1..]), LISTED_ORDERS, "{context}");
        }
        View::Transaction => {
            assert_eq!(record.queries, 5, "{context}");
            assert_eq!(record.sql[0], "BEGIN", "{context}");
            assert_eq!(record.sql[4], "COMMIT", "{context}");
            assert!(
                record.sql[1].starts_with("INSERT INTO")
                    && record.sql[1].contains("orders_customer")
                    && record.sql[1].contains(CANARY_EMAIL),
                "the canary in the first INSERT: {context}"
            );
            assert!(
                record.sql[2].starts_with("INSERT INTO") && record.sql[2].contains("orders_order"),
                "{context}"
            );
            assert!(
                record.sql[3].starts_with("UPDATE") && record.sql[3].contains("orders_counter"),
                "{context}"
            );
        }
        View::Error => {
            let logged = if driver == Driver::Mysqlclient {
                MYSQL_LOGGED_ERROR_SQL
            } else {
                ERROR_SQL
            };
            assert_eq!(record.sql, [logged], "{context}");
        }
        View::Cached => {}
    }
    if view == View::Cached {
        assert!(
            record.queries <= 1,
            "a miss makes one query, a hit none: {context}"
        );
    } else {
        assert_eq!(record.cache_calls, 0, "no cache: {context}");
        assert_eq!(record.queries, view.queries(), "{context}");
    }
    assert_eq!(record.cache_calls, record.cache_commands.len(), "{context}");
}

/// Checks the cache side of a run: the first /db/cached missed (1 query;
/// GET, SET, GET), the others hit (no query; GET), all answered the same
/// count, which Redis holds under the server's key, its only key.
pub fn check_cache(server: &DbServer, dbs: &Databases, run: &Run) {
    let first = run.record(&run.first_cached);
    assert_eq!(
        (first.queries, first.sql.len()),
        (1, 1),
        "the first /db/cached misses: {first:?}"
    );
    assert!(first.sql[0].contains("COUNT(*)"), "{first:?}");
    assert_eq!(first.cache_commands, ["GET", "SET", "GET"], "{first:?}");
    let count = String::from_utf8_lossy(&run.first_cached.body).into_owned();
    let mut hits = 0;
    for (view, exchange) in run.by_view().into_iter().skip(1) {
        if view != View::Cached {
            continue;
        }
        let record = run.record(exchange);
        assert_eq!(record.queries, 0, "a hit makes no query: {record:?}");
        assert_eq!(record.cache_commands, ["GET"], "{record:?}");
        assert_eq!(String::from_utf8_lossy(&exchange.body), count);
        hits += 1;
    }
    assert_eq!(hits, REPEATS);
    let transport = server.config().transport;
    let keys = dbs
        .redis
        .command_over(
            transport,
            &["KEYS", &format!("{}:*", server.cache_prefix())],
        )
        .texts();
    assert_eq!(keys, [server.cached_key()], "the server's keys in Redis");
    let cached = dbs.redis.command(&["GET", &server.cached_key()]).text();
    assert_eq!(
        format!("{{\"orders\": {}}}", cached.as_deref().unwrap_or("?")),
        count,
        "Redis holds what /db/cached answered"
    );
}

/// Checks that the customers /db/transaction answered with are in the
/// database with the canary e-mail (the transaction committed).
pub fn check_committed(dbs: &Databases, driver: Driver, run: &Run) {
    let mut ids = Vec::new();
    for (view, exchange) in run.by_view() {
        if view != View::Transaction {
            continue;
        }
        let body: serde_json::Value =
            serde_json::from_slice(&exchange.body).expect("/db/transaction answers JSON");
        ids.push(body["customer"].as_u64().expect("a customer id"));
    }
    assert_eq!(ids.len(), REPEATS);
    let list = ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT COUNT(*) FROM orders_customer WHERE id IN ({list}) AND email = '{CANARY_EMAIL}'"
    );
    let found = if driver.is_postgres() {
        dbs.postgres.superuser_sql("shop", &sql)
    } else {
        dbs.mariadb.root_sql(&format!("USE shop; {sql}"))
    };
    assert_eq!(
        found,
        REPEATS.to_string(),
        "committed canary customers {ids:?}"
    );
}

/// Waits (up to 10 s) until the workers hold exactly `expected` established
/// TCP connections to `driver`'s server, and panics otherwise.
pub fn assert_db_connections(server: &DbServer, dbs: &Databases, expected: usize) {
    assert_eq!(
        server.config().transport,
        Transport::Tcp,
        "connections are counted over TCP only"
    );
    let addr = server.config().driver.server_addr(dbs);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let workers = server.server().worker_pids();
        let open = established_connections(&workers, addr);
        if open == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the workers {workers:?} hold {open} connections to {addr}, expected {expected} ({})",
            server.config()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
