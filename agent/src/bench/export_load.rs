//! The OTLP span exporter under load (`cargo bench -p sonde-agent --bench
//! otlp_export -- --otlp-traces-endpoint URL ...`, run by `cargo xtask bench
//! export`): synthetic spans shaped like a Django view's are pushed into the
//! agent's [`Exporter`] as fast as it exports them, and the run prints one
//! JSON line with the spans exported per second and the CPU time they took.
//!
//! The producer keeps at most `--in-flight` spans pushed but not exported,
//! waiting when there are more, so the queue never overflows: what is
//! measured is what the exporter sustains, not what it drops. With `--cpu`
//! the export thread is pinned to one CPU, and with `--producer-cpu` the
//! producer (standing for the rest of the agent) to another.

use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;

use super::synthetic_spans::{SpanFactory, SPANS_PER_REQUEST};
use super::thread_cpu;
use crate::cli::OtlpArgs;
use crate::events::clock::{monotonic_now_ns, MonotonicClock};
use crate::export::{ExportSettings, Exporter, EXPORT_THREAD_NAME};
use crate::telemetry::{ExportDrop, ExportMetrics, Signal};

/// Requests made per push: the output thread pushes what one batch of
/// events finished.
const REQUESTS_PER_PUSH: usize = 16;
/// How long the producer waits when enough spans are in flight.
const BACKOFF: Duration = Duration::from_micros(200);

/// What to run.
#[derive(Debug, Parser)]
#[command(name = "otlp_export", about = "Spans/s the OTLP exporter sustains")]
pub struct ExportLoadArgs {
    #[command(flatten)]
    otlp: OtlpArgs,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seconds of load before the measured ones: connection, allocator.
    #[arg(long, default_value_t = 2.0)]
    warm_up: f64,
    /// The CPU the export thread is pinned to (the exporter gets one core).
    #[arg(long)]
    cpu: Option<usize>,
    /// The CPU the producer of the spans is pinned to (else the same).
    #[arg(long)]
    producer_cpu: Option<usize>,
    /// Spans pushed and not yet exported at most; below the queue's size,
    /// so nothing is dropped.
    #[arg(long, default_value_t = 8192)]
    in_flight: u64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One point of the run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Instant,
    exported: u64,
    export_thread: Duration,
    process: Duration,
}

impl Sample {
    fn take(metrics: &ExportMetrics) -> Result<Sample> {
        Ok(Sample {
            at: Instant::now(),
            exported: metrics.exported_total(Signal::Spans),
            export_thread: thread_cpu::of_thread(EXPORT_THREAD_NAME)
                .context("the export thread is not running")?,
            process: thread_cpu::of_process(),
        })
    }
}

/// Runs the benchmark with the process's arguments; prints the result.
pub fn main() -> ExitCode {
    let args = ExportLoadArgs::parse();
    // The exporter's warnings (a collector refusing spans) go to stderr.
    crate::init_diagnostics();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("otlp_export: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &ExportLoadArgs) -> Result<String> {
    if let Some(cpu) = args.cpu {
        // Before the export thread starts: it inherits it.
        pin_this_thread(cpu)?;
    }
    let settings = ExportSettings::resolve(&args.otlp, &|name| std::env::var(name).ok())?
        .filter(|settings| settings.spans.is_some());
    let Some(settings) = settings else {
        bail!("no span endpoint: give --otlp-traces-endpoint or --otlp-endpoint");
    };
    if args.in_flight >= settings.queue_capacity as u64 {
        bail!("--in-flight must be below the queue size, or spans are dropped");
    }
    let metrics = Arc::new(ExportMetrics::default());
    let exporter = Exporter::start(
        settings,
        crate::run::common_resource_attributes(),
        metrics.clone(),
        MonotonicClock::new(),
    )?;
    if let Some(cpu) = args.producer_cpu {
        pin_this_thread(cpu)?;
    }
    let handle = exporter.handle();
    let parent = std::os::unix::process::parent_id();
    let mut factory = SpanFactory::new(vec![
        (std::process::id(), "shop".to_string()),
        (parent, "shop".to_string()),
    ]);

    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warm_up);
    let until = measure_from + Duration::from_secs_f64(args.seconds);
    let mut pushed = 0u64;
    let mut first = None;
    let last = loop {
        let now = Instant::now();
        if first.is_none() && now >= measure_from {
            first = Some(Sample::take(&metrics)?);
        }
        if now >= until {
            break Sample::take(&metrics)?;
        }
        let done = metrics.exported_total(Signal::Spans) + dropped(&metrics);
        if pushed.saturating_sub(done) >= args.in_flight {
            thread::sleep(BACKOFF);
            continue;
        }
        let mut spans = Vec::with_capacity(REQUESTS_PER_PUSH * SPANS_PER_REQUEST);
        for _ in 0..REQUESTS_PER_PUSH {
            factory.request(monotonic_now_ns(), &mut spans);
        }
        pushed += spans.len() as u64;
        handle.push_spans(spans);
    };
    exporter.stop();
    let first = first.context("the run ended before it was measured")?;
    Ok(report(&first, &last, pushed, &metrics))
}

fn dropped(metrics: &ExportMetrics) -> u64 {
    ExportDrop::ALL
        .iter()
        .map(|&reason| metrics.dropped_total(Signal::Spans, reason))
        .sum()
}

/// The result line: the measured window's figures, and the whole run's
/// totals (exported after the stop included).
fn report(first: &Sample, last: &Sample, pushed: u64, metrics: &ExportMetrics) -> String {
    let seconds = last.at.duration_since(first.at).as_secs_f64();
    let spans = last.exported - first.exported;
    serde_json::json!({
        "seconds": seconds,
        "spans": spans,
        "spans_per_second": spans as f64 / seconds,
        "export_thread_cpu_seconds": (last.export_thread - first.export_thread).as_secs_f64(),
        "process_cpu_seconds": (last.process - first.process).as_secs_f64(),
        "pushed_total": pushed,
        "exported_total": metrics.exported_total(Signal::Spans),
        "dropped_total": dropped(metrics),
    })
    .to_string()
}

/// Pins the calling thread (and the threads it starts later) to `cpu`.
fn pin_this_thread(cpu: usize) -> Result<()> {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET stays within it
    // for cpu < CPU_SETSIZE, checked first.
    unsafe {
        if cpu >= libc::CPU_SETSIZE as usize {
            bail!("no CPU {cpu}");
        }
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        // 0: the calling thread.
        if libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) != 0 {
            bail!(
                "cannot pin to CPU {cpu}: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    Ok(())
}
