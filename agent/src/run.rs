//! `sonde run`: load the probes, stream events, serve /metrics, stop cleanly.

use std::{
    process::ExitCode,
    sync::{atomic::AtomicBool, Arc},
    time::Duration,
};

use anyhow::Context;
use tokio::{
    signal::unix::{signal, SignalKind},
    sync::watch,
};

use crate::{
    cli::RunArgs,
    events::clock::MonotonicClock,
    export::{ExportSettings, Exporter},
    filter, host,
    pipeline::{self, writer::Outputs},
    privileges,
    probes::{self, ProbeSettings},
    scheduling,
    server::{self, ServerState},
    telemetry::AgentMetrics,
};

/// How long each stage may take to stop before it is abandoned.
const STAGE_STOP_DEADLINE: Duration = Duration::from_millis(500);

pub fn main(args: RunArgs) -> anyhow::Result<ExitCode> {
    privileges::require_run_privileges()?;
    let filter = filter::build(
        args.pid,
        args.comm.as_deref(),
        args.cgroup.as_deref(),
        std::process::id(),
    )?;
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create --data-dir {}", args.data_dir.display()))?;
    // Bad export settings fail here, before anything is attached.
    let export_settings = ExportSettings::resolve(&args.otlp, &|name| std::env::var(name).ok())
        .context("bad OTLP export settings")?;
    let settings = ProbeSettings {
        filter,
        ring_buffer_bytes: args.ring_buffer_mib << 20,
        capture_bytes: args.capture_bytes,
    };
    // Before any thread starts: they all inherit the policy.
    scheduling::yield_to_observed_services();
    // One thread: the reader and the HTTP server are light, and a second
    // worker only added wakeups (work stealing) to every batch.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(args, settings, export_settings))?;
    // Don't wait for tasks stuck on a dead stdout; everything is flushed.
    runtime.shutdown_timeout(STAGE_STOP_DEADLINE);
    Ok(ExitCode::SUCCESS)
}

async fn run(
    args: RunArgs,
    settings: ProbeSettings,
    export_settings: Option<ExportSettings>,
) -> anyhow::Result<()> {
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    // Bind first: a busy port should fail before anything is attached.
    let listener = server::bind(args.listen).await?;

    let probes = probes::load(&settings).context("cannot load the eBPF probes")?;
    let probes::Probes {
        ebpf,
        events: ring,
        counters,
    } = probes;
    let metrics = Arc::new(
        AgentMetrics::new(Box::new(counters)).with_target_info(crate::telemetry::agent_resource()),
    );
    let ready = Arc::new(AtomicBool::new(false));
    let (stop_tx, stop_rx) = watch::channel(false);

    let server_stop = {
        let mut stop = stop_rx.clone();
        async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }
    };
    let state = ServerState {
        metrics: metrics.clone(),
        ready: ready.clone(),
    };
    let server_task = tokio::spawn(server::serve(listener, state, server_stop));

    let mut exporter = match export_settings {
        Some(settings) => Some(
            Exporter::start(
                settings,
                common_resource_attributes(),
                metrics.export().clone(),
                MonotonicClock::new(),
            )
            .context("cannot start the OTLP exporter")?,
        ),
        None => None,
    };
    let (output_tx, output_rx) = pipeline::batch::channel(args.channel_capacity);
    let reader_task = tokio::spawn(pipeline::reader::read_ring(
        ring,
        output_tx,
        metrics.clone(),
        exporter.as_mut().and_then(Exporter::take_meters),
        stop_rx.clone(),
    ));
    let writer_thread = {
        let (format, export) = (args.log_format, exporter.as_ref().map(Exporter::handle));
        let metrics = metrics.clone();
        std::thread::Builder::new()
            .name("sonde-writer".into())
            .spawn(move || {
                let outputs = Outputs {
                    format,
                    stdout: std::io::stdout().lock(),
                    export,
                };
                pipeline::writer::write_events(output_rx, outputs, MonotonicClock::new(), metrics)
            })
            .context("cannot start the output thread")?
    };
    // Joined through the blocking pool so that a stuck stdout cannot hold
    // up the shutdown past its deadline.
    let writer_task = tokio::task::spawn_blocking(move || writer_thread.join());
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    tracing::info!(listen = %args.listen, "sonde is running; probes attached");

    let signal_name = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    };
    tracing::info!("{signal_name} received; stopping");
    ready.store(false, std::sync::atomic::Ordering::SeqCst);

    // Detach every program first, so nothing new arrives; then drain.
    drop(ebpf);
    let _ = stop_tx.send(true);
    stop_stage("ring reader", reader_task).await;
    stop_stage("writer", writer_task).await;
    if let Some(exporter) = exporter {
        // Blocking for at most its grace period: the server still answers.
        let _ = tokio::task::spawn_blocking(move || exporter.stop()).await;
    }
    stop_stage("server", server_task).await;
    Ok(())
}

/// Attributes on the resource of every observed process: the host, and
/// what the operator sets with OTEL_RESOURCE_ATTRIBUTES, which wins as it
/// does in the SDKs (but for its service name: that is the agent's own).
pub(crate) fn common_resource_attributes() -> Vec<opentelemetry::KeyValue> {
    use opentelemetry::KeyValue;
    let mut attributes = vec![KeyValue::new("host.name", host::name())];
    if let Some(id) = host::id() {
        attributes.push(KeyValue::new("host.id", id));
    }
    let operator = std::env::var("OTEL_RESOURCE_ATTRIBUTES").unwrap_or_default();
    for (key, value) in crate::telemetry::parse_resource_attributes(&operator) {
        if key == "service.name" {
            continue;
        }
        attributes.retain(|kv| kv.key.as_str() != key);
        attributes.push(KeyValue::new(key, value));
    }
    attributes
}

/// Waits for a stage to end on its own, then aborts it.
async fn stop_stage<T>(name: &str, task: tokio::task::JoinHandle<T>) {
    let abort = task.abort_handle();
    if tokio::time::timeout(STAGE_STOP_DEADLINE, task)
        .await
        .is_err()
    {
        tracing::warn!("{name} did not stop within {STAGE_STOP_DEADLINE:?}; aborted");
        abort.abort();
    }
}
