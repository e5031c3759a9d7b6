//! End-to-end tests over real sockets on 127.0.0.1, with raw HTTP/1.1.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;
use crate::telemetry::{KernelCounterSource, KernelCounters, OPENMETRICS_TEXT, PROMETHEUS_TEXT};

struct IdleKernel;

impl KernelCounterSource for IdleKernel {
    fn read(&self) -> Result<KernelCounters, String> {
        Ok(KernelCounters::default())
    }
}

/// A running server and the handles a test needs to drive it.
struct Running {
    addr: SocketAddr,
    ready: Arc<AtomicBool>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServerError>>,
}

async fn start() -> Running {
    let listener = bind("127.0.0.1:0".parse().expect("literal address"))
        .await
        .expect("bind an ephemeral port");
    let addr = listener.local_addr().expect("bound address");
    let ready = Arc::new(AtomicBool::new(false));
    let state = ServerState {
        metrics: Arc::new(AgentMetrics::new(Box::new(IdleKernel))),
        ready: Arc::clone(&ready),
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        ready,
        stop,
        task,
    }
}

/// A parsed response: status code, header block (lower-cased), body.
struct Reply {
    status: u16,
    headers: String,
    body: String,
}

async fn request(addr: SocketAddr, method: &str, path: &str, accept: Option<&str>) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    let head =
        format!("{method} {path} HTTP/1.1\r\nHost: test\r\n{accept}Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut raw = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut raw))
        .await
        .expect("response within 5 s")
        .expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("header/body separator");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    Reply {
        status,
        headers: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, None).await
}

#[tokio::test]
async fn healthz_says_ok() {
    let server = start().await;
    let reply = get(server.addr, "/healthz").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
}

#[tokio::test]
async fn readyz_flips_from_starting_to_ready() {
    let server = start().await;
    let reply = get(server.addr, "/readyz").await;
    assert_eq!((reply.status, reply.body.as_str()), (503, "starting"));
    server.ready.store(true, Ordering::Release);
    let reply = get(server.addr, "/readyz").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ready"));
}

#[tokio::test]
async fn metrics_default_to_the_classic_text_format() {
    let server = start().await;
    let reply = get(server.addr, "/metrics").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .headers
            .contains(&format!("content-type: {PROMETHEUS_TEXT}")),
        "{}",
        reply.headers
    );
    assert!(
        reply
            .body
            .contains("# TYPE sonde_events_seen_total counter\n"),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("# EOF"));
}

#[tokio::test]
async fn metrics_negotiate_openmetrics() {
    let server = start().await;
    let prometheus_accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    for accept in [
        "application/openmetrics-text; version=1.0.0",
        prometheus_accept,
    ] {
        let reply = request(server.addr, "GET", "/metrics", Some(accept)).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply
                .headers
                .contains(&format!("content-type: {OPENMETRICS_TEXT}")),
            "{}",
            reply.headers
        );
        assert!(reply.body.ends_with("# EOF\n"), "{}", reply.body);
    }
    let reply = request(server.addr, "GET", "/metrics", Some("text/plain")).await;
    assert!(
        reply
            .headers
            .contains(&format!("content-type: {PROMETHEUS_TEXT}")),
        "{}",
        reply.headers
    );
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let server = start().await;
    for path in ["/", "/metric", "/healthz/x", "/debug/pprof"] {
        let reply = get(server.addr, path).await;
        assert_eq!(reply.status, 404, "{path}");
    }
    // A known path with the wrong method says so rather than 404.
    let reply = request(server.addr, "POST", "/metrics", None).await;
    assert_eq!(reply.status, 405);
}

#[tokio::test]
async fn shutdown_returns_promptly_with_idle_connections_open() {
    let server = start().await;
    // One connection that never sends a request, one kept alive after a request.
    let _silent = TcpStream::connect(server.addr).await.expect("connect");
    let mut kept = TcpStream::connect(server.addr).await.expect("connect");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("send");
    let mut buf = [0u8; 512];
    let n = kept.read(&mut buf).await.expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));

    let started = Instant::now();
    server.stop.send(()).expect("server still running");
    let result = tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_secs(2), server.task)
        .await
        .expect("serve returned within the grace period")
        .expect("serve task did not panic");
    assert!(result.is_ok(), "{result:?}");
    // Idle connections are closed at once, well before the grace ends.
    assert!(
        started.elapsed() < SHUTDOWN_GRACE / 2,
        "took {:?}",
        started.elapsed()
    );
    // The port is released.
    assert!(TcpStream::connect(server.addr).await.is_err());
}

#[tokio::test]
async fn a_stuck_client_cannot_hold_shutdown_past_the_grace() {
    let server = start().await;
    // A request whose head never ends keeps its connection busy.
    let mut stuck = TcpStream::connect(server.addr).await.expect("connect");
    stuck
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: te")
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(50)).await;

    let started = Instant::now();
    server.stop.send(()).expect("server still running");
    let result = tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_secs(2), server.task)
        .await
        .expect("serve returned within the grace period")
        .expect("serve task did not panic");
    assert!(result.is_ok(), "{result:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= SHUTDOWN_GRACE && elapsed < SHUTDOWN_GRACE + Duration::from_secs(1),
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn binding_a_busy_port_says_so() {
    let taken = bind("127.0.0.1:0".parse().expect("literal address"))
        .await
        .expect("bind an ephemeral port");
    let addr = taken.local_addr().expect("bound address");
    let error = bind(addr).await.expect_err("port is taken");
    assert_eq!(
        error.to_string(),
        format!("cannot listen on {addr}: address in use")
    );
}
