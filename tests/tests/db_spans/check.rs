//! Finding a request's spans in the agent's output, and checking them
//! against Django's query log.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use sonde_tests::{
    client::Exchange,
    django_db::{Driver, QueryRecord, View, CANARY_EMAIL, LISTED_ORDERS},
    events::{self, i64_attr, str_attr, u64_attr, Event},
    metrics, Agent,
};

/// The server span of `exchange` (sent on a connection of its own from
/// `exchange.local_port`) to the app on `port`.
pub fn server_span_of(agent: &Agent, port: u16, exchange: &Exchange, timeout: Duration) -> Event {
    let is_it = |event: &Event| {
        events::name(event) == "span"
            && str_attr(event, "span.kind") == Some("server")
            && u64_attr(event, "server.port") == Some(u64::from(port))
            && u64_attr(event, "network.peer.port") == Some(u64::from(exchange.local_port))
    };
    let deadline = Instant::now() + timeout;
    loop {
        let found = agent.events_matching(is_it);
        if !found.is_empty() {
            assert_eq!(
                found.len(),
                1,
                "one server span for {} from port {}: {found:#?}",
                exchange.request.path,
                exchange.local_port
            );
            return found[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "no server span for {} {} from port {} after {timeout:?}; agent stderr:\n{}",
            exchange.request.method,
            exchange.request.path,
            exchange.local_port,
            agent.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start_ns(span: &Event) -> u64 {
    u64_attr(span, "start_time_unix_nano").unwrap_or_default()
}

fn end_ns(span: &Event) -> u64 {
    u64_attr(span, "end_time_unix_nano").unwrap_or_default()
}

/// The database spans of the thread that served `record`'s request, made
/// while it was served (they come out before the server span, which ends
/// last: no wait is needed once it is there).
pub fn db_spans(agent: &Agent, server_span: &Event, record: &QueryRecord) -> Vec<Event> {
    let (from, to) = (start_ns(server_span), end_ns(server_span));
    agent.events_matching(|event| {
        events::name(event) == "span"
            && str_attr(event, "span.kind") == Some("client")
            && str_attr(event, "db.system.name").is_some()
            && u64_attr(event, "process.pid") == Some(u64::from(record.pid))
            && u64_attr(event, "thread.id") == Some(u64::from(record.thread_id))
            && start_ns(event) >= from
            && start_ns(event) <= to
    })
}

fn view_of(exchange: &Exchange) -> View {
    View::ALL
        .into_iter()
        .find(|view| view.path() == exchange.request.path)
        .unwrap_or_else(|| panic!("{} is not a /db/ view", exchange.request.path))
}

/// One request: its server span's totals equal Django's counts, and every
/// call its thread made meanwhile is a child of it.
pub fn check_request(
    driver: Driver,
    exchange: &Exchange,
    record: &QueryRecord,
    server_span: &Event,
    calls: &[Event],
) {
    let view = view_of(exchange);
    let context = format!(
        "{view:?} with {driver:?}, request {}: Django logged {:?} and {:?}\nserver span: {server_span}\ncalls: {calls:#?}",
        exchange.id, record.sql, record.cache_commands
    );
    assert_eq!(
        u64_attr(server_span, "thread.id"),
        Some(u64::from(record.thread_id)),
        "the server span names the thread Django ran the view in: {context}"
    );
    assert_eq!(
        u64_attr(server_span, "sonde.db.queries").unwrap_or(0),
        record.queries as u64,
        "sonde.db.queries is Django's count: {context}"
    );
    assert_eq!(
        u64_attr(server_span, "sonde.redis.commands").unwrap_or(0),
        record.cache_calls as u64,
        "sonde.redis.commands is the cache's count: {context}"
    );
    let trace = str_attr(server_span, "trace_id");
    let parent = str_attr(server_span, "span_id");
    for call in calls {
        assert_eq!(
            (str_attr(call, "trace_id"), str_attr(call, "parent_span_id")),
            (trace, parent),
            "every call of the request is a child of its server span: {call}\n{context}"
        );
    }
    let system = if driver.is_postgres() {
        "postgresql"
    } else {
        "mysql"
    };
    let sql: Vec<&Event> = calls
        .iter()
        .filter(|call| str_attr(call, "db.system.name") != Some("redis"))
        .collect();
    assert!(
        sql.len() >= record.queries,
        "at least a span per query Django logged: {context}"
    );
    for call in &sql {
        assert_eq!(str_attr(call, "db.system.name"), Some(system), "{context}");
        assert!(
            str_attr(call, "db.query.text").is_some_and(|text| !text.is_empty()),
            "a SQL span has its normalized text: {call}"
        );
    }
    let redis = calls.len() - sql.len();
    assert!(redis >= record.cache_calls, "{context}");
    let repeated = u64_attr(server_span, "sonde.db.repeated_queries").unwrap_or(0);
    match view {
        View::NPlusOne => assert_eq!(
            repeated, LISTED_ORDERS as u64,
            "the N+1 view repeats one statement {LISTED_ORDERS} times: {context}"
        ),
        View::Ten => assert_eq!(repeated, 10, "{context}"),
        View::One | View::Error | View::Cached => assert_eq!(repeated, 0, "{context}"),
        View::Transaction => {}
    }
    if view == View::Error {
        let code = if driver.is_postgres() {
            "42P01"
        } else {
            "1146"
        };
        let failed: Vec<&&Event> = sql
            .iter()
            .filter(|call| str_attr(call, "error.type").is_some())
            .collect();
        assert_eq!(failed.len(), 1, "one failed call: {context}");
        assert_eq!(
            (
                str_attr(failed[0], "error.type"),
                str_attr(failed[0], "db.response.status_code"),
                str_attr(failed[0], "db.collection.name"),
            ),
            (Some(code), Some(code), Some("sonde_no_such_table")),
            "{context}"
        );
        assert_eq!(
            i64_attr(server_span, "http.response.status_code"),
            Some(500),
            "{context}"
        );
    } else {
        for call in &sql {
            assert!(
                str_attr(call, "error.type").is_none(),
                "no call fails outside /db/error: {call}\n{context}"
            );
        }
    }
}

/// The duration histograms count the spans, and the per-route query
/// histogram counts Django's queries.
pub fn check_metrics(agent: &Agent, exchanges: &[Exchange], records: &BTreeMap<u64, QueryRecord>) {
    let text = agent.metrics();
    for view in View::ALL {
        let mine: Vec<&QueryRecord> = exchanges
            .iter()
            .filter(|e| e.request.path == view.path())
            .map(|e| &records[&e.id])
            .collect();
        let labels = [("http_route", view.path()), ("service_name", "shop")];
        let count = metrics::sum(&text, "sonde_http_server_request_db_queries_count", &labels);
        let sum = metrics::sum(&text, "sonde_http_server_request_db_queries_sum", &labels);
        let queries: usize = mine.iter().map(|r| r.queries).sum();
        assert_eq!(
            (count, sum),
            (mine.len() as f64, queries as f64),
            "queries per request of {}:\n{text}",
            view.path()
        );
    }
    let shop_spans = agent.events_matching(|event| {
        events::name(event) == "span"
            && str_attr(event, "db.system.name").is_some()
            && str_attr(event, "service.name") == Some("shop")
    });
    let counted = metrics::sum(
        &text,
        "db_client_operation_duration_seconds_count",
        &[("service_name", "shop")],
    );
    assert_eq!(
        counted,
        shop_spans.len() as f64,
        "one observation per database span of the app:\n{text}"
    );
}

/// Nothing the agent wrote holds the canary e-mail /db/transaction
/// inserted: spans, events, metrics, logs.
pub fn check_canary(agent: &mut Agent) {
    let metrics = agent.metrics();
    let events = agent.with_events(|events| {
        events
            .iter()
            .map(Event::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    });
    let stopped = agent.stop();
    assert!(
        stopped.status.success() && !stopped.stderr.contains("panicked"),
        "the agent exited with {}; stderr:\n{}",
        stopped.status,
        stopped.stderr
    );
    let local = CANARY_EMAIL.split('@').next().unwrap_or(CANARY_EMAIL);
    for (what, text) in [
        ("events", &events),
        ("/metrics", &metrics),
        ("stderr", &stopped.stderr),
    ] {
        assert!(
            !text.contains(local),
            "the canary {CANARY_EMAIL} is in the agent's {what}"
        );
    }
    assert!(
        events.contains("INSERT INTO"),
        "the transaction's INSERTs were seen at all"
    );
}
