//! The current task: who it is and whether the filter keeps it.

use aya_ebpf::helpers::{
    bpf_get_current_pid_tgid,
    gen::{bpf_get_current_cgroup_id, bpf_get_current_comm},
};
use core::mem::MaybeUninit;

use sonde_common::{TaskInfo, COMM_LEN};

use crate::config::conf;

/// Identity of the task running now.
#[inline(always)]
pub fn current() -> TaskInfo {
    Current::unknown().get()
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

/// The current task, asked of the kernel once per program run at most,
/// piece by piece: a socket program needs its thread group and cgroup for
/// the filter, all of it for an owner or an event header, or nothing.
///
/// Only `known` is initialised up front: zeroing the whole struct at every
/// program run cost a call to this target's byte-by-byte memset.
pub struct Current {
    /// `KNOWN_*` bits: which of the fields below hold a value.
    known: u64,
    pid_tgid: MaybeUninit<u64>,
    cgroup_id: MaybeUninit<u64>,
    task: MaybeUninit<TaskInfo>,
}

const KNOWN_PID_TGID: u64 = 1;
const KNOWN_CGROUP: u64 = 2;
const KNOWN_TASK: u64 = 4;

impl Current {
    #[inline(always)]
    pub fn unknown() -> Current {
        // Not a struct literal: the uninitialised fields of a constant end
        // up zeroed (with memset) all the same.
        let mut current = MaybeUninit::<Current>::uninit();
        // SAFETY: `known` written; every other field is a MaybeUninit.
        unsafe {
            core::ptr::addr_of_mut!((*current.as_mut_ptr()).known).write(0);
            current.assume_init()
        }
    }

    #[inline(always)]
    fn pid_tgid(&mut self) -> u64 {
        if self.known & KNOWN_PID_TGID == 0 {
            self.pid_tgid.write(bpf_get_current_pid_tgid());
            self.known |= KNOWN_PID_TGID;
        }
        // SAFETY: written above or before.
        unsafe { self.pid_tgid.assume_init() }
    }

    #[inline(always)]
    fn cgroup_id(&mut self) -> u64 {
        if self.known & KNOWN_CGROUP == 0 {
            // SAFETY: helper without arguments.
            self.cgroup_id.write(unsafe { bpf_get_current_cgroup_id() });
            self.known |= KNOWN_CGROUP;
        }
        // SAFETY: written above or before.
        unsafe { self.cgroup_id.assume_init() }
    }

    /// False when the task is certainly filtered out, judged on what is
    /// cheap to ask (thread group, cgroup): callers skip building a full
    /// [`TaskInfo`] for tasks the filter rejects. What it asks is kept for
    /// [`Current::get`].
    #[inline(always)]
    pub fn may_be_observed(&mut self) -> bool {
        let tgid = (self.pid_tgid() >> 32) as u32;
        if tgid == conf!(filter.agent_tgid) {
            return false;
        }
        let wanted_tgid = conf!(filter.tgid);
        if wanted_tgid != 0 && tgid != wanted_tgid {
            return false;
        }
        let cgroup_id = conf!(filter.cgroup_id);
        cgroup_id == 0 || self.cgroup_id() == cgroup_id
    }

    #[inline(always)]
    pub fn get(&mut self) -> TaskInfo {
        if self.known & KNOWN_TASK == 0 {
            let pid_tgid = self.pid_tgid();
            let cgroup_id = self.cgroup_id();
            let task = self.task.as_mut_ptr();
            // SAFETY: `task` points to this struct's own storage. The comm
            // goes straight into place (a `[u8; 16]` moved around costs
            // byte-by-byte copies on this target); the helper writes all
            // COMM_LEN bytes, NUL-padded, zeroes on failure.
            unsafe {
                (*task).tgid = (pid_tgid >> 32) as u32;
                (*task).tid = pid_tgid as u32;
                (*task).cgroup_id = cgroup_id;
                bpf_get_current_comm((*task).comm.as_mut_ptr().cast(), COMM_LEN as u32);
            }
            self.known |= KNOWN_TASK;
        }
        // SAFETY: every field written above.
        unsafe { self.task.assume_init() }
    }
}
