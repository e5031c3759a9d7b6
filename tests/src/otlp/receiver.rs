//! The receiver's lifecycle: listen, stop (a real outage), listen again on
//! the same port, and read what was received.

use std::{
    net::{Ipv4Addr, TcpListener},
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
    thread,
    time::{Duration, Instant},
};

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use tokio::runtime::Runtime;
use tonic::{transport::Server, Code};

use super::{
    collector::Collector,
    logs::{self, ReceivedLog},
    metrics::{self, ReceivedMetric},
    spans::{self, ReceivedSpan},
    store::{Counts, ExportCall, Signal, Store},
    tls::TlsFiles,
};

/// How long [`OtlpReceiver::stop`] lets the server's tasks wind down.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How often [`OtlpReceiver::wait_for`] checks its condition.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// How to start an [`OtlpReceiver`].
#[derive(Debug, Clone, Default)]
pub struct ReceiverOptions {
    /// The loopback port; 0 picks a free one.
    pub port: u16,
    /// Serve TLS with a certificate for `localhost` and 127.0.0.1, signed by a
    /// test CA made at start ([`OtlpReceiver::ca_certificate_path`]).
    pub tls: bool,
    /// With `tls`, also require a client certificate signed by that CA
    /// ([`OtlpReceiver::client_certificate_path`], [`OtlpReceiver::client_key_path`]).
    pub client_auth: bool,
    /// Count what is received and keep nothing else ([`OtlpReceiver::counts`]
    /// only): for benchmarks, which send more than memory holds.
    pub count_only: bool,
}

/// An OTLP/gRPC collector on 127.0.0.1 (traces, metrics and logs, gzip
/// accepted) that stores every request. Its server runs on a thread of its
/// own tokio runtime, so tests stay synchronous. Dropping it stops it.
///
/// Like the OpenTelemetry Collector by default, it refuses messages over
/// 4 MiB (tonic's default limit), with `OutOfRange`; such calls are refused
/// before they reach the services, so they are not in [`Self::calls`].
#[derive(Debug)]
pub struct OtlpReceiver {
    port: u16,
    store: Arc<Mutex<Store>>,
    tls: Option<TlsFiles>,
    /// The runtime serving the port; `None` while stopped.
    server: Option<Runtime>,
}

impl OtlpReceiver {
    /// Listens and serves; panics when the port cannot be bound.
    pub fn start(options: ReceiverOptions) -> OtlpReceiver {
        assert!(
            options.tls || !options.client_auth,
            "client_auth needs tls: {options:?}"
        );
        let listener = bind(options.port);
        let port = listener
            .local_addr()
            .expect("the receiver's listener has an address")
            .port();
        let store = Store::new(options.count_only);
        let mut receiver = OtlpReceiver {
            port,
            store: Arc::new(Mutex::new(store)),
            tls: options.tls.then(|| TlsFiles::generate(options.client_auth)),
            server: None,
        };
        receiver.serve(listener);
        receiver
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` with TLS (the
    /// name the certificate is for).
    pub fn endpoint(&self) -> String {
        match self.tls {
            Some(_) => format!("https://localhost:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PEM certificate of the CA that signed the server's certificate
    /// (for `OTEL_EXPORTER_OTLP_CERTIFICATE`); `None` without TLS.
    pub fn ca_certificate_path(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(TlsFiles::ca_certificate)
    }

    /// A PEM client certificate signed by the CA (for
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`); `None` without TLS.
    pub fn client_certificate_path(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(TlsFiles::client_certificate)
    }

    /// The PEM key of [`Self::client_certificate_path`] (for
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY`); `None` without TLS.
    pub fn client_key_path(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(TlsFiles::client_key)
    }

    /// Closes the listener and every connection: the port refuses
    /// connections until [`Self::restart`]. What was received is kept.
    /// Does nothing when already stopped.
    pub fn stop(&mut self) {
        if let Some(runtime) = self.server.take() {
            // A runtime cannot be shut down from async code; a thread of its
            // own lets a test call this from inside its own runtime too.
            thread::spawn(move || runtime.shutdown_timeout(STOP_TIMEOUT))
                .join()
                .expect("the receiver's runtime shuts down");
        }
    }

    /// Listens again on the same port, with the same certificates, keeping
    /// what was received. Panics if the receiver is running or the port was
    /// taken meanwhile.
    pub fn restart(&mut self) {
        assert!(
            self.server.is_none(),
            "restart() of a receiver that is running"
        );
        let listener = bind(self.port);
        self.serve(listener);
    }

    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// Makes the next `count` export calls for `signal` fail with `code`
    /// (nothing is stored for them); replaces what was pending for it.
    pub fn fail_next(&self, signal: Signal, code: Code, count: usize) {
        self.store().fail_next(signal, code, count);
    }

    /// Forgets everything received so far (not pending failures).
    pub fn clear(&self) {
        self.store().clear();
    }

    /// Export calls received for `signal`, refused ones included (none are
    /// kept when `count_only`).
    pub fn requests(&self, signal: Signal) -> usize {
        self.store()
            .calls
            .iter()
            .filter(|c| c.signal == signal)
            .count()
    }

    /// Spans, log records or metric data points accepted for `signal`:
    /// cheaper than the flat views, for [`Self::wait_for`] on large volumes.
    pub fn items(&self, signal: Signal) -> usize {
        self.counts(signal).items as usize
    }

    /// Export calls accepted for `signal`, and the items in them; the only
    /// view of a `count_only` receiver.
    pub fn counts(&self, signal: Signal) -> Counts {
        self.store().counts(signal)
    }

    /// Every export call received, in order, with its metadata.
    pub fn calls(&self) -> Vec<ExportCall> {
        self.store().calls.clone()
    }

    /// Every span stored, in the order received.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.store()
            .traces
            .iter()
            .flat_map(spans::flatten)
            .collect()
    }

    /// Every log record stored, in the order received.
    pub fn logs(&self) -> Vec<ReceivedLog> {
        self.store().logs.iter().flat_map(logs::flatten).collect()
    }

    /// Every metric of every export stored, in the order received: a metric
    /// exported periodically appears once per export.
    pub fn metrics(&self) -> Vec<ReceivedMetric> {
        self.store()
            .metrics
            .iter()
            .flat_map(metrics::flatten)
            .collect()
    }

    /// The stored trace requests as sent, for what the flat views leave out.
    pub fn trace_requests(&self) -> Vec<ExportTraceServiceRequest> {
        self.store().traces.clone()
    }

    /// The stored metric requests as sent.
    pub fn metric_requests(&self) -> Vec<ExportMetricsServiceRequest> {
        self.store().metrics.clone()
    }

    /// The stored log requests as sent.
    pub fn log_requests(&self) -> Vec<ExportLogsServiceRequest> {
        self.store().logs.clone()
    }

    /// Checks `done` until it holds (true) or `timeout` passes (false), e.g.
    /// `receiver.wait_for(|r| r.spans().len() >= 10, Duration::from_secs(15))`.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&OtlpReceiver) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .expect("the receiver's store is not poisoned")
    }

    /// Serves `listener` on a new runtime, which [`Self::stop`] shuts down
    /// with every connection task.
    fn serve(&mut self, listener: TcpListener) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-receiver")
            .enable_all()
            .build()
            .expect("build the receiver's tokio runtime");
        let mut server = Server::builder();
        if let Some(tls) = &self.tls {
            server = server
                .tls_config(tls.server_config())
                .expect("the receiver's TLS configuration is valid");
        }
        let router = server.add_routes(Collector::new(self.store.clone()).routes());
        let incoming = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .expect("hand the receiver's listener to tokio")
        };
        // TCP_NODELAY, as the OpenTelemetry Collector (Go) sets on every
        // connection: without it, Nagle's algorithm holds back the end of a
        // response until the client's delayed ACK.
        let incoming =
            tonic::transport::server::TcpIncoming::from(incoming).with_nodelay(Some(true));
        let port = self.port;
        runtime.spawn(async move {
            if let Err(e) = router.serve_with_incoming(incoming).await {
                eprintln!("OTLP receiver on port {port} failed: {e}");
            }
        });
        self.server = Some(runtime);
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A non-blocking listener on 127.0.0.1:`port`. std sets SO_REUSEADDR, so a
/// port whose connections were just closed can be bound again at once.
fn bind(port: u16) -> TcpListener {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .unwrap_or_else(|e| panic!("the OTLP receiver cannot listen on 127.0.0.1:{port}: {e}"));
    listener
        .set_nonblocking(true)
        .expect("make the receiver's listener non-blocking");
    listener
}
