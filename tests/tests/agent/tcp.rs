//! TCP connections: connect, accept, close with exact byte counts, refused
//! connects and resets, each compared with what the workload says it did.

use std::time::Duration;

use sonde_tests::{
    events::{self, assert_common_attributes, is, own_cgroup_id, str_attr, u64_attr, Event},
    Agent, WorkloadRun,
};

use crate::{workload, WORKLOAD_COMM};

const EVENT_TIMEOUT: Duration = Duration::from_secs(15);
const WORKLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Asserts the endpoint attributes of a TCP event.
fn assert_endpoints(event: &Event, family: &str, local_port: u64, peer_port: u64, role: &str) {
    let address = if family == "ipv6" { "::1" } else { "127.0.0.1" };
    let expect = [
        ("network.transport", "tcp"),
        ("network.type", family),
        ("network.local.address", address),
        ("network.peer.address", address),
        ("sonde.connection.role", role),
    ];
    for (key, value) in expect {
        assert_eq!(str_attr(event, key), Some(value), "{key} in {event}");
    }
    assert_eq!(
        u64_attr(event, "network.local.port"),
        Some(local_port),
        "local port in {event}"
    );
    assert_eq!(
        u64_attr(event, "network.peer.port"),
        Some(peer_port),
        "peer port in {event}"
    );
}

/// Asserts what every event from the workload carries.
fn assert_from_workload(event: &Event, run: &WorkloadRun) {
    assert_common_attributes(event, run.started_at);
    assert_eq!(
        str_attr(event, "process.command"),
        Some(WORKLOAD_COMM),
        "{event}"
    );
    if let Some(cgroup) = own_cgroup_id() {
        assert_eq!(
            u64_attr(event, "sonde.cgroup.id"),
            Some(cgroup),
            "the workload runs in the test's cgroup v2: {event}"
        );
    }
}

fn only<'a>(events: &'a [Event], name: &str, what: &str) -> &'a Event {
    let found: Vec<&Event> = events.iter().filter(|e| events::name(e) == name).collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {name} ({what}), got {found:#?}"
    );
    found[0]
}

/// Every line the agent printed comes from the workload: the `--comm` filter
/// kept out the test's own connections to /readyz and /metrics.
fn assert_only_workload_reported(agent: &Agent) {
    agent.with_events(|all| {
        for event in all {
            assert_eq!(
                str_attr(event, "process.command"),
                Some(WORKLOAD_COMM),
                "--comm {WORKLOAD_COMM} let this through: {event}"
            );
        }
    });
}

/// Runs `tcp-pair --send 1000 --recv 2000 [flag]` and checks the agent reported
/// exactly one connect, one accept and two closes, with `family` endpoints.
fn tcp_pair_is_reported_exactly(flag: Option<&str>, family: &str) {
    let agent = Agent::start(&["--comm", WORKLOAD_COMM]);
    let mut args = vec!["tcp-pair", "--send", "1000", "--recv", "2000"];
    args.extend(flag);
    let run = workload().run(&args, WORKLOAD_TIMEOUT);
    run.assert_success();
    let pid = run.pid;
    let (client_port, server_port) = (run.u64("client_port"), run.u64("server_port"));

    agent.wait_for_events(|e| is(e, "tcp.close", pid), 2, EVENT_TIMEOUT);
    agent.wait_for_events(|e| is(e, "tcp.connect", pid), 1, EVENT_TIMEOUT);
    agent.wait_for_events(|e| is(e, "tcp.accept", pid), 1, EVENT_TIMEOUT);
    // Anything late (a duplicate) has time to show up before counting.
    agent.wait_until_idle(Duration::from_secs(1), Duration::from_secs(30));
    let ours = agent.events_matching(|e| events::pid(e) == Some(u64::from(pid)));
    let tcp: Vec<Event> = ours
        .iter()
        .filter(|e| events::name(e).starts_with("tcp."))
        .cloned()
        .collect();
    for event in &tcp {
        assert_from_workload(event, &run);
    }

    let connect = only(&tcp, "tcp.connect", "the client side");
    assert_endpoints(connect, family, client_port, server_port, "client");
    assert_eq!(
        u64_attr(connect, "thread.id"),
        Some(run.u64("client_tid")),
        "tcp.connect is the connect() caller's: {connect}"
    );

    let accept = only(&tcp, "tcp.accept", "the server side");
    assert_endpoints(accept, family, server_port, client_port, "server");
    assert_eq!(
        u64_attr(accept, "thread.id"),
        Some(run.u64("server_tid")),
        "tcp.accept is the accepting thread's: {accept}"
    );

    let closes: Vec<&Event> = tcp
        .iter()
        .filter(|e| events::name(e) == "tcp.close")
        .collect();
    assert_eq!(closes.len(), 2, "one tcp.close per side: {closes:#?}");
    let side = |role: &str| -> &Event {
        let found: Vec<&&Event> = closes
            .iter()
            .filter(|e| str_attr(e, "sonde.connection.role") == Some(role))
            .collect();
        assert_eq!(found.len(), 1, "one {role} tcp.close: {closes:#?}");
        found[0]
    };
    let lifetime_ns = run.elapsed.as_nanos() as u64;
    for (role, local, peer, sent, received) in [
        ("client", client_port, server_port, 1000, 2000),
        ("server", server_port, client_port, 2000, 1000),
    ] {
        let close = side(role);
        assert_endpoints(close, family, local, peer, role);
        let attr = |key| u64_attr(close, key).unwrap_or_else(|| panic!("no number {key}: {close}"));
        assert_eq!(
            attr("sonde.connection.bytes_sent"),
            sent,
            "{role} bytes sent: {close}"
        );
        assert_eq!(
            attr("sonde.connection.bytes_received"),
            received,
            "{role} bytes received: {close}"
        );
        assert_eq!(
            attr("sonde.connection.retransmits"),
            0,
            "loopback retransmits: {close}"
        );
        let duration = attr("sonde.connection.duration_ns");
        assert!(
            duration > 0 && duration < lifetime_ns,
            "{role} duration {duration} ns is not within the workload's life ({lifetime_ns} ns): {close}"
        );
    }
    let unexpected: Vec<&Event> = tcp
        .iter()
        .filter(|e| !matches!(events::name(e), "tcp.connect" | "tcp.accept" | "tcp.close"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "a clean connection also produced {unexpected:#?}"
    );
    assert_only_workload_reported(&agent);
}

#[test]
fn tcp_pair_ipv4_is_reported_exactly() {
    tcp_pair_is_reported_exactly(None, "ipv4");
}

#[test]
fn tcp_pair_ipv6_is_reported_exactly() {
    tcp_pair_is_reported_exactly(Some("--ipv6"), "ipv6");
}

/// AF_INET6 sockets talking to ::ffff:127.0.0.1 carry IPv4: shown as IPv4.
#[test]
fn tcp_pair_ipv4_mapped_is_reported_as_ipv4() {
    tcp_pair_is_reported_exactly(Some("--mapped"), "ipv4");
}

#[test]
fn refused_connect_is_reported_with_its_errno() {
    let agent = Agent::start(&["--comm", WORKLOAD_COMM]);
    let run = workload().run(&["connect-refused"], WORKLOAD_TIMEOUT);
    run.assert_success();
    let (pid, port) = (run.pid, run.u64("port"));

    agent.wait_for_events(|e| is(e, "tcp.connect_failed", pid), 1, EVENT_TIMEOUT);
    agent.wait_until_idle(Duration::from_secs(1), Duration::from_secs(30));
    let ours = agent.events_matching(|e| events::pid(e) == Some(u64::from(pid)));
    let failed = only(&ours, "tcp.connect_failed", "the refused connect");
    assert_from_workload(failed, &run);
    assert_eq!(
        str_attr(failed, "network.transport"),
        Some("tcp"),
        "{failed}"
    );
    assert_eq!(str_attr(failed, "network.type"), Some("ipv4"), "{failed}");
    assert_eq!(
        str_attr(failed, "network.peer.address"),
        Some("127.0.0.1"),
        "{failed}"
    );
    assert_eq!(
        u64_attr(failed, "network.peer.port"),
        Some(port),
        "{failed}"
    );
    assert_eq!(
        str_attr(failed, "error.type"),
        Some("ECONNREFUSED"),
        "{failed}"
    );
    assert_eq!(u64_attr(failed, "sonde.errno"), Some(111), "{failed}");
    assert_eq!(
        u64_attr(failed, "thread.id"),
        Some(run.u64("tid")),
        "{failed}"
    );
    let connects: Vec<&Event> = ours
        .iter()
        .filter(|e| matches!(events::name(e), "tcp.connect" | "tcp.accept"))
        .collect();
    assert!(
        connects.is_empty(),
        "a refused connect is no connection: {connects:#?}"
    );
    assert_only_workload_reported(&agent);
}

/// The server closes with SO_LINGER 0: the kernel moves its socket to CLOSE and
/// only then sends the RST, which must still be reported as `tcp.reset_sent`;
/// the client's `tcp.reset_received` carries the state it was in. Both carry
/// `sonde.tcp.state`.
#[test]
fn resets_are_reported_on_both_sides() {
    let agent = Agent::start(&["--comm", WORKLOAD_COMM]);
    let run = workload().run(&["tcp-reset"], WORKLOAD_TIMEOUT);
    run.assert_success();
    let pid = run.pid;
    let (client_port, server_port) = (run.u64("client_port"), run.u64("server_port"));

    // Both sides close; by then both resets have happened.
    agent.wait_for_events(|e| is(e, "tcp.close", pid), 2, EVENT_TIMEOUT);
    agent.wait_until_idle(Duration::from_secs(1), Duration::from_secs(30));
    let ours = agent.events_matching(|e| events::pid(e) == Some(u64::from(pid)));

    // Collect every discrepancy so that one run shows them all.
    let mut problems = Vec::new();
    for (name, what, local, peer, tid) in [
        (
            "tcp.reset_sent",
            "the server's SO_LINGER 0 close",
            server_port,
            client_port,
            "server_tid",
        ),
        (
            "tcp.reset_received",
            "the client getting the RST",
            client_port,
            server_port,
            "client_tid",
        ),
    ] {
        let found: Vec<&Event> = ours.iter().filter(|e| events::name(e) == name).collect();
        let [event] = found[..] else {
            problems.push(format!(
                "expected one {name} ({what}), got {}: {found:#?}",
                found.len()
            ));
            continue;
        };
        assert_from_workload(event, &run);
        let checks = [
            (
                "network.type",
                str_attr(event, "network.type") == Some("ipv4"),
            ),
            (
                "network.local.port",
                u64_attr(event, "network.local.port") == Some(local),
            ),
            (
                "network.peer.port",
                u64_attr(event, "network.peer.port") == Some(peer),
            ),
            (
                "thread.id",
                u64_attr(event, "thread.id") == Some(run.u64(tid)),
            ),
            (
                "sonde.tcp.state",
                str_attr(event, "sonde.tcp.state").is_some_and(|s| !s.is_empty()),
            ),
        ];
        for (key, ok) in checks {
            if !ok {
                problems.push(format!("{name}: wrong or missing {key}: {event}"));
            }
        }
    }
    assert!(problems.is_empty(), "resets:\n  {}", problems.join("\n  "));
}
