//! The two text formats /metrics serves, and the conversion between them.
//!
//! `prometheus-client` writes OpenMetrics 1.0 only. Prometheus' classic text
//! format (0.0.4) differs in ways that matter to parsers: a counter's `# HELP`
//! and `# TYPE` name the sample (`x_total`), not the family (`x`); `# UNIT`,
//! `# EOF` and the OpenMetrics-only types do not exist. Everything else — the
//! sample lines — is identical, so the classic format is derived from the
//! OpenMetrics text rather than encoded twice.

use std::collections::HashSet;

/// Content type of Prometheus' classic text exposition format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of the OpenMetrics 1.0 text format.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Rewrites an OpenMetrics text exposition into the Prometheus 0.0.4 format.
pub(super) fn to_prometheus_text(openmetrics: &str) -> String {
    // A family's `# HELP` comes before its `# TYPE`, so find the counters first.
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();

    let mut out = String::with_capacity(openmetrics.len() + 16 * counters.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some((keyword, rest)) = descriptor(line) {
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            let tail = if keyword == "TYPE" && tail == "unknown" {
                "untyped"
            } else {
                tail
            };
            out.push_str("# ");
            out.push_str(keyword);
            out.push(' ');
            out.push_str(name);
            if counters.contains(name) {
                out.push_str("_total");
            }
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
    fn counters_are_named_by_their_sample() {
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
                        odd 1\n";
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
