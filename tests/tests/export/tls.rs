//! Export over TLS: works with the collector's CA certificate, and fails
//! with a clear error, exporting nothing, without it.

use std::time::Duration;

use sonde_tests::{
    django::{Server, ServerKind},
    http,
    otlp::{OtlpReceiver, ReceiverOptions},
    Agent,
};

use crate::wait;

/// A request to the app, whose server span the agent exports.
fn one_request(server: &Server) {
    let response = http::get(server.addr(), "/hello", Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("GET /hello: {e}"));
    assert_eq!(response.status, 200);
}

fn tls_receiver() -> OtlpReceiver {
    OtlpReceiver::start(ReceiverOptions {
        tls: true,
        ..ReceiverOptions::default()
    })
}

#[test]
fn tls_with_the_collector_certificate() {
    let server = Server::start(ServerKind::GunicornSync, None);
    let receiver = tls_receiver();
    let endpoint = receiver.endpoint();
    assert!(endpoint.starts_with("https://"), "{endpoint}");
    let ca = receiver.ca_certificate_path().expect("a CA certificate");
    let agent = Agent::start(&[
        "--otlp-traces-endpoint",
        &endpoint,
        "--otlp-certificate",
        ca.to_str().expect("a UTF-8 path"),
    ]);
    one_request(&server);
    let port = i64::from(server.port());
    let arrived = wait(Duration::from_secs(20), || {
        receiver.spans().iter().any(|span| {
            span.str_attr("url.path") == Some("/hello")
                && span.attributes.get("server.port").and_then(|v| v.as_int()) == Some(port)
        })
    });
    assert!(
        arrived,
        "no span over TLS; agent stderr:\n{}",
        agent.stderr()
    );
}

#[test]
fn tls_without_the_certificate_fails_clearly() {
    let server = Server::start(ServerKind::GunicornSync, None);
    let receiver = tls_receiver();
    let agent = Agent::start(&["--otlp-traces-endpoint", &receiver.endpoint()]);
    one_request(&server);
    let complained = wait(Duration::from_secs(20), || {
        agent.stderr().contains("OTLP export failed")
    });
    let stderr = agent.stderr();
    assert!(complained, "no export error logged; stderr:\n{stderr}");
    assert!(
        stderr.to_lowercase().contains("certificate"),
        "the error names the certificate problem; stderr:\n{stderr}"
    );
    assert!(
        receiver.spans().is_empty(),
        "nothing is accepted without trust"
    );
}
