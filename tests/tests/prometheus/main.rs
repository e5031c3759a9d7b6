//! Issue 5's Prometheus acceptance: a real Prometheus server (Debian's
//! package) scrapes the agent's `/metrics` every second while the Django
//! test app under gunicorn takes a steady load, and its HTTP API answers
//! the RED queries a dashboard would make with what the client drove.
//!
//! Prometheus asks for OpenMetrics first (its default `Accept`), so this is
//! the OpenMetrics exposition as Prometheus parses it; the classic text
//! format goes through `promtool check metrics`.
//!
//! # Choices where the issue is silent
//!
//! - `sum(rate(X[1m]))` is the average rate over the last minute: the load
//!   lasts [`LOAD_TIME`], so it is compared with the client's count over
//!   that minute (total / 60 s). The rate the client drove is compared with
//!   `rate(X[10s])` evaluated inside the load, where the window is all load.
//! - The agent observes every server on the host, Prometheus' API included:
//!   the unfiltered sum may only exceed the client's rate; the app's own
//!   series (its `server_port`) must match it, and its count exactly.
//! - `target_info` carries the agent's resource as labels (`service_name`
//!   = `sonde`, `service_instance_id` = `host:pid`, ...); Prometheus adds
//!   `job` and `instance`, on which it joins with the other series.

mod load;

use std::{
    os::unix::process::ExitStatusExt,
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant, SystemTime},
};

use sonde_tests::{
    agent::agent_lock,
    django::{Server, ServerKind},
    http,
    prometheus::{Prometheus, SELF_JOB},
    Agent,
};

/// The scrape job of the agent.
const JOB: &str = "sonde";
/// Requests per second the client sends.
const LOAD_RATE: f64 = 300.0;
const LOAD_TIME: Duration = Duration::from_secs(20);
const LOAD_THREADS: usize = 4;
/// The window of the rate compared with the client's.
const RATE_WINDOW: Duration = Duration::from_secs(10);
/// How far the measured rates may be from the client's.
const RATE_FACTOR: (f64, f64) = (0.5, 1.5);
/// What the agent's `OTEL_RESOURCE_ATTRIBUTES` holds: a percent-encoded
/// value and a malformed entry, which is left out with a warning.
const RESOURCE_ATTRIBUTES: &str = "deployment.environment=ci%20run,malformed";
/// How long Prometheus may take to catch up with the agent's counts.
const INGEST_TIMEOUT: Duration = Duration::from_secs(15);

#[test]
fn prometheus_scrapes_the_agent_and_answers_red_queries() {
    let lock = agent_lock();
    let server = Server::start(ServerKind::GunicornGthread, None);
    let mut agent = start_agent_with_resource_attributes(lock);
    let prometheus = Prometheus::start(&[(JOB, agent.listen())]);
    let target = prometheus.wait_until_up(JOB, Duration::from_secs(15));
    assert_eq!(
        target.scrape_url,
        format!("http://{}/metrics", agent.listen())
    );

    let load = load::steady(&server, LOAD_RATE, LOAD_TIME, LOAD_THREADS);
    eprintln!(
        "client: {} requests in {:?}, {:.1}/s",
        load.total(),
        load.ended.duration_since(load.started).unwrap_or_default(),
        load.rate()
    );

    let shop = format!(
        "http_server_request_duration_seconds_count{{job=\"{JOB}\",service_name=\"shop\",server_port=\"{}\"}}",
        server.port()
    );
    wait_for_exact_count(&prometheus, &shop, load.total());
    check_target(&prometheus);
    check_rates(&prometheus, &shop, &load);
    check_p99(&prometheus);
    check_target_info(&prometheus, &agent);
    check_scrapes(&prometheus);
    check_openmetrics_was_parsed(&prometheus);
    check_classic_text(&agent);

    let stopped = agent.stop();
    assert!(
        stopped.status.success() && !stopped.stderr.contains("panicked"),
        "the agent exited with {} (signal {:?}); stderr:\n{}",
        stopped.status,
        stopped.status.signal(),
        stopped.stderr
    );
    assert!(
        stopped.stderr.contains("OTEL_RESOURCE_ATTRIBUTES"),
        "the malformed OTEL_RESOURCE_ATTRIBUTES entry was not warned about; stderr:\n{}",
        stopped.stderr
    );
}

/// `sonde run` with [`RESOURCE_ATTRIBUTES`] in its environment (and no
/// `OTEL_SERVICE_NAME`). The harness passes the test's environment on, so
/// the variable is set only while the agent starts; this binary has one
/// test, so no other thread reads the environment meanwhile.
fn start_agent_with_resource_attributes(lock: std::sync::MutexGuard<'static, ()>) -> Agent {
    std::env::set_var("OTEL_RESOURCE_ATTRIBUTES", RESOURCE_ATTRIBUTES);
    std::env::remove_var("OTEL_SERVICE_NAME");
    let agent = Agent::start_locked(lock, &[]);
    std::env::remove_var("OTEL_RESOURCE_ATTRIBUTES");
    agent
}

/// Waits until Prometheus' latest sample of `series` sums to exactly what
/// the client sent: every request counted once, and nothing lost between
/// the agent and Prometheus.
fn wait_for_exact_count(prometheus: &Prometheus, series: &str, expected: usize) {
    let expr = format!("sum({series})");
    let deadline = Instant::now() + INGEST_TIMEOUT;
    loop {
        let got = prometheus.query(&expr, None);
        let value = got.first().map(|s| s.value);
        if value == Some(expected as f64) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{expr} is {value:?} after {INGEST_TIMEOUT:?}, the client sent {expected} requests"
        );
        thread::sleep(Duration::from_millis(250));
    }
}

/// The agent's target is up, with no error, and has been at every scrape.
fn check_target(prometheus: &Prometheus) {
    let target = prometheus.target(JOB);
    assert_eq!(target.health, "up", "{target:?}");
    assert_eq!(target.last_error, "", "{target:?}");
    let up = prometheus.query_one(&format!("up{{job=\"{JOB}\"}}"));
    assert_eq!(up.value, 1.0, "{up:?}");
    let always_up = prometheus.query_one(&format!("min_over_time(up{{job=\"{JOB}\"}}[1m])"));
    assert_eq!(
        always_up.value, 1.0,
        "a scrape of the agent failed: {always_up:?}"
    );
}

/// `sum(rate(..._count[1m]))` and a rate inside the load, against the client.
fn check_rates(prometheus: &Prometheus, shop: &str, load: &load::Load) {
    let now = SystemTime::now();
    // Everything the client sent was within the last minute.
    let expected = load.total() as f64 / 60.0;
    let expr = "sum(rate(http_server_request_duration_seconds_count[1m]))";
    let all = prometheus.query(expr, Some(now));
    assert_eq!(all.len(), 1, "{expr}: {all:?}");
    // Every server on the host counts here (Prometheus' own API too), so
    // only the lower bound holds; the app's own series must match.
    let (low, _) = RATE_FACTOR;
    assert!(
        all[0].value.is_finite() && all[0].value >= expected * low,
        "{expr} = {}, expected at least {low}x of the client's {expected:.2}/s",
        all[0].value
    );
    let expr = format!("sum(rate({shop}[1m]))");
    let minute = prometheus.query(&expr, Some(now));
    assert_eq!(minute.len(), 1, "{expr}: {minute:?}");
    within(&expr, minute[0].value, expected);

    // One second before the end, so that the whole window is load.
    let at = load.ended - Duration::from_secs(1);
    let window = RATE_WINDOW.as_secs();
    let expr = format!("sum(rate({shop}[{window}s]))");
    let during = prometheus.query(&expr, Some(at));
    assert_eq!(during.len(), 1, "{expr}: {during:?}");
    within(&expr, during[0].value, load.rate_within(at, RATE_WINDOW));
    eprintln!(
        "rate[1m] {:.2}/s, the app's {:.2}/s (client {expected:.2}/s over the minute); \
         rate[{window}s] {:.1}/s (client {:.1}/s)",
        all[0].value,
        minute[0].value,
        during[0].value,
        load.rate_within(at, RATE_WINDOW)
    );
}

fn within(what: &str, got: f64, expected: f64) {
    let (low, high) = RATE_FACTOR;
    assert!(
        got.is_finite() && got >= expected * low && got <= expected * high,
        "{what} = {got}, expected {low}x to {high}x of the client's {expected:.2}/s"
    );
}

/// The p99 of the request durations: a finite, positive number of seconds.
fn check_p99(prometheus: &Prometheus) {
    let expr = "histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[1m])))";
    let p99 = prometheus.query(expr, None);
    assert_eq!(p99.len(), 1, "{expr}: {p99:?}");
    let seconds = p99[0].value;
    assert!(
        seconds.is_finite() && seconds > 0.0 && seconds < 5.0,
        "{expr} = {seconds}"
    );
    eprintln!("p99 {:.1} ms", seconds * 1e3);
}

/// `target_info` names the agent, and joins with its series on job and
/// instance.
fn check_target_info(prometheus: &Prometheus, agent: &Agent) {
    let info = prometheus.query_one(&format!("target_info{{job=\"{JOB}\"}}"));
    assert_eq!(info.value, 1.0, "{info:?}");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("read the host name")
        .trim()
        .to_owned();
    let pid = agent.pid().to_string();
    let instance = agent.listen().to_string();
    let expected = [
        ("job", JOB),
        ("instance", instance.as_str()),
        ("service_name", "sonde"),
        ("service_version", env!("CARGO_PKG_VERSION")),
        ("service_instance_id", &format!("{host}:{pid}")),
        ("host_name", &host),
        ("process_pid", &pid),
        ("process_executable_name", "sonde"),
        ("deployment_environment", "ci run"),
    ];
    for (label, value) in expected {
        assert_eq!(
            info.labels.get(label).map(String::as_str),
            Some(value),
            "target_info label {label}: {info:?}"
        );
    }
    assert!(
        !info.labels.keys().any(|k| k.contains("malformed")),
        "{info:?}"
    );
    let joined = prometheus.query(
        "sum by (service_version) (http_server_request_duration_seconds_count \
         * on (job, instance) group_left (service_version) target_info)",
        None,
    );
    assert_eq!(joined.len(), 1, "{joined:?}");
    assert_eq!(
        joined[0].labels.get("service_version").map(String::as_str),
        Some(env!("CARGO_PKG_VERSION"))
    );
}

/// Prometheus' own counters of rejected samples stay at 0, and the agent's
/// scrapes carried samples.
fn check_scrapes(prometheus: &Prometheus) {
    for counter in [
        "prometheus_target_scrapes_sample_out_of_order_total",
        "prometheus_target_scrapes_sample_duplicate_timestamp_total",
        "prometheus_target_scrapes_sample_out_of_bounds_total",
        "prometheus_target_scrapes_exceeded_sample_limit_total",
        "prometheus_target_scrapes_exceeded_body_size_limit_total",
    ] {
        let sample = prometheus.query_one(&format!("{counter}{{job=\"{SELF_JOB}\"}}"));
        assert_eq!(sample.value, 0.0, "{counter}: {sample:?}");
    }
    let scraped = prometheus.query_one(&format!("scrape_samples_scraped{{job=\"{JOB}\"}}"));
    assert!(scraped.value > 0.0, "{scraped:?}");
}

/// Prometheus read the OpenMetrics exposition: only OpenMetrics carries a
/// unit, and only OpenMetrics has the `info` type.
fn check_openmetrics_was_parsed(prometheus: &Prometheus) {
    let histogram = prometheus.metadata(JOB, "http_server_request_duration_seconds");
    assert_eq!(
        histogram,
        Some(("histogram".to_owned(), "seconds".to_owned())),
        "metadata of http_server_request_duration_seconds"
    );
    let target = prometheus.metadata(JOB, "target");
    assert_eq!(
        target.map(|(kind, _)| kind).as_deref(),
        Some("info"),
        "metadata of target"
    );
}

/// The classic text format (what a client that does not ask for OpenMetrics
/// gets) passes `promtool check metrics`.
fn check_classic_text(agent: &Agent) {
    let response = http::get(agent.listen(), "/metrics", Duration::from_secs(10))
        .expect("GET /metrics on the agent");
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        response.headers
    );
    assert!(response.body.contains("# TYPE target_info gauge\n"));
    let mut promtool = Command::new("/usr/bin/promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run /usr/bin/promtool (Debian's prometheus package)");
    {
        use std::io::Write;
        let mut stdin = promtool.stdin.take().expect("piped stdin");
        stdin
            .write_all(response.body.as_bytes())
            .expect("write to promtool");
    }
    let output = promtool.wait_with_output().expect("wait for promtool");
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
