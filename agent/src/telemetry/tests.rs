//! Tests of the rendered exposition, through the public API only.

use std::sync::Mutex;

use super::*;

/// A kernel source that returns whatever the test sets.
struct FakeKernel(Mutex<Result<KernelCounters, String>>);

impl KernelCounterSource for Arc<FakeKernel> {
    fn read(&self) -> Result<KernelCounters, String> {
        self.0.lock().map_err(|e| e.to_string())?.clone()
    }
}

fn metrics_with(kernel: Result<KernelCounters, String>) -> (AgentMetrics, Arc<FakeKernel>) {
    let fake = Arc::new(FakeKernel(Mutex::new(kernel)));
    (AgentMetrics::new(Box::new(Arc::clone(&fake))), fake)
}

/// The value of the sample line that starts with `series ` exactly.
fn value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

fn kind_series(name: &str, kind: EventKind) -> String {
    format!(
        "{name}{{probe=\"{}\",event=\"{}\"}}",
        kind.probe(),
        kind.name()
    )
}

fn dropped_series(kind: EventKind, reason: DropReason) -> String {
    format!(
        "sonde_events_dropped_total{{probe=\"{}\",event=\"{}\",reason=\"{}\"}}",
        kind.probe(),
        kind.name(),
        reason.label()
    )
}

#[test]
fn every_pair_is_exported_at_zero_from_the_start() {
    let (metrics, _) = metrics_with(Ok(KernelCounters::default()));
    let (content_type, body) = metrics.render(false);
    assert_eq!(content_type, PROMETHEUS_TEXT);
    for kind in EventKind::ALL {
        for name in ["sonde_events_seen_total", "sonde_events_delivered_total"] {
            assert_eq!(
                value(&body, &kind_series(name, kind)),
                Some(0.0),
                "{name} {kind:?}\n{body}"
            );
        }
        for reason in DropReason::ALL {
            assert_eq!(
                value(&body, &dropped_series(kind, reason)),
                Some(0.0),
                "{body}"
            );
        }
    }
    for total in [
        "sonde_ringbuf_reserve_failures_total",
        "sonde_channel_drops_total",
        "sonde_conn_table_full_total",
        "sonde_kernel_read_failures_total",
        "sonde_ringbuf_decode_errors_total",
    ] {
        assert_eq!(value(&body, total), Some(0.0), "{total}\n{body}");
    }
    let build_info = format!(
        "sonde_build_info{{version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(value(&body, &build_info), Some(1.0), "{body}");
}

#[test]
fn counts_show_up_and_the_invariant_holds() {
    let mut kernel = KernelCounters::default();
    kernel.seen[EventKind::TcpConnect as usize] = 5;
    kernel.ringbuf_full[EventKind::TcpConnect as usize] = 1;
    kernel.conn_table_full = 7;
    kernel.kernel_read_failed = 2;
    let (metrics, _) = metrics_with(Ok(kernel));
    for _ in 0..3 {
        metrics.event_delivered(EventKind::TcpConnect);
    }
    metrics.event_dropped(EventKind::TcpConnect, DropReason::ChannelFull);
    metrics.decode_error();

    let (_, body) = metrics.render(false);
    let kind = EventKind::TcpConnect;
    let seen = value(&body, &kind_series("sonde_events_seen_total", kind));
    let delivered = value(&body, &kind_series("sonde_events_delivered_total", kind));
    let ringbuf = value(&body, &dropped_series(kind, DropReason::RingbufFull));
    let channel = value(&body, &dropped_series(kind, DropReason::ChannelFull));
    assert_eq!(
        (seen, delivered, ringbuf, channel),
        (Some(5.0), Some(3.0), Some(1.0), Some(1.0)),
        "{body}"
    );
    assert_eq!(
        value(&body, "sonde_ringbuf_reserve_failures_total"),
        Some(1.0)
    );
    assert_eq!(value(&body, "sonde_channel_drops_total"), Some(1.0));
    assert_eq!(value(&body, "sonde_conn_table_full_total"), Some(7.0));
    assert_eq!(value(&body, "sonde_kernel_read_failures_total"), Some(2.0));
    assert_eq!(value(&body, "sonde_ringbuf_decode_errors_total"), Some(1.0));
    // Other kinds are untouched.
    let other = EventKind::ProcessExec;
    assert_eq!(
        value(&body, &kind_series("sonde_events_delivered_total", other)),
        Some(0.0)
    );
}

#[test]
fn kernel_counters_are_read_at_scrape_time() {
    let (metrics, fake) = metrics_with(Ok(KernelCounters::default()));
    let series = kind_series("sonde_events_seen_total", EventKind::ProcessExit);
    assert_eq!(value(&metrics.render(false).1, &series), Some(0.0));
    let mut kernel = KernelCounters::default();
    kernel.seen[EventKind::ProcessExit as usize] = 9;
    kernel.missed_runs = vec![("sonde_proc_exit", 3)];
    *fake.0.lock().expect("test lock") = Ok(kernel);
    let body = metrics.render(false).1;
    assert_eq!(value(&body, &series), Some(9.0));
    assert_eq!(
        value(
            &body,
            "sonde_program_missed_runs_total{program=\"sonde_proc_exit\"}"
        ),
        Some(3.0)
    );
}

#[test]
fn every_program_has_its_run_series_zeroes_included() {
    let kernel = KernelCounters {
        missed_runs: vec![("sonde_tcp_state", 4), ("sonde_proc_exit", 0)],
        runs: vec![("sonde_tcp_state", 10), ("sonde_proc_exit", 0)],
        run_time_ns: vec![("sonde_tcp_state", 1_500_000_000), ("sonde_proc_exit", 0)],
        ..KernelCounters::default()
    };
    let (metrics, _) = metrics_with(Ok(kernel));
    let (_, body) = metrics.render(false);
    let series = |name: &str, program: &str| format!("{name}{{program=\"{program}\"}}");
    for (program, missed, runs, seconds) in [
        ("sonde_tcp_state", 4.0, 10.0, 1.5),
        ("sonde_proc_exit", 0.0, 0.0, 0.0),
    ] {
        assert_eq!(
            value(&body, &series("sonde_program_missed_runs_total", program)),
            Some(missed),
            "{body}"
        );
        assert_eq!(
            value(&body, &series("sonde_program_runs_total", program)),
            Some(runs),
            "{body}"
        );
        assert_eq!(
            value(&body, &series("sonde_program_run_seconds_total", program)),
            Some(seconds),
            "{body}"
        );
    }
    assert!(
        body.contains("# HELP sonde_program_missed_runs_total Runs of a kernel program the kernel skipped because another BPF program was running on the CPU"),
        "{body}"
    );
    for name in [
        "sonde_program_runs_total",
        "sonde_program_run_seconds_total",
    ] {
        let help = body
            .lines()
            .find(|line| line.starts_with(&format!("# HELP {name} ")))
            .unwrap_or_default();
        assert!(help.contains("kernel.bpf_stats_enabled=1"), "{help}");
        assert!(body.contains(&format!("# TYPE {name} counter\n")), "{body}");
    }

    let (_, openmetrics) = metrics.render(true);
    assert!(
        openmetrics.contains("# UNIT sonde_program_run_seconds seconds\n"),
        "{openmetrics}"
    );
}

#[test]
fn a_failing_source_still_renders_the_userspace_series() {
    let (metrics, _) = metrics_with(Err("probes not loaded".to_owned()));
    metrics.event_delivered(EventKind::TcpAccept);
    metrics.event_dropped(EventKind::TcpAccept, DropReason::ChannelFull);
    let (_, body) = metrics.render(false);
    let kind = EventKind::TcpAccept;
    assert_eq!(
        value(&body, &kind_series("sonde_events_delivered_total", kind)),
        Some(1.0)
    );
    assert_eq!(
        value(&body, &dropped_series(kind, DropReason::ChannelFull)),
        Some(1.0)
    );
    assert_eq!(value(&body, "sonde_channel_drops_total"), Some(1.0));
    assert_eq!(value(&body, "sonde_ringbuf_decode_errors_total"), Some(0.0));
    for absent in [
        "sonde_events_seen",
        "reason=\"ringbuf_full\"",
        "sonde_ringbuf_reserve_failures",
        "sonde_conn_table_full",
        "sonde_kernel_read_failures",
        "sonde_program_",
    ] {
        assert!(!body.contains(absent), "{absent} should be absent:\n{body}");
    }
    assert!(body.contains("process_resident_memory_bytes "), "{body}");
}

#[test]
fn help_and_type_name_the_sample_in_the_classic_format() {
    let (metrics, _) = metrics_with(Ok(KernelCounters::default()));
    let (_, body) = metrics.render(false);
    assert!(
        body.contains("# HELP sonde_events_dropped_total Events lost"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE sonde_events_dropped_total counter\n"),
        "{body}"
    );
    assert!(body.contains("# TYPE sonde_build_info gauge\n"), "{body}");
    assert!(
        body.contains("# TYPE process_resident_memory_bytes gauge\n"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE process_cpu_seconds_total counter\n"),
        "{body}"
    );
    assert!(value(&body, "process_resident_memory_bytes").is_some_and(|v| v > 0.0));
    assert!(value(&body, "process_cpu_seconds_total").is_some());
    assert!(
        !body.contains("# EOF") && !body.contains("# UNIT"),
        "{body}"
    );
    // Every sample has a TYPE line for its name.
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap_or_default();
        assert!(
            body.contains(&format!("# TYPE {name} ")),
            "no TYPE for {name}"
        );
    }
}

#[test]
fn openmetrics_format_is_offered() {
    let (metrics, _) = metrics_with(Ok(KernelCounters::default()));
    let (content_type, body) = metrics.render(true);
    assert_eq!(content_type, OPENMETRICS_TEXT);
    assert!(
        body.contains("# TYPE sonde_events_seen counter\n"),
        "{body}"
    );
    assert!(
        body.contains("# UNIT process_resident_memory_bytes bytes\n"),
        "{body}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
}

#[test]
fn label_values_are_escaped() {
    let metrics = AgentMetrics::with_version(
        Box::new(Arc::new(FakeKernel(Mutex::new(Ok(
            KernelCounters::default(),
        ))))),
        "1.0 \"beta\"\\\nnext".to_owned(),
    );
    let (_, body) = metrics.render(false);
    assert!(
        body.contains("sonde_build_info{version=\"1.0 \\\"beta\\\"\\\\\\nnext\"} 1\n"),
        "{body}"
    );
}

#[test]
fn metrics_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AgentMetrics>();
}

fn resource(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn target_info_carries_the_resource_in_both_formats() {
    let (metrics, _) = metrics_with(Ok(KernelCounters::default()));
    let metrics = metrics.with_target_info(resource(&[
        ("service.name", "sonde"),
        ("service.instance.id", "web-1:42"),
        ("host.name", "web-1"),
    ]));
    let series =
        "target_info{host_name=\"web-1\",service_instance_id=\"web-1:42\",service_name=\"sonde\"}";

    let (_, classic) = metrics.render(false);
    assert_eq!(value(&classic, series), Some(1.0), "{classic}");
    assert!(classic.contains("# TYPE target_info gauge\n"), "{classic}");
    assert!(classic.contains("# HELP target_info "), "{classic}");
    assert_eq!(classic.matches("target_info{").count(), 1, "{classic}");

    let (_, openmetrics) = metrics.render(true);
    assert_eq!(value(&openmetrics, series), Some(1.0), "{openmetrics}");
    assert!(
        openmetrics.contains("# TYPE target info\n"),
        "{openmetrics}"
    );
    assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");
}

#[test]
fn target_info_is_replaced_and_absent_when_empty() {
    let (metrics, _) = metrics_with(Ok(KernelCounters::default()));
    assert!(!metrics.render(false).1.contains("target_info"));
    let metrics = metrics
        .with_target_info(resource(&[("service.name", "first")]))
        .with_target_info(resource(&[("service.name", "second")]));
    let (_, body) = metrics.render(false);
    assert_eq!(
        value(&body, "target_info{service_name=\"second\"}"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(body.matches("target_info{").count(), 1, "{body}");
    let metrics = metrics.with_target_info(Vec::new());
    assert!(!metrics.render(true).1.contains("target"));
}

#[test]
fn target_info_values_are_escaped() {
    let (metrics, _) = metrics_with(Ok(KernelCounters::default()));
    let metrics = metrics.with_target_info(resource(&[("team", "a \"b\"\\\nc")]));
    for openmetrics in [false, true] {
        let (_, body) = metrics.render(openmetrics);
        assert!(
            body.contains("target_info{team=\"a \\\"b\\\"\\\\\\nc\"} 1\n"),
            "{body}"
        );
    }
}

#[test]
fn the_agent_resource_becomes_target_info() {
    let attributes = agent_resource();
    let (metrics, _) = metrics_with(Ok(KernelCounters::default()));
    let metrics = metrics.with_target_info(attributes.clone());
    let (_, body) = metrics.render(false);
    let line = body
        .lines()
        .find(|line| line.starts_with("target_info{"))
        .unwrap_or_else(|| panic!("no target_info in\n{body}"));
    // Values come from the host and the environment; the keys are the
    // agent's own.
    for key in [
        "service.name",
        "service.version",
        "service.instance.id",
        "host.name",
        "process.pid",
        "process.executable.name",
    ] {
        let (_, value) = attributes
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no {key} in {attributes:?}"));
        let label = format!("{}=\"{value}\"", key.replace('.', "_"));
        assert!(line.contains(&label), "{label} not in {line}");
    }
}
