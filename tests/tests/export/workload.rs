//! A known Django workload (PostgreSQL through psycopg2, gunicorn sync
//! workers): every span, its resource and attributes, the metric data
//! points and the socket log records, as the receiver gets them.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use sonde_tests::{
    agent::agent_lock,
    client::{self, Conn, Exchange, Request},
    databases::Transport,
    django::ServerKind,
    django_db::{shared_databases, DbConfig, DbServer, Driver, View},
    otlp::{OtlpReceiver, ReceivedSpan, ReceiverOptions},
    Agent,
};

use crate::{dropped, printed_ids, received_ids, wait, EXPORT_TIMEOUT};

/// How many times each view is driven.
const REPEATS: usize = 3;

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

#[test]
fn a_django_workload_reaches_the_collector() {
    let lock = agent_lock();
    let dbs = shared_databases();
    let mut server = DbServer::start(
        ServerKind::GunicornSync,
        &dbs,
        DbConfig::new(Driver::Psycopg2).over(Transport::Tcp),
    );
    let receiver = OtlpReceiver::start(ReceiverOptions::default());
    let endpoint = receiver.endpoint();
    let agent = Agent::start_locked(
        lock,
        &[
            "--otlp-endpoint",
            &endpoint,
            "--otlp-compression",
            "gzip",
            "--otlp-metrics-interval",
            "1s",
        ],
    );
    let requests: Vec<Request> = (0..REPEATS)
        .flat_map(|_| View::ALL.map(View::request))
        .collect();
    let exchanges = send_each(&server, &requests);
    let ids: Vec<u64> = exchanges.iter().map(|e| e.id).collect();
    let records = server.query_records(&ids);
    let port = server.server().port();
    let workers = server.server().worker_pids();

    // Exactly the spans the agent produced, none lost or invented (other
    // processes on the host may go on making spans meanwhile: every span
    // printed so far must arrive, and nothing the agent did not print).
    let printed = printed_ids(&agent);
    let arrived = wait(EXPORT_TIMEOUT, || {
        received_ids(&receiver).is_superset(&printed)
    });
    let received = receiver.spans();
    let ids = received_ids(&receiver);
    assert!(
        arrived,
        "the receiver got {} spans, the agent printed {}; missing: {:?}",
        received.len(),
        printed.len(),
        printed.difference(&ids).take(5).collect::<Vec<_>>()
    );
    assert!(
        ids.is_subset(&printed_ids(&agent)),
        "only spans the agent printed"
    );
    assert_eq!(received.len(), ids.len(), "no span was sent twice");
    assert_eq!(dropped(&agent, "spans"), 0.0);

    // Per request: one server span, its resource, its SQL children.
    let by_id: BTreeMap<&str, &ReceivedSpan> =
        received.iter().map(|s| (s.span_id.as_str(), s)).collect();
    for exchange in &exchanges {
        let record = &records[&exchange.id];
        let server_spans: Vec<&ReceivedSpan> = received
            .iter()
            .filter(|s| {
                s.kind == SpanKind::Server
                    && s.attributes.get("server.port").and_then(|v| v.as_int()) == Some(port.into())
                    && s.attributes
                        .get("network.peer.port")
                        .and_then(|v| v.as_int())
                        == Some(exchange.local_port.into())
            })
            .collect();
        assert_eq!(
            server_spans.len(),
            1,
            "one server span for {}",
            exchange.request.path
        );
        let span = server_spans[0];
        assert_eq!(
            span.str_attr("http.request.method"),
            Some(exchange.request.method.as_str())
        );
        assert_eq!(
            span.str_attr("url.path"),
            Some(exchange.request.path.as_str())
        );
        assert_eq!(
            span.str_attr("http.route"),
            Some(exchange.request.path.as_str())
        );
        assert_eq!(
            span.attributes
                .get("http.response.status_code")
                .and_then(|v| v.as_int()),
            Some(exchange.status.into())
        );
        assert_eq!(
            span.attributes
                .get("sonde.db.queries")
                .and_then(|v| v.as_int()),
            Some(record.queries as i64),
            "Django's query count for {}",
            exchange.request.path
        );
        check_resource(span, &workers);
        assert_eq!(span.scope_name, "sonde");
        let children: Vec<&ReceivedSpan> = received
            .iter()
            .filter(|s| s.parent_span_id.as_deref() == Some(span.span_id.as_str()))
            .collect();
        for child in &children {
            assert_eq!(child.kind, SpanKind::Client);
            assert_eq!(
                child.trace_id, span.trace_id,
                "a child is in its parent's trace"
            );
            assert_eq!(child.resource, span.resource, "same process, same resource");
            assert!(by_id.contains_key(child.span_id.as_str()));
        }
        let sql = children
            .iter()
            .filter(|c| c.str_attr("db.system.name") == Some("postgresql"))
            .count();
        assert!(
            sql >= record.queries,
            "{}: {sql} SQL spans for {} queries Django ran",
            exchange.request.path,
            record.queries
        );
        if let Some(child) = children
            .iter()
            .find(|c| c.str_attr("db.system.name") == Some("postgresql"))
        {
            for key in ["db.query.text", "db.operation.name", "server.address"] {
                assert!(child.attributes.contains_key(key), "{key} on {child:#?}");
            }
        }
    }

    // Metric data points whose counts match the spans.
    let server_spans_per_route = |route: &str| {
        received
            .iter()
            .filter(|s| s.kind == SpanKind::Server && s.str_attr("http.route") == Some(route))
            .filter(|s| {
                s.attributes.get("server.port").and_then(|v| v.as_int()) == Some(port.into())
            })
            .count() as u64
    };
    let counted = wait(EXPORT_TIMEOUT, || {
        View::ALL.iter().all(|view| {
            histogram_count(&receiver, "http.server.request.duration", view.path())
                == server_spans_per_route(view.path())
        })
    });
    assert!(
        counted,
        "http.server.request.duration counts by route {:?} differ from the spans {:?}",
        View::ALL.map(|v| histogram_count(&receiver, "http.server.request.duration", v.path())),
        View::ALL.map(|v| server_spans_per_route(v.path()))
    );
    let metric = receiver
        .metrics()
        .into_iter()
        .rev()
        .find(|m| {
            m.name == "http.server.request.duration"
                && m.resource.get("service.name").and_then(|v| v.as_str()) == Some("shop")
        })
        .expect("http.server.request.duration for shop");
    assert_eq!(metric.unit, "s");
    let bounds = &metric.points[0]
        .histogram()
        .expect("a histogram")
        .explicit_bounds;
    assert_eq!(
        bounds,
        &[0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0],
        "the semantic-convention boundaries"
    );

    // The agent's own telemetry, under its own service name.
    let own = wait(EXPORT_TIMEOUT, || {
        receiver.metrics().iter().any(|m| {
            m.name == "sonde.export.exported"
                && m.resource.get("service.name").and_then(|v| v.as_str()) == Some("sonde")
                && m.points.iter().any(|p| {
                    p.str_attr("signal") == Some("spans") && p.number().unwrap_or(0.0) > 0.0
                })
        })
    });
    assert!(
        own,
        "no sonde.export.exported{{signal=spans}} > 0 from service sonde"
    );

    // Socket events as log records, from the workers' resource.
    let accepted = wait(EXPORT_TIMEOUT, || {
        receiver.logs().iter().any(|log| {
            log.event_name.as_deref() == Some("tcp.accept")
                && log
                    .resource
                    .get("process.pid")
                    .and_then(|v| v.as_int())
                    .is_some_and(|pid| workers.contains(&(pid as u32)))
        })
    });
    assert!(accepted, "no tcp.accept log record from a gunicorn worker");
    server.server_mut().stop();
}

/// The total count of the newest data point of histogram `name` for `route`
/// (cumulative: the newest has everything).
fn histogram_count(receiver: &OtlpReceiver, name: &str, route: &str) -> u64 {
    receiver
        .metrics()
        .into_iter()
        .rev()
        .find(|m| {
            m.name == name
                && m.resource.get("service.name").and_then(|v| v.as_str()) == Some("shop")
        })
        .map_or(0, |metric| {
            metric
                .points
                .iter()
                .filter(|p| p.str_attr("http.route") == Some(route))
                .filter_map(|p| p.histogram().map(|h| h.count))
                .sum()
        })
}

/// The resource of a span of the app: the service, the worker process, the
/// runtime, the host.
fn check_resource(span: &ReceivedSpan, workers: &[u32]) {
    assert_eq!(span.resource_str("service.name"), Some("shop"), "{span:#?}");
    let pid = span.resource.get("process.pid").and_then(|v| v.as_int());
    assert!(
        pid.is_some_and(|pid| workers.contains(&(pid as u32))),
        "process.pid {pid:?} is a gunicorn worker {workers:?}"
    );
    assert!(span
        .resource_str("service.instance.id")
        .is_some_and(|id| id.contains(':')));
    assert!(span
        .resource_str("process.executable.name")
        .is_some_and(|name| name.starts_with("python")));
    assert_eq!(span.resource_str("process.runtime.name"), Some("CPython"));
    assert!(span
        .resource_str("process.runtime.version")
        .is_some_and(|v| v.starts_with("3.")));
    assert!(span
        .resource_str("host.name")
        .is_some_and(|name| !name.is_empty()));
    assert!(
        !span.attributes.contains_key("service.name"),
        "moved to the resource"
    );
}
