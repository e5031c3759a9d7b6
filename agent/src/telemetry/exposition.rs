//! The two text formats /metrics serves, and the conversion between them.
//!
//! `prometheus-client` writes OpenMetrics 1.0 only. Prometheus' classic text
//! format (0.0.4) differs in ways that matter to parsers: a counter's `# HELP`
//! and `# TYPE` name the sample (`x_total`), not the family (`x`); `# UNIT`,
//! `# EOF` and the OpenMetrics-only types do not exist (an `info` family `x`
//! becomes the gauge `x_info`, as OpenTelemetry's Prometheus compatibility
//! rules say). Everything else — the sample lines — is identical, so the
//! classic format is derived from the OpenMetrics text rather than encoded
//! twice.

use std::collections::HashMap;

/// Content type of Prometheus' classic text exposition format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of the OpenMetrics 1.0 text format.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Rewrites an OpenMetrics text exposition into the Prometheus 0.0.4 format.
pub(super) fn to_prometheus_text(openmetrics: &str) -> String {
    // A family's `# HELP` comes before its `# TYPE`, so find the families
    // whose samples carry a suffix first.
    let suffixes: HashMap<&str, &str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| {
            let (name, kind) = rest.split_once(' ')?;
            match kind {
                "counter" => Some((name, "_total")),
                "info" => Some((name, "_info")),
                _ => None,
            }
        })
        .collect();

    let mut out = String::with_capacity(openmetrics.len() + 16 * suffixes.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some((keyword, rest)) = descriptor(line) {
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            let tail = match (keyword, tail) {
                ("TYPE", "unknown") => "untyped",
                ("TYPE", "info") => "gauge",
                _ => tail,
            };
            out.push_str("# ");
            out.push_str(keyword);
            out.push(' ');
            out.push_str(name);
            out.push_str(suffixes.get(name).copied().unwrap_or_default());
            out.push(' ');
            out.push_str(tail);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Splits a `# HELP ...` or `# TYPE ...` line into its keyword and the rest.
fn descriptor(line: &str) -> Option<(&'static str, &str)> {
    if let Some(rest) = line.strip_prefix("# HELP ") {
        Some(("HELP", rest))
    } else {
        line.strip_prefix("# TYPE ").map(|rest| ("TYPE", rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_infos_are_named_by_their_sample() {
        let om = "# HELP a_events Events seen.\n\
                  # TYPE a_events counter\n\
                  a_events_total{k=\"v\"} 3\n\
                  # HELP mem_bytes Memory.\n\
                  # TYPE mem_bytes gauge\n\
                  # UNIT mem_bytes bytes\n\
                  mem_bytes 42\n\
                  # HELP cpu_seconds CPU.\n\
                  # TYPE cpu_seconds counter\n\
                  # UNIT cpu_seconds seconds\n\
                  cpu_seconds_total 0.5\n\
                  # HELP odd Odd.\n\
                  # TYPE odd unknown\n\
                  odd 1\n\
                  # HELP target Target metadata.\n\
                  # TYPE target info\n\
                  target_info{service_name=\"sonde\"} 1\n\
                  # EOF\n";
        let expected = "# HELP a_events_total Events seen.\n\
                        # TYPE a_events_total counter\n\
                        a_events_total{k=\"v\"} 3\n\
                        # HELP mem_bytes Memory.\n\
                        # TYPE mem_bytes gauge\n\
                        mem_bytes 42\n\
                        # HELP cpu_seconds_total CPU.\n\
                        # TYPE cpu_seconds_total counter\n\
                        cpu_seconds_total 0.5\n\
                        # HELP odd Odd.\n\
                        # TYPE odd untyped\n\
                        odd 1\n\
                        # HELP target_info Target metadata.\n\
                        # TYPE target_info gauge\n\
                        target_info{service_name=\"sonde\"} 1\n";
        assert_eq!(to_prometheus_text(om), expected);
    }

    #[test]
    fn sample_lines_pass_through_untouched() {
        // A label value that looks like a descriptor must not be rewritten.
        let om = "# TYPE x counter\nx_total{v=\"# TYPE x counter\"} 1\n# EOF\n";
        assert_eq!(
            to_prometheus_text(om),
            "# TYPE x_total counter\nx_total{v=\"# TYPE x counter\"} 1\n"
        );
    }
}
