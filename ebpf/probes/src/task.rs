//! The current task: who it is and whether the filter keeps it.

use aya_ebpf::helpers::{
    bpf_get_current_pid_tgid,
    gen::{bpf_get_current_cgroup_id, bpf_get_current_comm},
};
use sonde_common::{TaskInfo, COMM_LEN};

use crate::config::conf;

/// Identity of the task running now.
#[inline(always)]
pub fn current() -> TaskInfo {
    let pid_tgid = bpf_get_current_pid_tgid();
    let mut task = TaskInfo {
        tgid: (pid_tgid >> 32) as u32,
        tid: pid_tgid as u32,
        // SAFETY: helper without arguments.
        cgroup_id: unsafe { bpf_get_current_cgroup_id() },
        comm: [0; COMM_LEN],
    };
    // Straight into place: a `[u8; 16]` moved around costs byte-by-byte
    // copies on this target. The helper NUL-pads, and zeroes on failure.
    // SAFETY: the helper writes at most COMM_LEN bytes to `comm`.
    unsafe { bpf_get_current_comm(task.comm.as_mut_ptr().cast(), COMM_LEN as u32) };
    task
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
    conf!(filter.has_comm) == 0 || comm_words(&task.comm) == wanted_comm()
}

/// A comm as two words, to compare it in two steps rather than sixteen.
#[inline(always)]
fn comm_words(comm: &[u8; COMM_LEN]) -> [u64; 2] {
    // SAFETY: every comm compared is a field at an 8-aligned offset of an
    // 8-aligned #[repr(C)] struct (TaskInfo, Filter).
    unsafe { core::ptr::read(comm.as_ptr().cast::<[u64; 2]>()) }
}

/// The comm of the filter, as [`comm_words`].
#[inline(always)]
fn wanted_comm() -> [u64; 2] {
    // SAFETY: as in comm_words; volatile, like `conf!`, so that the zeroed
    // initializer is not folded in.
    unsafe {
        core::ptr::read_volatile(
            core::ptr::addr_of!(crate::config::CONFIG.filter.comm).cast::<[u64; 2]>(),
        )
    }
}

/// The current task, asked of the kernel once per program run at most: a
/// socket program needs it for the filter, the owner and event headers,
/// or not at all.
pub struct Current {
    task: TaskInfo,
    known: bool,
}

impl Current {
    #[inline(always)]
    pub const fn unknown() -> Current {
        Current {
            task: TaskInfo {
                tgid: 0,
                tid: 0,
                cgroup_id: 0,
                comm: [0; COMM_LEN],
            },
            known: false,
        }
    }

    #[inline(always)]
    pub fn get(&mut self) -> TaskInfo {
        if !self.known {
            self.task = current();
            self.known = true;
        }
        self.task
    }
}
