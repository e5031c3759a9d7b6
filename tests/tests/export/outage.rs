//! A collector outage under load: the agent keeps running within its
//! memory bound, resumes export by itself when the collector comes back,
//! and every span it produced was either received or counted as dropped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sonde_tests::{
    django::{Server, ServerKind},
    http,
    otlp::{OtlpReceiver, ReceiverOptions},
    Agent,
};

use crate::{dropped, received_ids, settle, wait};

/// How long the collector is down (the figure).
const OUTAGE: Duration = Duration::from_secs(60);
/// How soon export must resume once it is back.
const RESUME_WITHIN: Duration = Duration::from_secs(15);
/// The agent's memory bound (issue 3's RSS goal).
const MAX_RSS_KIB: u64 = 100 * 1024;
/// Spans waiting for export at most: small, so the outage overflows it.
const QUEUE: &str = "2000";

/// Requests /hello about every 5 ms until told to stop.
fn load(server: &Server, stop: Arc<AtomicBool>, sent: Arc<AtomicU64>) -> thread::JoinHandle<()> {
    let addr = server.addr();
    thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if let Ok(response) = http::get(addr, "/hello", Duration::from_secs(5)) {
                assert_eq!(response.status, 200);
                sent.fetch_add(1, Ordering::Relaxed);
            }
            thread::sleep(Duration::from_millis(5));
        }
    })
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_collector_outage_loses_only_what_is_counted() {
    let server = Server::start(ServerKind::GunicornSync, None);
    let mut receiver = OtlpReceiver::start(ReceiverOptions::default());
    let endpoint = receiver.endpoint();
    let agent = Agent::start(&[
        "--otlp-traces-endpoint",
        &endpoint,
        "--otlp-queue-size",
        QUEUE,
    ]);
    let (stop, sent) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let loader = load(&server, stop.clone(), sent.clone());

    assert!(
        wait(Duration::from_secs(20), || !receiver.spans().is_empty()),
        "export works before the outage"
    );
    receiver.stop();
    let down_at = Instant::now();
    let mut max_rss = 0;
    while down_at.elapsed() < OUTAGE {
        thread::sleep(Duration::from_secs(1));
        max_rss = max_rss.max(rss_kib(agent.pid()));
        assert!(rss_kib(agent.pid()) > 0, "the agent is still running");
    }
    let during = sent.load(Ordering::Relaxed);
    let before_restart = receiver.spans().len();
    receiver.restart();
    let back_at = Instant::now();
    let resumed = wait(RESUME_WITHIN, || receiver.spans().len() > before_restart);
    let resumed_after = back_at.elapsed();
    stop.store(true, Ordering::Relaxed);
    loader.join().expect("the load thread");

    assert!(
        resumed,
        "export did not resume within {RESUME_WITHIN:?}; stderr:\n{}",
        agent.stderr()
    );
    assert!(
        max_rss < MAX_RSS_KIB,
        "agent RSS peaked at {max_rss} KiB during the outage (bound {MAX_RSS_KIB} KiB)"
    );
    let printed = settle(&agent);
    let received = received_ids(&receiver);
    assert!(
        received.is_subset(&printed),
        "the receiver got only spans the agent made"
    );
    let lost = dropped(&agent, "spans");
    assert!(
        lost > 0.0,
        "a {OUTAGE:?} outage under load overflows a queue of {QUEUE}"
    );
    assert_eq!(
        received.len() as f64 + lost,
        printed.len() as f64,
        "received + dropped == produced ({during} requests during the outage; resumed after {resumed_after:?})"
    );
    println!(
        "outage: {} spans produced, {} received, {lost} dropped, RSS peak {max_rss} KiB, resumed after {resumed_after:?}",
        printed.len(),
        received.len()
    );
}
