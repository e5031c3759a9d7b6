//! In-kernel filters: `--pid` and `--cgroup` keep exactly the processes asked for.
//! (`--comm` is checked by every test that runs with it, in tcp.rs.)

use std::{os::unix::fs::MetadataExt, path::PathBuf, time::Duration};

use sonde_tests::{
    events::{self, cgroup2_mount, is, u64_attr},
    workload::Waiting,
    Agent,
};

use crate::workload;

const TIMEOUT: Duration = Duration::from_secs(60);
const EVENT_TIMEOUT: Duration = Duration::from_secs(15);

/// Starts the agent with `agent_args`, runs another workload (which must not be
/// reported), then lets `target` go, and checks that every event printed is the
/// target's. Returns the target's events.
fn only_target_reported(target: Waiting, agent_args: &[&str]) -> Vec<events::Event> {
    let pid = target.pid();
    let agent = Agent::start(agent_args);
    let other = workload().run(&["tcp-pair", "--send", "10", "--recv", "20"], TIMEOUT);
    other.assert_success();
    target.go(TIMEOUT).assert_success();
    agent.wait_for_events(|e| is(e, "tcp.close", pid), 2, EVENT_TIMEOUT);
    agent.wait_for_events(|e| is(e, "tcp.connect", pid), 1, EVENT_TIMEOUT);
    agent.wait_for_events(|e| is(e, "process.exit", pid), 1, EVENT_TIMEOUT);
    agent.wait_until_idle(Duration::from_secs(1), Duration::from_secs(30));
    let strangers = agent.events_matching(|e| events::pid(e) != Some(u64::from(pid)));
    assert!(
        strangers.is_empty(),
        "{agent_args:?} let through {} events of other processes (the other workload is pid {}), e.g. {:#?}",
        strangers.len(),
        other.pid,
        &strangers[..strangers.len().min(5)]
    );
    agent.events_matching(|_| true)
}

#[test]
fn pid_filter_keeps_only_that_process() {
    let target = workload().spawn_waiting(&["tcp-pair", "--send", "10", "--recv", "20"]);
    let pid = target.pid().to_string();
    only_target_reported(target, &["--pid", &pid]);
}

/// A cgroup v2 directory made for one test, removed at the end.
struct Cgroup(PathBuf);

impl Cgroup {
    fn new(tag: &str) -> Self {
        let mount = cgroup2_mount().expect("no cgroup v2 hierarchy is mounted");
        let path = PathBuf::from(mount).join(format!("sonde-test-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir(&path);
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        Cgroup(path)
    }

    fn id(&self) -> u64 {
        std::fs::metadata(&self.0).expect("stat cgroup").ino()
    }

    fn enter(&self, pid: u32) {
        let procs = self.0.join("cgroup.procs");
        std::fs::write(&procs, pid.to_string())
            .unwrap_or_else(|e| panic!("move {pid} into {}: {e}", procs.display()));
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // The processes in it have exited by now, or are about to.
        for _ in 0..50 {
            if std::fs::remove_dir(&self.0).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn cgroup_filter_keeps_only_that_cgroup(by_id: bool) {
    let cgroup = Cgroup::new(if by_id { "id" } else { "path" });
    let target = workload().spawn_waiting(&["tcp-pair", "--send", "10", "--recv", "20"]);
    cgroup.enter(target.pid());
    let arg = if by_id {
        cgroup.id().to_string()
    } else {
        cgroup.0.to_str().expect("UTF-8 cgroup path").to_owned()
    };
    let events = only_target_reported(target, &["--cgroup", &arg]);
    for event in &events {
        assert_eq!(
            u64_attr(event, "sonde.cgroup.id"),
            Some(cgroup.id()),
            "{event}"
        );
    }
}

#[test]
fn cgroup_filter_by_path_keeps_only_that_cgroup() {
    cgroup_filter_keeps_only_that_cgroup(false);
}

#[test]
fn cgroup_filter_by_id_keeps_only_that_cgroup() {
    cgroup_filter_keeps_only_that_cgroup(true);
}
