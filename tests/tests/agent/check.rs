//! `sonde check --json`: what this kernel allows, as these machines really are.

use std::{collections::BTreeMap, process::Command, time::Duration};

use serde_json::Value;
use sonde_tests::{agent::agent_lock, command::output_within, paths::sonde_bin};

#[test]
fn check_reports_what_this_kernel_allows() {
    // `check` may load test programs: keep it apart from the bpftool tests.
    let _lock = agent_lock();
    let output = output_within(
        Command::new(sonde_bin()).args(["check", "--json"]),
        Duration::from_secs(60),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "sonde check --json exited with {}\nstdout: {stdout}\nstderr: {stderr}",
        output.status
    );
    let report: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {stdout}"));
    for key in ["kernel", "capabilities", "ring_buffer", "offsets"] {
        assert!(
            report[key].is_object(),
            "{key} is not an object: {report:#}"
        );
    }

    let types: BTreeMap<&str, &Value> = report["program_types"]
        .as_array()
        .unwrap_or_else(|| panic!("program_types is not an array: {report:#}"))
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or_default(), t))
        .collect();
    let expected = [
        ("tracepoint", true),
        ("raw_tracepoint", true),
        ("perf_event", true),
        ("uprobe", true),
        // CONFIG_KPROBES is off, and BTF tracing programs load with EPERM here.
        ("kprobe", false),
        ("fentry", false),
    ];
    for (name, available) in expected {
        let entry = types.get(name).unwrap_or_else(|| {
            panic!("program type {name} missing: {:#}", report["program_types"])
        });
        assert_eq!(
            entry["available"].as_bool(),
            Some(available),
            "{name}: {entry}"
        );
        assert!(entry["detail"].is_string(), "{name} has no detail: {entry}");
    }
    assert_eq!(
        report["ring_buffer"]["available"].as_bool(),
        Some(true),
        "{report:#}"
    );
    assert_eq!(report["can_run"].as_bool(), Some(true), "{report:#}");
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(0),
        "a host that can run has no problems to report: {report:#}"
    );
}
