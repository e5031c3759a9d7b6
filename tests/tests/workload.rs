//! The workload itself, without the agent: each subcommand does what it says and
//! reports it, so that the agent tests compare the agent with a trustworthy truth.

use std::time::Duration;

use sonde_tests::{workload_bin, Workload};

fn workload() -> Workload {
    Workload::new(workload_bin!())
}

const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn tcp_pair_moves_exactly_the_bytes_asked_for() {
    for extra in [None, Some("--ipv6"), Some("--mapped")] {
        let mut args = vec!["tcp-pair", "--send", "1000", "--recv", "2000"];
        args.extend(extra);
        let run = workload().run(&args, TIMEOUT);
        run.assert_success();
        assert_eq!(run.u64("pid"), u64::from(run.pid));
        assert_eq!(run.u64("client_sent"), 1000);
        assert_eq!(run.u64("server_received"), 1000);
        assert_eq!(run.u64("client_received"), 2000);
        assert_ne!(run.u64("client_port"), run.u64("server_port"));
        assert_eq!(
            run.u64("client_tid"),
            u64::from(run.pid),
            "the main thread connects"
        );
        assert_ne!(
            run.u64("server_tid"),
            u64::from(run.pid),
            "another thread accepts"
        );
        let family = match extra {
            None => "ipv4",
            Some("--ipv6") => "ipv6",
            Some(_) => "ipv4-mapped",
        };
        assert_eq!(run.report["family"], family);
    }
}

#[test]
fn tcp_reset_ends_in_econnreset() {
    let run = workload().run(&["tcp-reset"], TIMEOUT);
    run.assert_success();
    assert_eq!(run.report["client_error"], "ECONNRESET");
}

#[test]
fn connect_refused_reports_econnrefused() {
    let run = workload().run(&["connect-refused"], TIMEOUT);
    run.assert_success();
    assert_eq!(run.report["error"], "ECONNREFUSED");
    assert_eq!(run.u64("errno"), 111);
    assert!(run.u64("port") > 0);
}

#[test]
fn exit_uses_the_code_or_the_signal() {
    use std::os::unix::process::ExitStatusExt;

    let run = workload().run(&["exit", "--code", "3"], TIMEOUT);
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    assert_eq!(run.u64("pid"), u64::from(run.pid));
    assert_eq!(run.report["thread_ids"].as_array().map(Vec::len), Some(2));

    let run = workload().run(&["exit", "--signal", "9"], TIMEOUT);
    assert_eq!(run.status.signal(), Some(9), "{run:?}");
}

#[test]
fn storm_completes_without_failures() {
    let run = workload().run(&["storm", "--connections", "3000"], TIMEOUT);
    run.assert_success();
    assert_eq!(run.u64("connected"), 3000);
    assert_eq!(run.u64("accepted"), 3000);
    assert_eq!(run.u64("failures"), 0, "{}", run.report);
}

#[test]
fn wait_then_go_waits() {
    let waiting = workload().spawn_waiting(&["tcp-pair", "--send", "1", "--recv", "1"]);
    let pid = waiting.pid();
    let run = waiting.go(TIMEOUT);
    run.assert_success();
    assert_eq!(run.u64("pid"), u64::from(pid));
}

#[test]
fn garbage_arguments_are_refused() {
    for args in [
        &["bogus"][..],
        &["tcp-pair", "--send"],
        &["exit"],
        &["storm", "--connections", "x"],
    ] {
        let run = workload().run(args, TIMEOUT);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty(), "{args:?}: no error message");
    }
}
