//! Process events: exec and exit, once per process, with code or signal.

use std::time::Duration;

use serde_json::Value;
use sonde_tests::{
    events::{self, assert_common_attributes, is, str_attr, u64_attr, Event},
    Agent,
};

use crate::{workload, WORKLOAD_COMM};

const EVENT_TIMEOUT: Duration = Duration::from_secs(15);
const WORKLOAD_TIMEOUT: Duration = Duration::from_secs(60);

fn only<'a>(events: &'a [Event], name: &str) -> &'a Event {
    let found: Vec<&Event> = events.iter().filter(|e| events::name(e) == name).collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {name}, got {found:#?}"
    );
    found[0]
}

/// Runs `exit args..` (which leaves two other threads alive at exit) under an
/// agent, and returns the workload's exec and exit events.
fn exec_and_exit(args: &[&str]) -> (Event, Event, u32) {
    let agent = Agent::start(&["--comm", WORKLOAD_COMM]);
    let run = workload().run(args, WORKLOAD_TIMEOUT);
    assert!(
        run.report.is_object(),
        "workload printed no report: {run:?}"
    );
    let pid = run.pid;
    agent.wait_for_events(|e| is(e, "process.exit", pid), 1, EVENT_TIMEOUT);
    agent.wait_for_events(|e| is(e, "process.exec", pid), 1, EVENT_TIMEOUT);
    // A second exit (one per thread) would arrive at about the same time.
    agent.wait_until_idle(Duration::from_secs(1), Duration::from_secs(30));
    let ours = agent.events_matching(|e| events::pid(e) == Some(u64::from(pid)));
    let exec = only(&ours, "process.exec").clone();
    let exit = only(&ours, "process.exit").clone();
    for event in [&exec, &exit] {
        assert_common_attributes(event, run.started_at);
        assert_eq!(
            str_attr(event, "process.command"),
            Some(WORKLOAD_COMM),
            "{event}"
        );
        assert_eq!(
            u64_attr(event, "process.parent_pid"),
            Some(u64::from(std::process::id())),
            "the test process started the workload: {event}"
        );
    }
    (exec, exit, pid)
}

#[test]
fn exec_and_exit_code_are_reported_once() {
    let (exec, exit, pid) = exec_and_exit(&["exit", "--code", "3", "--threads", "2"]);
    let path = str_attr(&exec, "process.executable.path").unwrap_or_default();
    assert!(
        path.starts_with('/') && path.ends_with("/sonde-workload"),
        "process.executable.path {path:?} is not the workload's absolute path: {exec}"
    );
    assert_eq!(u64_attr(&exec, "thread.id"), Some(u64::from(pid)), "{exec}");
    assert_eq!(u64_attr(&exit, "process.exit.code"), Some(3), "{exit}");
    assert!(
        exit.get("sonde.process.exit.signal")
            .is_none_or(Value::is_null),
        "a normal exit has no signal: {exit}"
    );
}

#[test]
fn death_by_signal_is_reported_once() {
    let (_, exit, _) = exec_and_exit(&["exit", "--signal", "9", "--threads", "2"]);
    let signal = exit.get("sonde.process.exit.signal");
    assert!(
        matches!(signal, Some(Value::Number(n)) if n.as_u64() == Some(9))
            || matches!(signal, Some(Value::String(s)) if s == "SIGKILL"),
        "sonde.process.exit.signal should say SIGKILL (9): {exit}"
    );
    assert!(
        exit.get("process.exit.code").is_none_or(Value::is_null),
        "a process killed by a signal has no exit code: {exit}"
    );
}
