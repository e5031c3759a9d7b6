//! The 2,000-request mix over every route (see `client::standard_mix`), on
//! keep-alive and new connections from 4 client threads: for every (route,
//! method, status) the agent's spans and its `_count` series equal the client's
//! counts exactly; each span matches its request; durations agree with the
//! server's access log request by request (median absolute difference < 1 ms)
//! and /slow's p50 is between 50 and 55 ms. The backend calls of /call-backend
//! are counted as client spans and in the client histogram.

use std::{collections::BTreeMap, time::Duration};

use sonde_tests::{
    client::{run_mix, standard_mix, Exchange, MixOptions},
    django::{Server, ServerKind},
    red::{self, CLIENT_DURATION, SERVER_DURATION},
    spans::{self, quantile, Kind, Span},
};

use crate::{
    assert_counts, check_server_span, pair, settled, Rig, LOOPBACK, METRICS_TIMEOUT, SERVICE,
    SPAN_TIMEOUT,
};

const TOTAL: usize = 2000;
const SEED: u64 = 0x0003_2000;
/// Limit on the median of |span duration − access-log duration|.
const MEDIAN_LIMIT: Duration = Duration::from_millis(1);
/// Where /slow's p50 must fall: the view sleeps 50 ms.
const SLOW_P50: (Duration, Duration) = (Duration::from_millis(50), Duration::from_millis(55));

fn mix_is_counted_exactly_and_timed_like_the_access_log(kind: ServerKind) {
    let rig = Rig::start(kind, true);
    let (port, backend_port, name) = (rig.port(), rig.backend_port(), kind.name());
    let workers = rig.server.worker_pids();
    let requests = standard_mix(TOTAL, true, SEED);
    let report = run_mix(
        rig.server.addr(),
        &requests,
        MixOptions::new(kind.keeps_alive()),
    );
    report.assert_statuses();
    let expected = report.counts();
    eprintln!(
        "{name}: {TOTAL} requests on {} connections in {:?}",
        report.connections(),
        report.elapsed
    );

    // One server span per request, and nothing else on this port.
    spans::wait_for(
        &rig.agent,
        &format!("server spans (span.kind=server, server.port={port}) for the {TOTAL} requests sent to {name}"),
        TOTAL,
        SPAN_TIMEOUT,
        |s| s.kind == Kind::Server && s.server_port == port,
    );
    let server_spans = settled(&rig.agent, Kind::Server, port);
    assert_counts(
        &format!("server spans of {name}"),
        &spans::count(&server_spans),
        &expected,
    );
    let pairs = pair(&report.exchanges, &server_spans);
    for (exchange, span) in &pairs {
        check_server_span(span, exchange, &rig.server, &workers);
    }

    // The same counts in the server histogram, in seconds.
    red::wait_for_total(
        &rig.agent,
        SERVER_DURATION,
        port,
        TOTAL as u64,
        METRICS_TIMEOUT,
    );
    let histograms = red::histograms(&rig.agent.metrics(), SERVER_DURATION, port);
    assert_counts(
        &format!("{SERVER_DURATION}_count{{server_port=\"{port}\"}} of {name}"),
        &red::counts(&histograms),
        &expected,
    );
    for h in &histograms {
        assert_eq!(
            h.label("service_name"),
            SERVICE,
            "{SERVER_DURATION} {:?}",
            h.labels
        );
        if h.label("http_route") == "/slow" {
            assert_eq!(
                h.at_most(0.05),
                Some(0.0),
                "every /slow request takes more than 50 ms, i.e. 0.05 s: {h:?}"
            );
        }
    }
    let span_seconds: f64 = server_spans
        .iter()
        .map(|s| s.duration_ns as f64 / 1e9)
        .sum();
    let metric_seconds: f64 = histograms.iter().map(|h| h.sum).sum();
    assert!(
        (span_seconds - metric_seconds).abs() <= span_seconds * 0.001 + 0.001,
        "{SERVER_DURATION}_sum adds up to {metric_seconds} s but the spans to {span_seconds} s"
    );

    // The backend calls: one client span each, children of nothing here but
    // counted under the backend's port and route.
    let calls = expected
        .get(&("/call-backend".to_owned(), "GET".to_owned(), 200))
        .copied()
        .unwrap_or(0);
    assert!(calls > 0, "the mix calls the backend");
    let expected_client =
        BTreeMap::from([(("/orders/{id}".to_owned(), "GET".to_owned(), 200), calls)]);
    spans::wait_for(
        &rig.agent,
        &format!("client spans (span.kind=client, server.port={backend_port}) for the {calls} backend calls of /call-backend"),
        calls as usize,
        SPAN_TIMEOUT,
        |s| s.kind == Kind::Client && s.server_port == backend_port,
    );
    let client_spans = spans::on_port(&rig.agent, Kind::Client, backend_port);
    assert_counts(
        "client spans to the backend",
        &spans::count(&client_spans),
        &expected_client,
    );
    for span in &client_spans {
        assert!(
            workers.contains(&span.pid)
                && span.service_name == SERVICE
                && span.url_path.starts_with("/orders/")
                && span.error_type.is_none()
                && span.server_address == LOOPBACK
                && span.peer_address == LOOPBACK
                && span.peer_port == backend_port,
            "a backend call from {name}'s workers {workers:?} as service {SERVICE}, to {LOOPBACK}:{backend_port}: {}",
            span.raw
        );
    }
    red::wait_for_total(
        &rig.agent,
        CLIENT_DURATION,
        backend_port,
        calls,
        METRICS_TIMEOUT,
    );
    let client_histograms = red::histograms(&rig.agent.metrics(), CLIENT_DURATION, backend_port);
    assert_counts(
        &format!("{CLIENT_DURATION}_count{{server_port=\"{backend_port}\"}}"),
        &red::counts(&client_histograms),
        &expected_client,
    );
    for h in &client_histograms {
        assert_eq!(
            h.label("service_name"),
            SERVICE,
            "{CLIENT_DURATION} {:?}",
            h.labels
        );
    }

    durations_agree_with_the_access_log(&rig.server, &pairs);
    rig.finish();
}

/// Median |span − access log| below [`MEDIAN_LIMIT`], and /slow's p50 in [`SLOW_P50`].
fn durations_agree_with_the_access_log(server: &Server, pairs: &[(&Exchange, &Span)]) {
    let name = server.kind().name();
    let ids: Vec<u64> = pairs.iter().map(|(e, _)| e.id).collect();
    let log = server.access_records(&ids);
    let mut diffs: Vec<(u64, String)> = pairs
        .iter()
        .map(|(exchange, span)| {
            let record = &log[&exchange.id];
            assert_eq!(record.status, exchange.status, "{record:?}");
            let logged = record.duration.as_nanos() as u64;
            let diff = span.duration_ns.abs_diff(logged);
            let what = format!(
                "{} {}: span {:.3} ms, access log {:.3} ms",
                exchange.request.method,
                exchange.request.target(),
                span.duration_ns as f64 / 1e6,
                logged as f64 / 1e6
            );
            (diff, what)
        })
        .collect();
    let abs: Vec<u64> = diffs.iter().map(|(d, _)| *d).collect();
    let median = Duration::from_nanos(quantile(&abs, 0.5).expect("some requests"));
    let p90 = Duration::from_nanos(quantile(&abs, 0.9).expect("some requests"));
    diffs.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
    let worst: Vec<&str> = diffs.iter().take(5).map(|(_, w)| w.as_str()).collect();
    eprintln!(
        "{name}: |span − access log| over {} requests: median {median:?}, p90 {p90:?}; worst: {worst:#?}",
        pairs.len()
    );
    assert!(
        median < MEDIAN_LIMIT,
        "{name}: the median absolute difference between span durations and the access log is \
         {median:?} (limit {MEDIAN_LIMIT:?}; p90 {p90:?}); worst: {worst:#?}"
    );

    let slow: Vec<u64> = pairs
        .iter()
        .filter(|(e, _)| e.request.path == "/slow")
        .map(|(_, s)| s.duration_ns)
        .collect();
    let p50 = Duration::from_nanos(quantile(&slow, 0.5).expect("the mix has /slow requests"));
    assert!(
        (SLOW_P50.0..=SLOW_P50.1).contains(&p50),
        "{name}: /slow's p50 from the spans is {p50:?}, expected between {:?} and {:?}",
        SLOW_P50.0,
        SLOW_P50.1
    );
}

#[test]
fn gunicorn_sync_mix_is_counted_exactly_and_timed_like_the_access_log() {
    mix_is_counted_exactly_and_timed_like_the_access_log(ServerKind::GunicornSync);
}

#[test]
fn gunicorn_gthread_mix_is_counted_exactly_and_timed_like_the_access_log() {
    mix_is_counted_exactly_and_timed_like_the_access_log(ServerKind::GunicornGthread);
}

#[test]
fn uwsgi_mix_is_counted_exactly_and_timed_like_the_access_log() {
    mix_is_counted_exactly_and_timed_like_the_access_log(ServerKind::Uwsgi);
}
