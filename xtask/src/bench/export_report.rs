//! The export benchmark's summary: medians over the runs of each setting,
//! rendered as the `## Export` section of BENCHMARKS.md (and printed).

use std::fmt::Write as _;

use super::{
    export::{Results, Run},
    report::{self, opt, Goal, Machine, Timing},
    stats,
};

/// The heading of the section this benchmark owns in BENCHMARKS.md.
pub const HEADING: &str = "## Export";
/// Spans per second the exporter should sustain on one core (issue 5).
const GOAL_SPANS_PER_SECOND: f64 = 100_000.0;

/// Medians over the runs of one setting.
#[derive(Debug, Clone, Default, PartialEq)]
struct Summary {
    runs: usize,
    spans_per_second: Option<f64>,
    export_ms_per_1k: Option<f64>,
    process_ms_per_1k: Option<f64>,
    exporter_busy: Option<f64>,
    collector_ms_per_1k: Option<f64>,
    collector_busy: Option<f64>,
    dropped: u64,
}

fn summarize(runs: &[Run], gzip: bool) -> Summary {
    let runs: Vec<&Run> = runs.iter().filter(|run| run.gzip == gzip).collect();
    let median = |f: &dyn Fn(&Run) -> Option<f64>| {
        let values: Vec<f64> = runs.iter().filter_map(|run| f(run)).collect();
        stats::median(&values)
    };
    Summary {
        runs: runs.len(),
        spans_per_second: median(&|r| Some(r.spans_per_second())),
        export_ms_per_1k: median(&|r| Some(r.export_ms_per_1k())),
        process_ms_per_1k: median(&|r| Some(r.process_ms_per_1k())),
        exporter_busy: median(&|r| Some(100.0 * r.exporter_busy())),
        collector_ms_per_1k: median(&Run::collector_ms_per_1k),
        collector_busy: median(&|r| Some(100.0 * r.collector_busy())),
        dropped: runs.iter().map(|run| run.load.dropped_total).sum(),
    }
}

/// The `## Export` section for BENCHMARKS.md.
pub fn render(results: &Results, machine: &Machine, invocation: &str, timing: &Timing) -> String {
    let plan = &results.plan;
    let plain = summarize(&results.runs, false);
    let gzip = summarize(&results.runs, true);
    let mut w = String::new();
    let _ = writeln!(w, "{HEADING}\n");
    let _ = writeln!(
        w,
        "What the OTLP span exporter sustains (issue 5): the agent's own exporter (its queue, \
         the conversion to OTLP, opentelemetry-otlp over tonic, its two senders) fed spans \
         shaped like a Django view's (a server span with 15 attributes and three PostgreSQL \
         client spans with 13, from two processes: two resources) as fast as it exports them, \
         into a collector on loopback.\n"
    );
    report::render_header(&mut w, machine, invocation, timing);
    let _ = writeln!(
        w,
        "- Exporter: `agent/benches/otlp_export`, its export thread pinned to CPU 0: the \
         exporter has one core to itself. The producer of the spans (standing for the rest of \
         the agent) and the collector, `sonde-otlp-sink` (the tests' receiver: tonic serving \
         the official protobuf definitions, each request decoded, then counted and dropped), \
         share CPU 1."
    );
    let _ = writeln!(
        w,
        "- {} runs per setting of {} s measured after a 2 s warm-up, alternating without and \
         with gzip; values are medians over runs. Exporter CPU is the export thread's run time \
         (/proc schedstat) ÷ spans exported; the whole process adds the producer that makes \
         the spans. The collector counted exactly the spans exported in {} of {} runs.\n",
        plan.runs,
        plan.seconds,
        results.runs.iter().filter(|run| run.all_received()).count(),
        results.runs.len(),
    );
    let _ = writeln!(w, "| Measure | No compression | gzip | Goal | |");
    let _ = writeln!(w, "|---|--:|--:|---|---|");
    let goal = Goal::AtLeast(GOAL_SPANS_PER_SECOND);
    let row = |w: &mut String, name: &str, a: Option<f64>, b: Option<f64>, d: usize| {
        let _ = writeln!(w, "| {name} | {} | {} | – | |", opt(a, d), opt(b, d));
    };
    let _ = writeln!(
        w,
        "| Spans/s exported, one core | {} | {} | {} (no compression) | {} |",
        opt(plain.spans_per_second, 0),
        opt(gzip.spans_per_second, 0),
        goal.describe(),
        goal.verdict(plain.spans_per_second),
    );
    row(
        &mut w,
        "Exporter CPU per 1,000 spans (export thread), ms",
        plain.export_ms_per_1k,
        gzip.export_ms_per_1k,
        2,
    );
    row(
        &mut w,
        "Whole process CPU per 1,000 spans (producer included), ms",
        plain.process_ms_per_1k,
        gzip.process_ms_per_1k,
        2,
    );
    row(
        &mut w,
        "Export thread busy, % of its core",
        plain.exporter_busy,
        gzip.exporter_busy,
        0,
    );
    row(
        &mut w,
        "Collector CPU per 1,000 spans, ms",
        plain.collector_ms_per_1k,
        gzip.collector_ms_per_1k,
        2,
    );
    row(
        &mut w,
        "Collector CPU, % of a core (the producer shares that core)",
        plain.collector_busy,
        gzip.collector_busy,
        0,
    );
    let _ = writeln!(
        w,
        "| Spans dropped (all runs) | {} | {} | 0 | {} |",
        plain.dropped,
        gzip.dropped,
        if plain.dropped + gzip.dropped == 0 {
            "met"
        } else {
            "**missed**"
        },
    );
    let _ = writeln!(
        w,
        "\nFor scale: the OpenTelemetry Collector's published figure is about 12,000 spans/s \
         per core. An export thread near 100 % busy means the exporter set the pace; \
         well below, the collector's side did.\n"
    );
    let _ = writeln!(w, "### Runs\n");
    let _ = writeln!(
        w,
        "| # | Compression | Spans/s | Exporter ms / 1k | Process ms / 1k | Collector ms / 1k | Collector busy | Exported (run) | Received | Dropped |"
    );
    let _ = writeln!(w, "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (index, run) in results.runs.iter().enumerate() {
        let _ = writeln!(
            w,
            "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.0} % | {} | {} | {} |",
            index + 1,
            if run.gzip { "gzip" } else { "none" },
            run.spans_per_second(),
            run.export_ms_per_1k(),
            run.process_ms_per_1k(),
            opt(run.collector_ms_per_1k(), 2),
            100.0 * run.collector_busy(),
            run.load.exported_total,
            run.collector.spans,
            run.load.dropped_total,
        );
    }
    w
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::bench::{
        export::{ExportArgs, LoadResult},
        otlp_sink::SinkCounts,
    };

    fn run(gzip: bool, spans: u64, received: u64) -> Run {
        Run {
            gzip,
            load: LoadResult {
                seconds: 10.0,
                spans,
                export_thread_cpu_seconds: 4.0,
                process_cpu_seconds: 5.0,
                exported_total: 1_200_000,
                dropped_total: 0,
            },
            collector: SinkCounts {
                spans: received,
                requests: 100,
                cpu_seconds: 6.0,
            },
            wall_seconds: 12.0,
        }
    }

    #[test]
    fn medians_per_setting_and_the_goal() {
        let results = Results {
            plan: ExportArgs {
                runs: 2,
                seconds: 10,
                no_gzip: false,
                quick: false,
                no_write: false,
            },
            runs: vec![
                run(false, 1_000_000, 1_200_000),
                run(true, 500_000, 1_200_000),
                run(true, 700_000, 1_200_000),
                run(false, 1_400_000, 1_199_000),
            ],
        };
        let timing = Timing::example(Duration::from_secs(75));
        let text = render(
            &results,
            &Machine::example(),
            "cargo xtask bench export",
            &timing,
        );
        assert!(text.starts_with("## Export\n"), "{text}");
        assert!(
            text.contains(
                "| Spans/s exported, one core | 120000 | 60000 | ≥ 100000 (no compression) | met |"
            ),
            "{text}"
        );
        assert!(
            text.contains("exactly the spans exported in 3 of 4 runs"),
            "{text}"
        );
        assert!(text.contains("| 4 | none | 140000 |"), "{text}");
    }
}
