//! `cargo xtask bench export`: the spans per second the agent's OTLP
//! exporter sustains into a collector on loopback with one core, and its
//! CPU time per 1,000 spans (issue 5, "Performance").
//!
//! The collector is the test suite's OTLP receiver (tonic serving the
//! official protobuf definitions, every request decoded) in count-only
//! mode, `sonde-otlp-sink`, pinned to CPU 1. The exporter is the agent's own
//! `Exporter`, driven by agent/benches/otlp_export: its export thread has
//! CPU 0 to itself, and the producer standing for the rest of the agent
//! runs on CPU 1 with the collector. The producer pushes spans shaped like
//! those of a Django view that runs three queries (a server span with 15
//! attributes, three PostgreSQL client spans with 13, the process's
//! attributes on the resource) as fast as they are exported, never
//! dropping any. Runs alternate without and with gzip (A B B A …). Each
//! measures `--seconds` after a 2 s warm-up; the collector's own count of
//! the run's spans must equal what the exporter counted as exported.
//!
//! Results go to stdout and to the `## Export` section of BENCHMARKS.md.

use std::{
    path::{Path, PathBuf},
    process::{ExitCode, Stdio},
};

use anyhow::{bail, Context, Result};
use clap::Args;

use super::{
    export_report, json,
    otlp_sink::{OtlpSink, SinkCounts},
    report::{self, Machine, Stopwatch},
    stats,
};
use crate::{
    nested_cargo::{self, Scope},
    paths, process,
};

/// The CPU of the export thread; the collector and the producer of the
/// spans share the other.
const EXPORTER_CPU: usize = 0;
const COLLECTOR_CPU: usize = 1;

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Runs of each compression setting.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Seconds measured in each run, after its warm-up.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Leave the gzip runs out.
    #[arg(long)]
    pub no_gzip: bool,
    /// A smoke run: one 3 s run of each setting; implies --no-write.
    #[arg(long)]
    pub quick: bool,
    /// Print the results without updating BENCHMARKS.md.
    #[arg(long)]
    pub no_write: bool,
}

impl ExportArgs {
    fn plan(&self) -> ExportArgs {
        let mut plan = self.clone();
        if self.quick {
            plan.runs = 1;
            plan.seconds = 3;
            plan.no_write = true;
        }
        plan
    }

    /// Whether run `index` uses gzip: A B B A … when both settings run.
    fn gzip_at(&self, index: usize) -> bool {
        !self.no_gzip && stats::with_agent_at(index)
    }

    fn run_count(&self) -> usize {
        if self.no_gzip {
            self.runs
        } else {
            2 * self.runs
        }
    }
}

/// What the load generator printed for one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadResult {
    pub seconds: f64,
    /// Spans exported in the measured window.
    pub spans: u64,
    pub export_thread_cpu_seconds: f64,
    pub process_cpu_seconds: f64,
    /// Over the whole run (warm-up and the final flush included).
    pub exported_total: u64,
    pub dropped_total: u64,
}

impl LoadResult {
    fn parse(line: &str) -> Result<LoadResult> {
        let value = json::parse(line)?;
        let number = |name: &str| {
            value
                .get(name)
                .and_then(json::Value::as_f64)
                .with_context(|| format!("no {name} in `{line}`"))
        };
        Ok(LoadResult {
            seconds: number("seconds")?,
            spans: number("spans")? as u64,
            export_thread_cpu_seconds: number("export_thread_cpu_seconds")?,
            process_cpu_seconds: number("process_cpu_seconds")?,
            exported_total: number("exported_total")? as u64,
            dropped_total: number("dropped_total")? as u64,
        })
    }
}

/// One measured run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub gzip: bool,
    pub load: LoadResult,
    /// The collector's counts over the whole run.
    pub collector: SinkCounts,
    /// The run's wall-clock time, warm-up and flush included.
    pub wall_seconds: f64,
}

impl Run {
    pub fn spans_per_second(&self) -> f64 {
        self.load.spans as f64 / self.load.seconds
    }

    /// Export thread CPU milliseconds per 1,000 spans.
    pub fn export_ms_per_1k(&self) -> f64 {
        self.load.export_thread_cpu_seconds * 1e6 / self.load.spans as f64
    }

    /// Whole-process CPU milliseconds per 1,000 spans (the synthetic
    /// producer included).
    pub fn process_ms_per_1k(&self) -> f64 {
        self.load.process_cpu_seconds * 1e6 / self.load.spans as f64
    }

    /// The collector's CPU milliseconds per 1,000 spans it received.
    pub fn collector_ms_per_1k(&self) -> Option<f64> {
        (self.collector.spans > 0)
            .then(|| self.collector.cpu_seconds * 1e6 / self.collector.spans as f64)
    }

    /// How busy the export thread was, 0 to 1.
    pub fn exporter_busy(&self) -> f64 {
        self.load.export_thread_cpu_seconds / self.load.seconds
    }

    /// How busy the collector's CPU was, 0 to 1.
    pub fn collector_busy(&self) -> f64 {
        self.collector.cpu_seconds / self.wall_seconds
    }

    /// Whether the collector received exactly what was exported.
    pub fn all_received(&self) -> bool {
        self.collector.spans == self.load.exported_total
    }
}

/// Everything the report needs.
#[derive(Debug, Clone)]
pub struct Results {
    pub plan: ExportArgs,
    pub runs: Vec<Run>,
}

pub fn main(args: &ExportArgs) -> Result<ExitCode> {
    let plan = args.plan();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    if cpus <= COLLECTOR_CPU {
        bail!("bench export needs 2 CPUs (exporter and collector on one each); this machine has {cpus}");
    }
    let stopwatch = Stopwatch::start();
    let sink_binary = build()?;
    let mut sink = OtlpSink::start(&sink_binary, COLLECTOR_CPU)?;
    let mut runs = Vec::new();
    for index in 0..plan.run_count() {
        let gzip = plan.gzip_at(index);
        let run = measure(&mut sink, gzip, plan.seconds)?;
        eprintln!(
            "xtask: export run {}/{}{}: {:.0} spans/s, exporter {:.2} ms CPU per 1k spans, collector {:.0} % busy",
            index + 1,
            plan.run_count(),
            if gzip { " (gzip)" } else { "" },
            run.spans_per_second(),
            run.export_ms_per_1k(),
            run.collector_busy() * 100.0,
        );
        runs.push(run);
    }
    drop(sink);
    let results = Results { plan, runs };
    let section = export_report::render(
        &results,
        &Machine::detect(),
        &report::invocation(),
        &stopwatch.stop(),
    );
    println!("{section}");
    if !results.plan.no_write {
        let path = paths::workspace_root().join("BENCHMARKS.md");
        report::write_section(&path, export_report::HEADING, &section)?;
        eprintln!("xtask: wrote {}", path.display());
    }
    let unreceived = results
        .runs
        .iter()
        .filter(|run| !run.all_received())
        .count();
    if unreceived > 0 {
        bail!("in {unreceived} runs the collector did not receive exactly the spans exported");
    }
    Ok(ExitCode::SUCCESS)
}

/// Builds the collector and the load generator; returns the collector.
fn build() -> Result<PathBuf> {
    let root = paths::workspace_root();
    let mut sink = nested_cargo::cargo(Scope::Host);
    sink.current_dir(&root).args([
        "build",
        "--release",
        "-p",
        "sonde-tests",
        "--bin",
        "sonde-otlp-sink",
    ]);
    process::run(&mut sink)?;
    process::run(load_command(&root).arg("--no-run"))?;
    Ok(root.join("target/release/sonde-otlp-sink"))
}

/// `cargo bench` of the load generator.
fn load_command(root: &Path) -> std::process::Command {
    let mut command = nested_cargo::cargo(Scope::Host);
    command
        .current_dir(root)
        .args(["bench", "-p", "sonde-agent", "--bench", "otlp_export"]);
    command
}

fn measure(sink: &mut OtlpSink, gzip: bool, seconds: u64) -> Result<Run> {
    let root = paths::workspace_root();
    let mut command = load_command(&root);
    command.args([
        "--",
        "--otlp-traces-endpoint",
        &sink.endpoint(),
        "--cpu",
        &EXPORTER_CPU.to_string(),
        "--producer-cpu",
        &COLLECTOR_CPU.to_string(),
        "--seconds",
        &seconds.to_string(),
    ]);
    if gzip {
        command.args(["--otlp-compression", "gzip"]);
    }
    let before = sink.counts()?;
    let started = std::time::Instant::now();
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run the otlp_export benchmark")?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "the otlp_export benchmark failed ({}): {stdout}",
            output.status
        );
    }
    let line = stdout
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .with_context(|| format!("the otlp_export benchmark printed no result: {stdout}"))?;
    let load = LoadResult::parse(line)?;
    let after = sink.counts()?;
    Ok(Run {
        gzip,
        load,
        collector: SinkCounts {
            spans: after.spans - before.spans,
            requests: after.requests - before.requests,
            cpu_seconds: after.cpu_seconds - before.cpu_seconds,
        },
        wall_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_load_generator_line() {
        let line = r#"{"dropped_total":0,"export_thread_cpu_seconds":2.5,"exported_total":1200000,"process_cpu_seconds":3.0,"pushed_total":1200000,"seconds":10.0,"spans":1000000,"spans_per_second":100000.0}"#;
        let load = LoadResult::parse(line).unwrap();
        assert_eq!(load.spans, 1_000_000);
        let run = Run {
            gzip: false,
            load,
            collector: SinkCounts {
                spans: 1_200_000,
                requests: 2400,
                cpu_seconds: 6.0,
            },
            wall_seconds: 12.0,
        };
        assert_eq!(run.spans_per_second(), 100_000.0);
        assert_eq!(run.export_ms_per_1k(), 2.5);
        assert_eq!(run.process_ms_per_1k(), 3.0);
        assert_eq!(run.collector_ms_per_1k(), Some(5.0));
        assert_eq!(run.collector_busy(), 0.5);
        assert!(run.all_received());
        assert!(LoadResult::parse("{}").is_err());
    }

    #[test]
    fn runs_alternate_settings() {
        let plan = ExportArgs {
            runs: 2,
            seconds: 1,
            no_gzip: false,
            quick: false,
            no_write: true,
        };
        let order: Vec<bool> = (0..plan.run_count()).map(|i| plan.gzip_at(i)).collect();
        assert_eq!(order, [false, true, true, false]);
        let plain = ExportArgs {
            no_gzip: true,
            ..plan
        };
        assert_eq!(plain.run_count(), 2);
        assert!(!plain.gzip_at(1));
    }
}
