//! The HTTP RED histograms on `/metrics`: `http_server_request_duration_seconds`
//! and `http_client_request_duration_seconds` (`_bucket`, `_count`, `_sum`),
//! read per series and checked for shape on the way in (see [`histograms`]).

use std::{
    collections::BTreeMap,
    fmt,
    time::{Duration, Instant},
};

use crate::{
    agent::Agent,
    client::RouteKey,
    metrics::{self, Sample},
};

pub const SERVER_DURATION: &str = "http_server_request_duration_seconds";
pub const CLIENT_DURATION: &str = "http_client_request_duration_seconds";

/// The OpenTelemetry semantic-convention default bucket bounds for HTTP
/// durations, in seconds (+Inf comes after).
pub const DEFAULT_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Labels every series carries (but `server_port` on a series of requests
/// over a Unix socket, which has no port).
pub const LABELS: [&str; 5] = [
    "http_request_method",
    "http_route",
    "http_response_status_code",
    "service_name",
    "server_port",
];

/// One histogram series (all labels but `le`).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub labels: BTreeMap<String, String>,
    /// Cumulative counts per upper bound, +Inf last.
    pub buckets: Vec<(f64, f64)>,
    pub count: f64,
    pub sum: f64,
}

impl Histogram {
    pub fn label(&self, name: &str) -> &str {
        self.labels
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// (route, method, status); status 0 when the label is not a number.
    pub fn key(&self) -> RouteKey {
        (
            self.label("http_route").to_owned(),
            self.label("http_request_method").to_owned(),
            self.label("http_response_status_code").parse().unwrap_or(0),
        )
    }

    /// The cumulative count of observations ≤ `bound` seconds.
    pub fn at_most(&self, bound: f64) -> Option<f64> {
        self.buckets
            .iter()
            .find(|(le, _)| (le - bound).abs() < 1e-9)
            .map(|(_, n)| *n)
    }
}

fn without_le(sample: &Sample) -> BTreeMap<String, String> {
    let mut labels = sample.labels.clone();
    labels.remove("le");
    labels
}

/// Which series of a histogram to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector<'a> {
    /// Those whose `server_port` label is this port.
    Port(u16),
    /// Those of this `service_name` without a `server_port` label: requests
    /// over a Unix socket.
    NoPort { service: &'a str },
}

impl Selector<'_> {
    fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
        let port = labels.get("server_port");
        match self {
            Selector::Port(want) => port.is_some_and(|p| *p == want.to_string()),
            Selector::NoPort { service } => {
                port.is_none() && labels.get("service_name").map(String::as_str) == Some(*service)
            }
        }
    }

    /// The labels every selected series must carry.
    fn required(&self) -> &'static [&'static str] {
        match self {
            Selector::Port(_) => &LABELS,
            Selector::NoPort { .. } => &LABELS[..4],
        }
    }
}

impl fmt::Display for Selector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Port(port) => write!(f, "{{server_port=\"{port}\"}}"),
            Selector::NoPort { service } => {
                write!(f, "{{service_name=\"{service}\"}} without server_port")
            }
        }
    }
}

/// The series of histogram `base` (e.g. [`SERVER_DURATION`]) whose
/// `server_port` label is `port`. Panics, naming the series, when one breaks
/// the contract: a missing label, bounds other than [`DEFAULT_BOUNDS`] and
/// +Inf, decreasing buckets, +Inf ≠ `_count`, or a missing or negative `_sum`.
pub fn histograms(text: &str, base: &str, port: u16) -> Vec<Histogram> {
    select(text, base, Selector::Port(port))
}

/// The series of histogram `base` that `selector` selects, checked as in
/// [`histograms`].
pub fn select(text: &str, base: &str, selector: Selector<'_>) -> Vec<Histogram> {
    let samples = metrics::parse(text).unwrap_or_else(|e| panic!("/metrics: {e}"));
    let bucket_name = format!("{base}_bucket");
    let count_name = format!("{base}_count");
    let sum_name = format!("{base}_sum");
    let mut series: BTreeMap<Vec<(String, String)>, Histogram> = BTreeMap::new();
    for sample in &samples {
        let is_ours = [&bucket_name, &count_name, &sum_name].contains(&&sample.name);
        if !is_ours || !selector.selects(&sample.labels) {
            continue;
        }
        let labels = without_le(sample);
        let key: Vec<(String, String)> = labels.clone().into_iter().collect();
        let h = series.entry(key).or_insert_with(|| Histogram {
            labels,
            buckets: Vec::new(),
            count: f64::NAN,
            sum: f64::NAN,
        });
        if sample.name == bucket_name {
            let le = sample
                .labels
                .get("le")
                .unwrap_or_else(|| panic!("a {bucket_name} sample without le: {sample:?}"));
            let bound = match le.as_str() {
                "+Inf" | "Inf" => f64::INFINITY,
                other => other
                    .parse()
                    .unwrap_or_else(|e| panic!("{bucket_name} le={other:?}: {e}")),
            };
            h.buckets.push((bound, sample.value));
        } else if sample.name == count_name {
            h.count = sample.value;
        } else {
            h.sum = sample.value;
        }
    }
    let mut out: Vec<Histogram> = series.into_values().collect();
    for h in &mut out {
        h.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        let missing: Vec<&str> = selector
            .required()
            .iter()
            .copied()
            .filter(|l| h.label(l).is_empty())
            .collect();
        assert!(
            missing.is_empty(),
            "{base} series without {missing:?}: {h:?}"
        );
        let bounds: Vec<f64> = h.buckets.iter().map(|(le, _)| *le).collect();
        let mut expected = DEFAULT_BOUNDS.to_vec();
        expected.push(f64::INFINITY);
        assert!(
            bounds.len() == expected.len()
                && bounds.iter().zip(&expected).all(|(a, b)| a == b || (a - b).abs() < 1e-9),
            "{base} buckets are {bounds:?}, expected the semantic-convention defaults {expected:?}: {:?}",
            h.labels
        );
        assert!(
            h.buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{base} buckets decrease: {h:?}"
        );
        assert!(
            h.count.is_finite() && h.buckets.last().map(|b| b.1) == Some(h.count),
            "{base}_count is {} but the +Inf bucket is {:?}: {:?}",
            h.count,
            h.buckets.last(),
            h.labels
        );
        assert!(
            h.sum.is_finite() && h.sum >= 0.0,
            "{base}_sum is {} (seconds, ≥ 0 expected): {:?}",
            h.sum,
            h.labels
        );
    }
    out
}

/// `_count` per (route, method, status), summed over the other labels.
pub fn counts(histograms: &[Histogram]) -> BTreeMap<RouteKey, u64> {
    let mut counts = BTreeMap::new();
    for h in histograms {
        *counts.entry(h.key()).or_default() += h.count as u64;
    }
    counts
}

/// Reads the histograms of `base` on `port` until their counts add up to at
/// least `total` (the metrics may lag the spans a little), then returns them.
/// Panics after `timeout` with what was there.
pub fn wait_for_total(
    agent: &Agent,
    base: &str,
    port: u16,
    total: u64,
    timeout: Duration,
) -> Vec<Histogram> {
    wait_for_selected(agent, base, Selector::Port(port), total, timeout)
}

/// [`wait_for_total`] for the series `selector` selects.
pub fn wait_for_selected(
    agent: &Agent,
    base: &str,
    selector: Selector<'_>,
    total: u64,
    timeout: Duration,
) -> Vec<Histogram> {
    let deadline = Instant::now() + timeout;
    loop {
        let text = agent.metrics();
        let found = select(&text, base, selector);
        let sum: u64 = counts(&found).values().sum();
        if sum >= total {
            return found;
        }
        if Instant::now() >= deadline {
            let related: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with("http_") || l.contains("_request_duration"))
                .take(40)
                .collect();
            panic!(
                "expected {base}_count{selector} to add up to {total} within {timeout:?}, \
                 it adds up to {sum}: {:?}\nHTTP series on /metrics (first 40):\n{}",
                counts(&found),
                related.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposition(extra_bucket: bool) -> String {
        let mut text = String::from("# TYPE http_server_request_duration_seconds histogram\n");
        let labels = r#"http_request_method="GET",http_route="/items/{id}",http_response_status_code="200",service_name="shop",server_port="8000""#;
        let counts = [0, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
        for (bound, n) in DEFAULT_BOUNDS.iter().zip(counts) {
            text.push_str(&format!(
                "{SERVER_DURATION}_bucket{{{labels},le=\"{bound}\"}} {n}\n"
            ));
        }
        if extra_bucket {
            text.push_str(&format!(
                "{SERVER_DURATION}_bucket{{{labels},le=\"20\"}} 3\n"
            ));
        }
        text.push_str(&format!(
            "{SERVER_DURATION}_bucket{{{labels},le=\"+Inf\"}} 3\n"
        ));
        text.push_str(&format!("{SERVER_DURATION}_count{{{labels}}} 3\n"));
        text.push_str(&format!("{SERVER_DURATION}_sum{{{labels}}} 0.0712\n"));
        text.push_str(&format!(
            "{SERVER_DURATION}_count{{http_request_method=\"GET\",http_route=\"/\",http_response_status_code=\"200\",service_name=\"x\",server_port=\"9\"}} 5\n"
        ));
        text
    }

    #[test]
    fn reads_one_series_per_label_set() {
        let found = histograms(&exposition(false), SERVER_DURATION, 8000);
        assert_eq!(found.len(), 1);
        let h = &found[0];
        assert_eq!(h.key(), ("/items/{id}".into(), "GET".into(), 200));
        assert_eq!((h.count, h.sum), (3.0, 0.0712));
        assert_eq!(h.at_most(0.01), Some(1.0));
        assert_eq!(h.at_most(0.025), Some(2.0));
        assert_eq!(counts(&found).values().sum::<u64>(), 3);
        assert!(histograms(&exposition(false), SERVER_DURATION, 1).is_empty());
    }

    #[test]
    fn series_without_a_port_are_selected_by_service() {
        let text = exposition(false).replace(",server_port=\"8000\"", "");
        let found = select(&text, SERVER_DURATION, Selector::NoPort { service: "shop" });
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key(), ("/items/{id}".into(), "GET".into(), 200));
        assert!(histograms(&text, SERVER_DURATION, 8000).is_empty());
        // service "x" has a port: not a Unix-socket series.
        assert!(select(&text, SERVER_DURATION, Selector::NoPort { service: "x" }).is_empty());
    }

    #[test]
    #[should_panic(expected = "semantic-convention defaults")]
    fn other_buckets_are_refused() {
        histograms(&exposition(true), SERVER_DURATION, 8000);
    }
}
