//! The Prometheus / OpenMetrics text format, parsed just enough to read series.

use std::collections::BTreeMap;

/// The `reason` label of `sonde_events_dropped_total`: the kernel could not
/// reserve ring-buffer space, a userspace stage was behind, or stdout could not
/// be written. Sums over drops (see [`sum`]) take every reason.
pub const DROP_REASONS: [&str; 3] = ["ringbuf_full", "channel_full", "output_error"];

/// One sample line: `name{label="value",..} value [timestamp]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    /// Whether every `(label, value)` pair given is on this sample.
    pub fn has_labels(&self, labels: &[(&str, &str)]) -> bool {
        labels
            .iter()
            .all(|(k, v)| self.labels.get(*k).map(String::as_str) == Some(*v))
    }
}

/// Every sample in an exposition; comments and blank lines are skipped.
/// Errors name the line that does not parse.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| parse_line(line).ok_or_else(|| format!("unparsable metrics line {line:?}")))
        .collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let name = line[..name_end].to_owned();
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(after_brace) = rest.strip_prefix('{') {
        let (parsed, remaining) = parse_labels(after_brace)?;
        labels = parsed;
        rest = remaining;
    }
    let value_text = rest.split_whitespace().next()?;
    let value = match value_text {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        other => other.parse().ok()?,
    };
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// Labels up to and including the closing brace; returns them and the rest.
fn parse_labels(mut s: &str) -> Option<(BTreeMap<String, String>, &str)> {
    let mut labels = BTreeMap::new();
    loop {
        s = s.trim_start_matches([' ', ',']);
        if let Some(rest) = s.strip_prefix('}') {
            return Some((labels, rest));
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim().to_owned();
        s = s[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = s.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                other => value.push(other),
            }
        };
        labels.insert(key, value);
        s = &s[end + 1..];
    }
}

/// Samples named `name` that carry all of `labels`.
pub fn matching<'a>(
    samples: &'a [Sample],
    name: &'a str,
    labels: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = &'a Sample> + 'a {
    samples
        .iter()
        .filter(move |s| s.name == name && s.has_labels(labels))
}

/// The value of the one series named `name` with `labels` (others may be on it
/// too); `None` when there is none. Panics when several series match, since the
/// caller then meant [`sum`].
pub fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let samples = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let found: Vec<&Sample> = matching(&samples, name, labels).collect();
    assert!(
        found.len() <= 1,
        "{name}{labels:?} matches {} series, expected at most one: {found:?}",
        found.len()
    );
    found.first().map(|s| s.value)
}

/// The sum over every series named `name` that carries `labels` (0 when none does,
/// as a counter that never moved may not be exported at all).
pub fn sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let samples = parse(text).unwrap_or_else(|e| panic!("{e}"));
    matching(&samples, name, labels).map(|s| s.value).sum()
}

/// Whether any series named `name` with `labels` exists.
pub fn exists(text: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    let samples = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let found = matching(&samples, name, labels).next().is_some();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# HELP sonde_events_seen Events the probes tried to emit.
# TYPE sonde_events_seen counter
sonde_events_seen_total{probe="tcp",event="tcp.close"} 12
sonde_events_dropped_total{probe="tcp",event="tcp.close",reason="ringbuf_full"} 2
sonde_events_dropped_total{event="tcp.close",probe="tcp",reason="channel_full"} 3
sonde_events_dropped_total{probe="tcp",event="tcp.close",reason="output_error"} 4
weird{path="a\"b\\c",x="1"} 1.5e3 1700000000000
process_resident_memory_bytes 12345678
# EOF
"#;

    #[test]
    fn reads_values_and_sums() {
        let seen = value(TEXT, "sonde_events_seen_total", &[("event", "tcp.close")]);
        assert_eq!(seen, Some(12.0));
        assert_eq!(
            sum(
                TEXT,
                "sonde_events_dropped_total",
                &[("event", "tcp.close")]
            ),
            9.0
        );
        assert_eq!(
            sum(
                TEXT,
                "sonde_events_dropped_total",
                &[("event", "tcp.accept")]
            ),
            0.0
        );
        assert_eq!(
            value(TEXT, "process_resident_memory_bytes", &[]),
            Some(12_345_678.0)
        );
        assert_eq!(value(TEXT, "weird", &[("path", "a\"b\\c")]), Some(1500.0));
        assert_eq!(value(TEXT, "absent", &[]), None);
        assert!(exists(TEXT, "sonde_events_seen_total", &[("probe", "tcp")]));
    }

    #[test]
    #[should_panic(expected = "matches 3 series")]
    fn ambiguous_value_panics() {
        value(
            TEXT,
            "sonde_events_dropped_total",
            &[("event", "tcp.close")],
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse("metric{unterminated=\"x} 1").is_err());
        assert!(parse("metric notanumber").is_err());
    }
}
