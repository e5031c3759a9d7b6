//! The agent as a daemon: HTTP endpoints, clean shutdown that leaves nothing
//! attached, refusal to run unprivileged, and never reporting itself.

use std::{
    collections::BTreeSet,
    os::unix::{fs::PermissionsExt, process::ExitStatusExt},
    process::Command,
    thread,
    time::{Duration, Instant},
};

use sonde_tests::{
    agent::{agent_lock, free_port},
    command::output_within,
    events::{self, is, u64_attr},
    kernel::{
        bpf_links, bpf_programs, bpf_programs_held_by, holders_of_program, vm_rss_bytes, BpfLink,
        BpfProgram,
    },
    metrics,
    paths::{sonde_bin, TempDir},
    Agent,
};

use crate::{workload, WORKLOAD_COMM};

const SHUTDOWN_LIMIT: Duration = Duration::from_secs(2);
/// How long the kernel may take to free the programs of an agent that exited.
const FREE_LIMIT: Duration = Duration::from_secs(1);

/// Starts an agent, checks its programs are in the kernel and named sonde_*,
/// stops it with `signal`, and checks it exited 0 within 2 s leaving none of
/// them (nor any link to them) behind.
///
/// The agent's programs are the ones its process holds (/proc/PID/fdinfo), so
/// another sonde that a developer runs on the same machine does not interfere.
fn stop_detaches_everything(signal: i32) {
    let lock = agent_lock();
    let before: BTreeSet<u64> = bpf_programs().iter().map(|p| p.id).collect();
    let mut agent = Agent::start_locked(lock, &["--comm", WORKLOAD_COMM]);
    let running = bpf_programs();
    let held = bpf_programs_held_by(agent.pid());
    let ours: Vec<&BpfProgram> = running.iter().filter(|p| held.contains(&p.id)).collect();
    assert!(
        ours.iter().any(|p| p.name.starts_with("sonde_")),
        "`bpftool prog show` lists no sonde_* program held by the ready agent (it holds {held:?}): \
         {running:#?}"
    );
    for program in &ours {
        assert!(
            program.name.starts_with("sonde_"),
            "the agent loaded a program whose name does not start with sonde_: {program:?}"
        );
    }

    let stopped = agent.stop_with(signal);
    assert!(
        stopped.status.success(),
        "after signal {signal} the agent exited with {} (signal {:?}); stderr:\n{}",
        stopped.status,
        stopped.status.signal(),
        stopped.stderr
    );
    assert!(
        stopped.elapsed <= SHUTDOWN_LIMIT,
        "the agent took {:?} to exit after signal {signal} (limit {SHUTDOWN_LIMIT:?})",
        stopped.elapsed
    );
    assert!(
        !stopped.stderr.contains("panicked"),
        "stderr:\n{}",
        stopped.stderr
    );

    // Whatever sonde_* program appeared since the start must be gone, unless a
    // live process other than the agent holds it (another developer's sonde).
    // The kernel frees a raw tracepoint's link, and only then puts its program,
    // an RCU grace period after the agent closed it: a program may stay listed
    // for some milliseconds after the exit, so wait up to FREE_LIMIT for it.
    let leftovers = || {
        let programs: Vec<(BpfProgram, Vec<u32>)> = bpf_programs()
            .into_iter()
            .filter(|p| {
                held.contains(&p.id) || (p.name.starts_with("sonde_") && !before.contains(&p.id))
            })
            .map(|p| {
                let holders = holders_of_program(p.id);
                (p, holders)
            })
            .filter(|(p, holders)| held.contains(&p.id) || holders.is_empty())
            .collect();
        let links: Vec<BpfLink> = bpf_links()
            .into_iter()
            .filter(|l| held.contains(&l.prog_id))
            .collect();
        (programs, links)
    };
    let exited = Instant::now();
    let (left, links) = loop {
        let (left, links) = leftovers();
        if (left.is_empty() && links.is_empty()) || exited.elapsed() >= FREE_LIMIT {
            break (left, links);
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert!(
        left.is_empty(),
        "programs still loaded {FREE_LIMIT:?} after the agent exited (with their holders): \
         {left:#?}"
    );
    assert!(
        links.is_empty(),
        "links to the agent's programs remain {FREE_LIMIT:?} after it exited: {links:#?}"
    );
}

#[test]
fn sigterm_exits_promptly_and_detaches_everything() {
    stop_detaches_everything(libc::SIGTERM);
}

#[test]
fn sigint_exits_promptly_and_detaches_everything() {
    stop_detaches_everything(libc::SIGINT);
}

#[test]
fn http_endpoints_answer() {
    let agent = Agent::start(&["--comm", WORKLOAD_COMM]);
    for path in ["/healthz", "/readyz"] {
        let response = agent.get(path);
        assert_eq!(response.status, 200, "GET {path}: {response:?}");
    }
    let missing = agent.get("/no-such-page");
    assert_eq!(missing.status, 404, "GET /no-such-page: {missing:?}");

    // One event so that the event counters exist.
    workload()
        .run(&["connect-refused"], Duration::from_secs(60))
        .assert_success();
    agent.wait_for_events(
        |e| events::name(e) == "tcp.connect_failed",
        1,
        Duration::from_secs(15),
    );
    agent.wait_until_idle(Duration::from_secs(1), Duration::from_secs(30));

    let text = agent.metrics();
    metrics::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let labels = [("event", "tcp.connect_failed")];
    let seen = metrics::sum(&text, "sonde_events_seen_total", &labels);
    let delivered = metrics::sum(&text, "sonde_events_delivered_total", &labels);
    assert!(
        seen >= 1.0,
        "sonde_events_seen_total{{event=\"tcp.connect_failed\"}} = {seen}\n{text}"
    );
    let printed = agent
        .events_matching(|e| events::name(e) == "tcp.connect_failed")
        .len();
    assert_eq!(
        delivered, printed as f64,
        "delivered vs printed tcp.connect_failed lines\n{text}"
    );
    for sample in metrics::parse(&text).unwrap_or_default() {
        if sample.name.starts_with("sonde_events_") {
            for label in ["probe", "event"] {
                assert!(
                    sample.labels.contains_key(label),
                    "no {label} label: {sample:?}"
                );
            }
        }
    }

    let rss = agent
        .metric("process_resident_memory_bytes", &[])
        .unwrap_or_else(|| panic!("no process_resident_memory_bytes\n{text}"));
    let vm_rss = vm_rss_bytes(agent.pid()).expect("agent VmRSS") as f64;
    assert!(
        (vm_rss * 0.5..=vm_rss * 1.5).contains(&rss),
        "process_resident_memory_bytes {rss} is far from VmRSS {vm_rss}"
    );

    for sample in metrics::parse(&text).unwrap_or_default() {
        if sample.name == "sonde_events_dropped_total" {
            let reason = sample.labels.get("reason").map(String::as_str);
            assert!(
                reason.is_some_and(|r| metrics::DROP_REASONS.contains(&r)),
                "drop reasons are {:?}: {sample:?}",
                metrics::DROP_REASONS
            );
        }
    }
}

#[test]
fn the_agent_never_reports_itself() {
    // No filter: everything on the host is reported, except the agent.
    let agent = Agent::start(&[]);
    let run = workload().run(
        &["tcp-pair", "--send", "10", "--recv", "10"],
        Duration::from_secs(60),
    );
    run.assert_success();
    // The agent accepts these connections itself.
    for _ in 0..5 {
        agent.metrics();
    }
    let test_pid = std::process::id();
    let port = u64::from(agent.listen().port());
    agent.wait_for_events(|e| is(e, "tcp.close", run.pid), 2, Duration::from_secs(15));
    agent.wait_for_events(
        |e| is(e, "tcp.connect", test_pid) && u64_attr(e, "network.peer.port") == Some(port),
        5,
        Duration::from_secs(15),
    );
    let own = agent.events_matching(|e| events::pid(e) == Some(u64::from(agent.pid())));
    assert!(
        own.is_empty(),
        "the agent reported its own process: {:#?}",
        &own[..own.len().min(5)]
    );
}

#[test]
fn unprivileged_run_fails_with_one_line() {
    let _lock = agent_lock();
    // A copy that user 65534 can surely execute, wherever the build lives.
    let dir = TempDir::new("sonde-nonroot");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod dir");
    let bin = dir.path().join("sonde");
    std::fs::copy(sonde_bin(), &bin).expect("copy the agent binary");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod sonde");
    let as_nobody = |args: &[&str]| {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(&bin)
            .args(args);
        output_within(&mut command, Duration::from_secs(30))
    };

    let help = as_nobody(&["--help"]);
    assert!(
        help.status.success(),
        "user 65534 cannot even run `sonde --help` ({}): {}",
        help.status,
        String::from_utf8_lossy(&help.stderr)
    );

    let listen = format!("127.0.0.1:{}", free_port());
    let data_dir = dir.path().join("data");
    let data_dir = data_dir.to_str().expect("UTF-8 temp path");
    let output = as_nobody(&[
        "run",
        "--log-format",
        "json",
        "--listen",
        &listen,
        "--data-dir",
        data_dir,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "sonde run as nobody succeeded; stderr:\n{stderr}"
    );
    assert_eq!(
        output.status.signal(),
        None,
        "killed by a signal; stderr:\n{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr, got:\n{stderr}"
    );
    assert!(!lines[0].trim().is_empty(), "the one stderr line is blank");
    assert!(!stderr.contains("panicked"), "stderr:\n{stderr}");
    assert!(
        !lines[0].starts_with("setpriv"),
        "setpriv failed, not sonde: {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}
