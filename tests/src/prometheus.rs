//! A real Prometheus server (Debian's `prometheus` package) on a free loopback
//! port, scraping the targets it is given every second, and its HTTP API
//! (`/api/v1/query`, `/api/v1/targets`, `/api/v1/targets/metadata`) read
//! with serde_json. It also scrapes itself (job [`SELF_JOB`]), so that its
//! own counters of scrape problems can be queried.
//!
//! A missing binary fails the test with what to install, never skips it.

use std::{
    collections::BTreeMap,
    fs::File,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde_json::Value;

use crate::{agent::free_port, http, paths::TempDir};

/// Where Debian's package installs the server.
pub const PROMETHEUS_BIN: &str = "/usr/bin/prometheus";
/// The job under which Prometheus scrapes its own /metrics.
pub const SELF_JOB: &str = "prometheus";
/// How often every target is scraped.
pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(1);
/// How long Prometheus may take to answer 200 on `/-/ready`.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one API call may take.
const API_TIMEOUT: Duration = Duration::from_secs(10);

/// One element of an instant vector: its labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One active target, as `/api/v1/targets` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The target's labels after relabelling (`job`, `instance`).
    pub labels: BTreeMap<String, String>,
    pub scrape_url: String,
    /// `up`, `down` or `unknown` (not scraped yet).
    pub health: String,
    /// Empty after a successful scrape.
    pub last_error: String,
}

/// A running Prometheus. Killed on drop if still running.
#[derive(Debug)]
pub struct Prometheus {
    child: Option<Child>,
    addr: SocketAddr,
    log: PathBuf,
    _dir: TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `/metrics` of each `(job, address)` every
    /// [`SCRAPE_INTERVAL`] (and itself as [`SELF_JOB`]), with a fresh storage
    /// directory, and waits until `/-/ready` answers 200. Panics, with the
    /// server's log, when the binary is missing or the server does not come up.
    pub fn start(jobs: &[(&str, SocketAddr)]) -> Prometheus {
        let bin = Path::new(PROMETHEUS_BIN);
        assert!(
            bin.is_file(),
            "{PROMETHEUS_BIN} is missing: install Debian's `prometheus` package \
             (`apt-get install prometheus`; .ci/run does)"
        );
        let dir = TempDir::new("sonde-prometheus");
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, config_text(addr, jobs))
            .unwrap_or_else(|e| panic!("write {}: {e}", config.display()));
        let storage = dir.path().join("data");
        let log = dir.path().join("prometheus.log");
        let output = File::create(&log).expect("create Prometheus' log file");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", storage.display()))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("dup the log file"))
            .stderr(output)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {PROMETHEUS_BIN}: {e}"));
        let mut prometheus = Prometheus {
            child: Some(child),
            addr,
            log,
            _dir: dir,
        };
        prometheus.wait_ready();
        prometheus
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("waitpid on Prometheus"))
            {
                panic!(
                    "Prometheus exited with {status} before it was ready; its log:\n{}",
                    self.log_tail()
                );
            }
            let last = match http::get(self.addr, "/-/ready", API_TIMEOUT) {
                Ok(response) if response.status == 200 => return,
                Ok(response) => format!("/-/ready answered {}", response.status),
                Err(e) => format!("/-/ready: {e}"),
            };
            assert!(
                Instant::now() < deadline,
                "Prometheus not ready after {READY_TIMEOUT:?} ({last}); its log:\n{}",
                self.log_tail()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The address of its web UI and API.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The last lines of what Prometheus logged, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// `GET path_and_query` on the API: the `data` of a `"status": "success"`
    /// answer. Panics on anything else, with the answer.
    pub fn api(&self, path_and_query: &str) -> Value {
        let response = http::get(self.addr, path_and_query, API_TIMEOUT)
            .unwrap_or_else(|e| panic!("GET {path_and_query} on Prometheus: {e}"));
        let answer: Value = serde_json::from_str(&response.body).unwrap_or_else(|e| {
            panic!(
                "GET {path_and_query} on Prometheus answered {} with no JSON ({e}): {}",
                response.status, response.body
            )
        });
        assert!(
            response.status == 200 && answer["status"] == "success",
            "GET {path_and_query} on Prometheus answered {}: {answer}",
            response.status
        );
        answer["data"].clone()
    }

    /// Evaluates the PromQL `expr` at `at` (now when `None`); the query must
    /// give an instant vector, whose elements are returned.
    pub fn query(&self, expr: &str, at: Option<SystemTime>) -> Vec<Sample> {
        let mut path = format!("/api/v1/query?query={}", url_encode(expr));
        if let Some(at) = at {
            let seconds = at
                .duration_since(UNIX_EPOCH)
                .expect("a time after 1970")
                .as_secs_f64();
            path.push_str(&format!("&time={seconds:.3}"));
        }
        let data = self.api(&path);
        assert_eq!(
            data["resultType"], "vector",
            "{expr} is not an instant vector: {data}"
        );
        data["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{expr}: no result array in {data}"))
            .iter()
            .map(|element| sample(expr, element))
            .collect()
    }

    /// The one value of `expr` (evaluated now); panics when the vector does
    /// not have exactly one element.
    pub fn query_one(&self, expr: &str) -> Sample {
        let samples = self.query(expr, None);
        assert_eq!(
            samples.len(),
            1,
            "{expr}: expected one element, got {samples:?}"
        );
        samples.into_iter().next().expect("one element")
    }

    /// The active targets.
    pub fn targets(&self) -> Vec<Target> {
        let data = self.api("/api/v1/targets?state=active");
        data["activeTargets"]
            .as_array()
            .unwrap_or_else(|| panic!("no activeTargets in {data}"))
            .iter()
            .map(|target| Target {
                labels: string_map(&target["labels"]),
                scrape_url: text(&target["scrapeUrl"]),
                health: text(&target["health"]),
                last_error: text(&target["lastError"]),
            })
            .collect()
    }

    /// The active target of `job`; panics unless there is exactly one.
    pub fn target(&self, job: &str) -> Target {
        let targets: Vec<Target> = self
            .targets()
            .into_iter()
            .filter(|t| t.labels.get("job").map(String::as_str) == Some(job))
            .collect();
        assert_eq!(
            targets.len(),
            1,
            "expected one target of job {job}: {targets:?}"
        );
        targets.into_iter().next().expect("one target")
    }

    /// Waits until the target of `job` is known (service discovery runs
    /// after readiness) and has been scraped successfully; panics with its
    /// last error (and Prometheus' log) after `timeout`.
    pub fn wait_until_up(&self, job: &str, timeout: Duration) -> Target {
        let deadline = Instant::now() + timeout;
        loop {
            let targets = self.targets();
            let target = targets
                .iter()
                .find(|t| t.labels.get("job").map(String::as_str) == Some(job));
            if let Some(target) = target.filter(|t| t.health == "up") {
                return target.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the {job} target is not up after {timeout:?}: {target:?}; Prometheus' log:\n{}",
                self.log_tail()
            );
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// What the targets of `job` last said about `metric`: `(type, unit)`
    /// as Prometheus parsed them (a unit is only carried by OpenMetrics).
    pub fn metadata(&self, job: &str, metric: &str) -> Option<(String, String)> {
        let selector = url_encode(&format!("{{job=\"{job}\"}}"));
        let data = self.api(&format!(
            "/api/v1/targets/metadata?match_target={selector}&metric={}",
            url_encode(metric)
        ));
        let entry = data.as_array()?.first()?;
        Some((text(&entry["type"]), text(&entry["unit"])))
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The configuration: every target scraped at [`SCRAPE_INTERVAL`], itself
/// included.
fn config_text(addr: SocketAddr, jobs: &[(&str, SocketAddr)]) -> String {
    let seconds = SCRAPE_INTERVAL.as_secs();
    let mut text = format!(
        "global:\n  scrape_interval: {seconds}s\n  scrape_timeout: {seconds}s\n\
         scrape_configs:\n  - job_name: {SELF_JOB}\n    static_configs:\n      - targets: ['{addr}']\n"
    );
    for (job, target) in jobs {
        text.push_str(&format!(
            "  - job_name: '{job}'\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['{target}']\n"
        ));
    }
    text
}

/// One element of a `vector` result: `{"metric": {...}, "value": [t, "v"]}`.
fn sample(expr: &str, element: &Value) -> Sample {
    let value = element["value"][1]
        .as_str()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{expr}: an element without a value: {element}"));
    Sample {
        labels: string_map(&element["metric"]),
        value,
    }
}

fn string_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|object| object.iter().map(|(k, v)| (k.clone(), text(v))).collect())
        .unwrap_or_default()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// Percent-encodes everything but unreserved characters, for a query string.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_encoded() {
        assert_eq!(
            url_encode("sum(rate(x{a=\"b c\"}[1m]))"),
            "sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B1m%5D%29%29"
        );
    }

    #[test]
    fn the_config_scrapes_every_job_and_itself() {
        let me = SocketAddr::from(([127, 0, 0, 1], 9090));
        let agent = SocketAddr::from(([127, 0, 0, 1], 9464));
        let text = config_text(me, &[("sonde", agent)]);
        assert!(text.contains("scrape_interval: 1s"), "{text}");
        assert!(text.contains("job_name: prometheus"), "{text}");
        assert!(text.contains("targets: ['127.0.0.1:9090']"), "{text}");
        assert!(text.contains("job_name: 'sonde'"), "{text}");
        assert!(text.contains("targets: ['127.0.0.1:9464']"), "{text}");
    }

    #[test]
    fn vector_elements_parse() {
        let element: Value =
            serde_json::from_str(r#"{"metric":{"job":"sonde"},"value":[1700000000.5,"0.25"]}"#)
                .unwrap();
        let parsed = sample("x", &element);
        assert_eq!(parsed.value, 0.25);
        assert_eq!(parsed.labels.get("job").map(String::as_str), Some("sonde"));
        let nan: Value = serde_json::from_str(r#"{"metric":{},"value":[1,"NaN"]}"#).unwrap();
        assert!(sample("x", &nan).value.is_nan());
    }
}
