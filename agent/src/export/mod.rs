//! OTLP/gRPC export of spans, log records and metrics, with
//! opentelemetry-otlp over tonic.
//!
//! The output thread pushes finished spans and records into one bounded
//! queue per signal and never waits: a full queue drops its oldest items
//! (counted). An export thread with its own runtime takes batches, groups
//! them by process (each process is one OTLP resource), and sends them
//! (spans by several senders, so one batch is prepared while another is
//! sent);
//! retryable failures are retried with backoff while the queue keeps
//! absorbing (and, when full, dropping) new telemetry, so the agent keeps
//! working through a collector outage and resumes by itself.
//!
//! Every item pushed is, in the end, exported or counted in
//! `sonde_export_dropped_total{signal,reason}`.
//!
//! Metrics are recorded into SDK instruments ([`OtelMeters`]) by the flow
//! pipeline and collected by the export thread at each interval; a failed
//! metrics export is not retried (with cumulative temporality the next one
//! carries the same totals) but its data points are counted as dropped.

mod config;
mod log_data;
mod meters;
mod queue;
mod resource;
mod retry;
mod span_data;
mod text_value;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::{RetryPolicy, WithExportConfig, WithTonicConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::LogExporter as _;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter as _;
use opentelemetry_sdk::metrics::reader::MetricReader as _;
use opentelemetry_sdk::trace::SpanExporter as _;
use tokio::sync::watch;

pub use self::config::ExportSettings;
use self::config::SignalSettings;
use self::log_data::LogConverter;
pub use self::meters::OtelMeters;
use self::meters::{lock_readers, Readers};
use self::queue::ExportQueue;
use self::resource::Resources;
use self::retry::Retries;
use crate::events::{clock::MonotonicClock, LogRecord};
use crate::telemetry::{ExportDrop, ExportMetrics, Signal};
use crate::traces::Span;

/// Items per export call at most (the OpenTelemetry SDKs' default).
const MAX_BATCH: usize = 512;
/// Span batches sent at once, each by a sender with a connection of its
/// own: while some wait for the collector's answer, another converts and
/// sends the next batch (BENCHMARKS.md, Export).
const SPAN_SENDERS: usize = 2;
/// How long a partial batch waits for more before it is sent.
const LINGER: Duration = Duration::from_secs(1);
/// The export thread's name (its comm in /proc).
pub const EXPORT_THREAD_NAME: &str = "sonde-export";
/// How long export may go on after the agent was told to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Why the exporter could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot start the OTLP export thread: {0}")]
    Thread(#[from] std::io::Error),
    #[error("cannot set up OTLP export of {signal}: {error}")]
    Build {
        signal: &'static str,
        error: opentelemetry_otlp::ExporterBuildError,
    },
    #[error("the OTLP export thread ended while starting")]
    Died,
}

/// Where the output thread hands telemetry to the exporter.
#[derive(Debug, Clone)]
pub struct ExportHandle {
    spans: Option<Arc<ExportQueue<Span>>>,
    logs: Option<Arc<ExportQueue<LogRecord>>>,
    metrics: Arc<ExportMetrics>,
}

impl ExportHandle {
    /// Whether log records are exported (else not worth making).
    pub fn wants_logs(&self) -> bool {
        self.logs.is_some()
    }

    /// Queues finished spans for export; never waits.
    pub fn push_spans(&self, spans: Vec<Span>) {
        if let Some(queue) = &self.spans {
            push(queue, spans, Signal::Spans, &self.metrics);
        }
    }

    /// Queues log records for export; never waits.
    pub fn push_logs(&self, records: Vec<LogRecord>) {
        if let Some(queue) = &self.logs {
            push(queue, records, Signal::Logs, &self.metrics);
        }
    }
}

fn push<T>(queue: &ExportQueue<T>, items: Vec<T>, signal: Signal, metrics: &ExportMetrics) {
    if items.is_empty() {
        return;
    }
    let dropped = queue.push(items);
    if dropped > 0 {
        metrics.dropped(signal, ExportDrop::QueueFull, dropped);
    }
}

/// The running exporter.
#[derive(Debug)]
pub struct Exporter {
    handle: ExportHandle,
    meters: Option<OtelMeters>,
    stop: watch::Sender<bool>,
    done: std::sync::mpsc::Receiver<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Exporter {
    /// Starts exporting with `settings`; `common` attributes (host, the
    /// operator's resource attributes) go on every resource.
    pub fn start(
        settings: ExportSettings,
        common: Vec<KeyValue>,
        metrics: Arc<ExportMetrics>,
        clock: MonotonicClock,
    ) -> Result<Exporter, StartError> {
        let capacity = settings.queue_capacity;
        let handle = ExportHandle {
            spans: settings
                .spans
                .is_some()
                .then(|| Arc::new(ExportQueue::new(capacity))),
            logs: settings
                .logs
                .is_some()
                .then(|| Arc::new(ExportQueue::new(capacity))),
            metrics,
        };
        let readers: Option<Readers> = settings.metrics.is_some().then(Readers::default);
        let meters = readers.as_ref().map(|readers| {
            let mut meters = OtelMeters::new(common.clone(), settings.temporality, readers.clone());
            meters.observe_agent(handle.metrics.clone());
            meters
        });
        let (stop, stop_rx) = watch::channel(false);
        let (started_tx, started) = std::sync::mpsc::channel();
        let (done_tx, done) = std::sync::mpsc::channel();
        let thread = {
            let handle = handle.clone();
            std::thread::Builder::new()
                .name(EXPORT_THREAD_NAME.into())
                .spawn(move || {
                    let signals = Signals { handle, readers };
                    export_thread(settings, common, signals, clock, stop_rx, started_tx);
                    let _ = done_tx.send(());
                })?
        };
        match started.recv() {
            Ok(Ok(())) => Ok(Exporter {
                handle,
                meters,
                stop,
                done,
                thread,
            }),
            Ok(Err(error)) => {
                let _ = thread.join();
                Err(error)
            }
            Err(_) => Err(StartError::Died),
        }
    }

    pub fn handle(&self) -> ExportHandle {
        self.handle.clone()
    }

    /// The metric instruments for the flow pipeline (once), when metrics
    /// are exported.
    pub fn take_meters(&mut self) -> Option<OtelMeters> {
        self.meters.take()
    }

    /// Sends what is queued (each batch gets one more try, for at most
    /// [`SHUTDOWN_GRACE`]), counts the rest as dropped, and stops.
    pub fn stop(self) {
        if let Some(queue) = &self.handle.spans {
            queue.close();
        }
        if let Some(queue) = &self.handle.logs {
            queue.close();
        }
        let _ = self.stop.send(true);
        // The thread enforces the grace period itself; this is a backstop
        // against an export stuck outside tokio's control.
        if self
            .done
            .recv_timeout(SHUTDOWN_GRACE + Duration::from_secs(1))
            .is_ok()
        {
            let _ = self.thread.join();
        } else {
            tracing::warn!("OTLP export did not stop in time; abandoned");
        }
    }
}

type Started = std::sync::mpsc::Sender<Result<(), StartError>>;

/// What the export thread sends: the queues, and the metric readers.
struct Signals {
    handle: ExportHandle,
    readers: Option<Readers>,
}

fn export_thread(
    settings: ExportSettings,
    common: Vec<KeyValue>,
    signals: Signals,
    clock: MonotonicClock,
    stop: watch::Receiver<bool>,
    started: Started,
) {
    let Signals { handle, readers } = signals;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = started.send(Err(StartError::Thread(error)));
            return;
        }
    };
    runtime.block_on(async move {
        // tonic's channels need the runtime they will run on.
        let spans = match (&handle.spans, &settings.spans) {
            (Some(queue), Some(signal)) => match (0..SPAN_SENDERS)
                .map(|_| span_exporter(&settings, signal))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(exporters) => Some((queue.clone(), exporters)),
                Err(error) => {
                    let _ = started.send(Err(StartError::Build {
                        signal: "spans",
                        error,
                    }));
                    return;
                }
            },
            _ => None,
        };
        let logs = match (&handle.logs, &settings.logs) {
            (Some(queue), Some(signal)) => match log_exporter(&settings, signal) {
                Ok(exporter) => Some((queue.clone(), exporter)),
                Err(error) => {
                    let _ = started.send(Err(StartError::Build {
                        signal: "logs",
                        error,
                    }));
                    return;
                }
            },
            _ => None,
        };
        let metrics_export = match (readers, &settings.metrics) {
            (Some(readers), Some(signal)) => match metric_exporter(&settings, signal) {
                Ok(exporter) => Some((readers, exporter)),
                Err(error) => {
                    let _ = started.send(Err(StartError::Build {
                        signal: "metrics",
                        error,
                    }));
                    return;
                }
            },
            _ => None,
        };
        let _ = started.send(Ok(()));
        drop(started);

        let scope = meters::scope();
        let context = Context {
            resources: RefCell::new(Resources::new(common)),
            metrics: handle.metrics.clone(),
            clock,
            scope,
        };
        let spans_pending = Cell::new(0);
        let logs_pending = Cell::new(0);
        let work = async {
            let spans_work = async {
                if let Some((queue, exporters)) = spans {
                    let retries = RefCell::new(Retries::new(Signal::Spans));
                    let shared = Shared {
                        queue: &queue,
                        pending: &spans_pending,
                        retries: &retries,
                    };
                    let senders = exporters
                        .into_iter()
                        .map(|exporter| export_spans(&context, shared, exporter, stop.clone()));
                    futures_util::future::join_all(senders).await;
                }
            };
            let logs_work = async {
                if let Some((queue, exporter)) = logs {
                    let retries = RefCell::new(Retries::new(Signal::Logs));
                    let shared = Shared {
                        queue: &queue,
                        pending: &logs_pending,
                        retries: &retries,
                    };
                    export_logs(&context, shared, exporter, stop.clone()).await;
                }
            };
            let metrics_work = async {
                if let Some((readers, exporter)) = metrics_export {
                    let interval = settings.metrics_interval;
                    export_metrics(&readers, exporter, interval, &handle.metrics, stop.clone())
                        .await;
                }
            };
            tokio::join!(spans_work, logs_work, metrics_work);
        };
        let deadline = async {
            let mut stop = stop.clone();
            let _ = stop.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            () = work => {}
            () = deadline => {
                // Whatever was being sent or still queued is given up.
                let metrics = &handle.metrics;
                if let Some(queue) = &handle.spans {
                    let left = queue.drain().len() as u64 + spans_pending.get();
                    metrics.dropped(Signal::Spans, ExportDrop::Shutdown, left);
                }
                if let Some(queue) = &handle.logs {
                    let left = queue.drain().len() as u64 + logs_pending.get();
                    metrics.dropped(Signal::Logs, ExportDrop::Shutdown, left);
                }
            }
        }
    });
}

/// The connection settings every signal's exporter shares.
fn configure<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    settings: &ExportSettings,
    signal: &SignalSettings,
) -> B {
    let mut builder = builder
        .with_endpoint(signal.endpoint.clone())
        // Retried here, where the queue and the counts are.
        .with_retry_policy(RetryPolicy::disabled())
        .with_metadata(settings.headers.clone());
    if let Some(tls) = &signal.tls {
        builder = builder.with_tls_config(tls.clone());
    }
    if let Some(compression) = settings.compression {
        builder = builder.with_compression(compression);
    }
    builder
}

fn span_exporter(
    settings: &ExportSettings,
    signal: &SignalSettings,
) -> Result<opentelemetry_otlp::SpanExporter, opentelemetry_otlp::ExporterBuildError> {
    let builder = opentelemetry_otlp::SpanExporter::builder().with_tonic();
    configure(builder, settings, signal).build()
}

fn log_exporter(
    settings: &ExportSettings,
    signal: &SignalSettings,
) -> Result<opentelemetry_otlp::LogExporter, opentelemetry_otlp::ExporterBuildError> {
    let builder = opentelemetry_otlp::LogExporter::builder().with_tonic();
    configure(builder, settings, signal).build()
}

fn metric_exporter(
    settings: &ExportSettings,
    signal: &SignalSettings,
) -> Result<opentelemetry_otlp::MetricExporter, opentelemetry_otlp::ExporterBuildError> {
    let builder = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_temporality(settings.temporality);
    configure(builder, settings, signal).build()
}

/// Collects and exports every service's metrics each `interval`, and once
/// more when the agent stops.
async fn export_metrics(
    readers: &Readers,
    exporter: opentelemetry_otlp::MetricExporter,
    interval: Duration,
    metrics: &ExportMetrics,
    mut stop: watch::Receiver<bool>,
) {
    let signal = Signal::Metrics;
    let mut retries = Retries::new(signal);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = ticks.tick() => false,
            _ = stop.wait_for(|stop| *stop) => true,
        };
        // Collected under the lock, exported after it: the pipeline may
        // add a service meanwhile.
        let readers = lock_readers(readers).clone();
        for reader in readers {
            let mut collected = ResourceMetrics::default();
            if let Err(error) = reader.collect(&mut collected) {
                tracing::debug!(%error, "collecting metrics failed");
                continue;
            }
            let points = data_points(&collected);
            if points == 0 {
                continue;
            }
            match exporter.export(&collected).await {
                Ok(()) => {
                    retries.succeeded();
                    metrics.exported(signal, points);
                }
                Err(error) => {
                    metrics.request_failed(signal);
                    let reason = match retries.failed(&error) {
                        Some(_) if stopping => ExportDrop::Shutdown,
                        // Not retried: the next collection carries
                        // cumulative totals again.
                        Some(_) => ExportDrop::ExportFailed,
                        None => ExportDrop::Rejected,
                    };
                    metrics.dropped(signal, reason, points);
                }
            }
        }
        if stopping {
            return;
        }
    }
}

/// Data points in a collection.
fn data_points(collected: &ResourceMetrics) -> u64 {
    fn count<T>(data: &MetricData<T>) -> usize {
        match data {
            MetricData::Gauge(gauge) => gauge.data_points().count(),
            MetricData::Sum(sum) => sum.data_points().count(),
            MetricData::Histogram(histogram) => histogram.data_points().count(),
            MetricData::ExponentialHistogram(histogram) => histogram.data_points().count(),
        }
    }
    collected
        .scope_metrics()
        .flat_map(|scope| scope.metrics())
        .map(|metric| match metric.data() {
            AggregatedMetrics::F64(data) => count(data),
            AggregatedMetrics::U64(data) => count(data),
            AggregatedMetrics::I64(data) => count(data),
        } as u64)
        .sum()
}

/// What the signal loops share on the export thread.
struct Context {
    resources: RefCell<Resources>,
    metrics: Arc<ExportMetrics>,
    clock: MonotonicClock,
    scope: InstrumentationScope,
}

/// What the senders of one signal share: its queue, the items taken from
/// it and not yet exported or dropped, and the outage state.
struct Shared<'a, T> {
    queue: &'a ExportQueue<T>,
    pending: &'a Cell<u64>,
    retries: &'a RefCell<Retries>,
}

impl<T> Clone for Shared<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Shared<'_, T> {}

impl<T> Shared<'_, T> {
    fn taken(&self, items: u64) {
        self.pending.set(self.pending.get() + items);
    }

    fn done(&self, items: u64) {
        self.pending.set(self.pending.get().saturating_sub(items));
    }

    fn report_queued(&self, metrics: &ExportMetrics, signal: Signal) {
        metrics.set_queued(signal, self.queue.len() as u64 + self.pending.get());
    }
}

/// One sender of span batches (there are [`SPAN_SENDERS`]).
async fn export_spans(
    context: &Context,
    shared: Shared<'_, Span>,
    mut exporter: opentelemetry_otlp::SpanExporter,
    mut stop: watch::Receiver<bool>,
) {
    let signal = Signal::Spans;
    while let Some(spans) = shared.queue.take(MAX_BATCH, LINGER).await {
        shared.taken(spans.len() as u64);
        let mut groups = span_data::Groups::default();
        for span in spans {
            groups.add(span, &context.clock, &context.scope);
        }
        for (origin, batch) in groups.into_groups() {
            let resource = context.resources.borrow_mut().of_process(
                origin.pid,
                origin.service_name.as_deref(),
                "",
            );
            exporter.set_resource(&resource);
            let items = batch.len() as u64;
            let exporter = &exporter;
            let attempt = || exporter.export(batch.clone());
            deliver(
                signal,
                items,
                attempt,
                shared.retries,
                &context.metrics,
                &mut stop,
            )
            .await;
            shared.done(items);
        }
        shared.report_queued(&context.metrics, signal);
    }
}

async fn export_logs(
    context: &Context,
    shared: Shared<'_, LogRecord>,
    mut exporter: opentelemetry_otlp::LogExporter,
    mut stop: watch::Receiver<bool>,
) {
    let signal = Signal::Logs;
    let converter = LogConverter::new(context.scope.clone());
    while let Some(records) = shared.queue.take(MAX_BATCH, LINGER).await {
        shared.taken(records.len() as u64);
        let mut groups: HashMap<log_data::LogOrigin, Vec<_>> = HashMap::new();
        let mut exited = Vec::new();
        for record in records {
            let origin = log_data::origin(&record);
            if record.kind == sonde_common::EventKind::ProcessExit {
                exited.push(origin.pid);
            }
            groups
                .entry(origin)
                .or_default()
                .push(converter.convert(record));
        }
        for (origin, batch) in groups {
            let resource =
                context
                    .resources
                    .borrow_mut()
                    .of_process(origin.pid, None, &origin.comm);
            exporter.set_resource(&resource);
            let items = batch.len() as u64;
            let exporter = &exporter;
            let scope = &context.scope;
            let attempt = || {
                let pairs: Vec<_> = batch.iter().map(|record| (record, scope)).collect();
                async move {
                    let batch = opentelemetry_sdk::logs::LogBatch::new(&pairs);
                    exporter.export(batch).await
                }
            };
            deliver(
                signal,
                items,
                attempt,
                shared.retries,
                &context.metrics,
                &mut stop,
            )
            .await;
            shared.done(items);
        }
        for pid in exited {
            context.resources.borrow_mut().forget(pid);
        }
        shared.report_queued(&context.metrics, signal);
    }
}

/// Sends one batch of `items`, retrying retryable failures with backoff
/// until it goes through, is refused, or the agent stops.
async fn deliver<F, Fut>(
    signal: Signal,
    items: u64,
    attempt: F,
    retries: &RefCell<Retries>,
    metrics: &ExportMetrics,
    stop: &mut watch::Receiver<bool>,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = OTelSdkResult>,
{
    loop {
        let error = match attempt().await {
            Ok(()) => {
                retries.borrow_mut().succeeded();
                metrics.exported(signal, items);
                return;
            }
            Err(error) => error,
        };
        metrics.request_failed(signal);
        let Some(pause) = retries.borrow_mut().failed(&error) else {
            metrics.dropped(signal, ExportDrop::Rejected, items);
            return;
        };
        if *stop.borrow() {
            metrics.dropped(signal, ExportDrop::Shutdown, items);
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|stop| *stop) => {
                metrics.dropped(signal, ExportDrop::Shutdown, items);
                return;
            }
        }
    }
}
