//! The current task: who it is and whether the filter keeps it.

use aya_ebpf::helpers::{
    bpf_get_current_comm, bpf_get_current_pid_tgid, gen::bpf_get_current_cgroup_id,
};
use sonde_common::{TaskInfo, COMM_LEN};

use crate::config::conf;

/// Identity of the task running now.
#[inline(always)]
pub fn current() -> TaskInfo {
    let pid_tgid = bpf_get_current_pid_tgid();
    TaskInfo {
        tgid: (pid_tgid >> 32) as u32,
        tid: pid_tgid as u32,
        // SAFETY: helper without arguments.
        cgroup_id: unsafe { bpf_get_current_cgroup_id() },
        comm: bpf_get_current_comm().unwrap_or([0; COMM_LEN]),
    }
}

/// False when the task running now is certainly filtered out, judged on
/// what is cheap to ask (thread group, cgroup): callers skip building a
/// full [`TaskInfo`] for tasks the filter rejects.
#[inline(always)]
pub fn may_be_observed() -> bool {
    let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
    if tgid == conf!(filter.agent_tgid) {
        return false;
    }
    let wanted_tgid = conf!(filter.tgid);
    if wanted_tgid != 0 && tgid != wanted_tgid {
        return false;
    }
    let cgroup_id = conf!(filter.cgroup_id);
    // SAFETY: helper without arguments.
    cgroup_id == 0 || unsafe { bpf_get_current_cgroup_id() } == cgroup_id
}

/// Whether `task` passes the configured filter (and is not the agent).
#[inline(always)]
pub fn is_observed(task: &TaskInfo) -> bool {
    if task.tgid == conf!(filter.agent_tgid) {
        return false;
    }
    let tgid = conf!(filter.tgid);
    if tgid != 0 && task.tgid != tgid {
        return false;
    }
    let cgroup_id = conf!(filter.cgroup_id);
    if cgroup_id != 0 && task.cgroup_id != cgroup_id {
        return false;
    }
    if conf!(filter.has_comm) != 0 {
        let mut i = 0;
        while i < COMM_LEN {
            if task.comm[i] != conf!(filter.comm[i]) {
                return false;
            }
            i += 1;
        }
    }
    true
}

/// The current task, asked of the kernel once per program run at most: a
/// socket program needs it for the filter, the owner and event headers,
/// or not at all.
pub struct Current(Option<TaskInfo>);

impl Current {
    #[inline(always)]
    pub const fn unknown() -> Current {
        Current(None)
    }

    #[inline(always)]
    pub fn get(&mut self) -> TaskInfo {
        match self.0 {
            Some(task) => task,
            None => {
                let task = current();
                self.0 = Some(task);
                task
            }
        }
    }
}
