//! Route templating: `/items/1` … `/items/5000` are one route, `/items/{id}`,
//! in the spans and in the histogram, while `url.path` keeps each real path.

use std::collections::BTreeSet;

use sonde_tests::{
    client::{run_mix, MixOptions, Request},
    django::ServerKind,
    red::{self, SERVER_DURATION},
    spans::{self, Kind},
};

use crate::{assert_counts, check_server_span, pair, settled, Rig, METRICS_TIMEOUT, SPAN_TIMEOUT};

const IDS: u64 = 5000;

#[test]
fn five_thousand_item_ids_make_one_route() {
    let kind = ServerKind::GunicornGthread;
    let rig = Rig::start(kind, false);
    let port = rig.port();
    let workers = rig.server.worker_pids();
    let requests: Vec<Request> = (1..=IDS)
        .map(|id| Request::get(&format!("/items/{id}"), "/items/{id}", 200))
        .collect();
    let options = MixOptions {
        keep_alive_percent: 100,
        max_session: 100,
        ..MixOptions::new(kind.keeps_alive())
    };
    let report = run_mix(rig.server.addr(), &requests, options);
    report.assert_statuses();
    let expected = report.counts();
    assert_eq!(expected.len(), 1, "{expected:?}");

    spans::wait_for(
        &rig.agent,
        &format!("server spans on port {port} for GET /items/1 … /items/{IDS}"),
        IDS as usize,
        SPAN_TIMEOUT,
        |s| s.kind == Kind::Server && s.server_port == port,
    );
    let server_spans = settled(&rig.agent, Kind::Server, port);
    assert_counts("server spans", &spans::count(&server_spans), &expected);
    for span in &server_spans {
        assert_eq!(span.name, "GET /items/{id}", "{}", span.raw);
    }
    let paths: BTreeSet<&str> = server_spans.iter().map(|s| s.url_path.as_str()).collect();
    assert_eq!(
        paths.len(),
        IDS as usize,
        "url.path keeps each request's own path"
    );
    for (exchange, span) in pair(&report.exchanges, &server_spans) {
        check_server_span(span, exchange, &rig.server, &workers);
    }

    red::wait_for_total(&rig.agent, SERVER_DURATION, port, IDS, METRICS_TIMEOUT);
    let histograms = red::histograms(&rig.agent.metrics(), SERVER_DURATION, port);
    assert_eq!(
        histograms.len(),
        1,
        "one series for one route, method and status: {:#?}",
        histograms.iter().map(|h| &h.labels).collect::<Vec<_>>()
    );
    assert_counts("histogram", &red::counts(&histograms), &expected);
    rig.finish();
}
