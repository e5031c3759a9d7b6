//! TLS and mTLS: exports succeed with the receiver's CA (and client
//! certificate), and fail without.

use std::fs;

use opentelemetry_otlp::{
    tonic_types::transport::{Certificate, ClientTlsConfig, Identity},
    WithTonicConfig,
};
use sonde_tests::otlp::{OtlpReceiver, ReceiverOptions};

use crate::{client_runtime, export, one_span, span_exporter};

fn read(path: Option<std::path::PathBuf>) -> Vec<u8> {
    let path = path.expect("a TLS receiver has its PEM files");
    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn trusting(receiver: &OtlpReceiver) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read(receiver.ca_certificate_path())))
}

#[test]
fn tls_export_needs_the_receivers_ca() {
    let receiver = OtlpReceiver::start(ReceiverOptions {
        tls: true,
        ..Default::default()
    });
    let endpoint = receiver.endpoint();
    assert!(endpoint.starts_with("https://localhost:"), "{endpoint}");
    let runtime = client_runtime();

    let untrusting = span_exporter(&runtime, &endpoint, |b| {
        b.with_tls_config(ClientTlsConfig::new())
    });
    let error = export(&runtime, &untrusting, one_span("untrusted"))
        .expect_err("a client without the CA refuses the certificate");
    assert!(error.to_string().contains("certificate"), "{error}");

    let trusting = span_exporter(&runtime, &endpoint, |b| {
        b.with_tls_config(trusting(&receiver))
    });
    export(&runtime, &trusting, one_span("trusted")).expect("export over TLS");

    let names: Vec<_> = receiver.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["trusted"]);
}

#[test]
fn mtls_export_needs_a_client_certificate() {
    let receiver = OtlpReceiver::start(ReceiverOptions {
        tls: true,
        client_auth: true,
        ..Default::default()
    });
    let runtime = client_runtime();

    let anonymous = span_exporter(&runtime, &receiver.endpoint(), |b| {
        b.with_tls_config(trusting(&receiver))
    });
    export(&runtime, &anonymous, one_span("anonymous"))
        .expect_err("the receiver refuses a client without a certificate");

    let identity = Identity::from_pem(
        read(receiver.client_certificate_path()),
        read(receiver.client_key_path()),
    );
    let authenticated = span_exporter(&runtime, &receiver.endpoint(), |b| {
        b.with_tls_config(trusting(&receiver).identity(identity))
    });
    export(&runtime, &authenticated, one_span("authenticated")).expect("export over mTLS");

    let names: Vec<_> = receiver.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["authenticated"]);
}
