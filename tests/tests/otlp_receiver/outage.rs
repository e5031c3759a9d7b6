//! stop() is a real outage (the port refuses connections); restart() serves
//! the same port again and keeps what was received.

use std::net::{Ipv4Addr, TcpStream};

use opentelemetry_otlp::{RetryPolicy, WithTonicConfig};
use sonde_tests::otlp::{OtlpReceiver, ReceiverOptions, Signal};

use crate::{client_runtime, export, one_span, span_exporter};

#[test]
fn stop_refuses_connections_and_restart_keeps_what_was_received() {
    let mut receiver = OtlpReceiver::start(ReceiverOptions::default());
    let port = receiver.port();
    let runtime = client_runtime();
    // One exporter throughout: its connection must survive the outage the
    // way the agent's does, by reconnecting.
    let exporter = span_exporter(&runtime, &receiver.endpoint(), |b| {
        b.with_retry_policy(RetryPolicy::disabled())
    });
    export(&runtime, &exporter, one_span("before")).expect("export before the outage");

    receiver.stop();
    assert!(!receiver.is_running());
    let refused = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .expect_err("a stopped receiver's port refuses connections");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    let error = export(&runtime, &exporter, one_span("during"))
        .expect_err("an export during the outage fails");
    assert!(error.to_string().contains("Connection refused"), "{error}");

    receiver.restart();
    assert_eq!(receiver.port(), port);
    export(&runtime, &exporter, one_span("after")).expect("export after the restart");

    let names: Vec<_> = receiver.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["before", "after"]);
    assert_eq!(receiver.requests(Signal::Traces), 2);
}

#[test]
fn a_fixed_port_is_used_and_can_be_taken_again_after_drop() {
    let port = {
        let receiver = OtlpReceiver::start(ReceiverOptions::default());
        receiver.port()
    };
    let receiver = OtlpReceiver::start(ReceiverOptions {
        port,
        ..Default::default()
    });
    assert_eq!(receiver.endpoint(), format!("http://127.0.0.1:{port}"));
    let runtime = client_runtime();
    let exporter = span_exporter(&runtime, &receiver.endpoint(), |b| b);
    export(&runtime, &exporter, one_span("fixed port")).expect("export to a fixed port");
    assert_eq!(receiver.spans().len(), 1);
}
