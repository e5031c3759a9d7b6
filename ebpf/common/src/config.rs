//! Load-time configuration of the kernel programs, set by the agent as the
//! read-only global `CONFIG` before the programs are loaded.
//!
//! Offsets are never guessed: tracepoint field offsets come from the
//! tracepoint's `format` file, kernel struct offsets from the kernel's BTF.

use crate::event::COMM_LEN;

/// Which processes to report. Zero / empty fields match everything.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this thread group, when non-zero.
    pub tgid: u32,
    /// Non-zero when `comm` must match.
    pub has_comm: u32,
    /// Only tasks whose comm equals this (NUL padded).
    pub comm: [u8; COMM_LEN],
    /// Only tasks in this cgroup v2, when non-zero.
    pub cgroup_id: u64,
    /// The agent itself, never reported.
    pub agent_tgid: u32,
    pub _pad: u32,
}

/// Field offsets of `sock:inet_sock_set_state`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetStateFields {
    pub skaddr: u32,
    pub oldstate: u32,
    pub newstate: u32,
    pub sport: u32,
    pub dport: u32,
    pub family: u32,
    pub protocol: u32,
    pub saddr: u32,
    pub daddr: u32,
    pub saddr_v6: u32,
    pub daddr_v6: u32,
}

/// Field offsets of `sock:sock_send_length` / `sock:sock_recv_length`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockLengthFields {
    pub sk: u32,
    pub family: u32,
    pub protocol: u32,
    pub ret: u32,
    pub flags: u32,
}

/// Field offsets of the other tracepoints the programs read.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TracepointFields {
    pub set_state: SetStateFields,
    pub sock_length: SockLengthFields,
    /// `skaddr` of `tcp:tcp_retransmit_skb`.
    pub retransmit_skaddr: u32,
    /// `skaddr` and `state` of `tcp:tcp_send_reset`.
    pub send_reset_skaddr: u32,
    pub send_reset_state: u32,
    /// `skaddr` of `tcp:tcp_receive_reset`.
    pub receive_reset_skaddr: u32,
    /// `ret` of `syscalls:sys_exit_accept4` (shared by every sys_exit_*).
    pub sys_exit_ret: u32,
    /// `filename` (a `__data_loc`) of `sched:sched_process_exec`.
    pub exec_filename: u32,
    /// `group_dead` of `sched:sched_process_exit`.
    pub exit_group_dead: u32,
    pub _pad: u32,
}

/// Offsets of kernel struct members, from BTF.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelOffsets {
    pub task_files: u32,
    pub task_real_parent: u32,
    pub task_tgid: u32,
    pub task_exit_code: u32,
    pub files_fdt: u32,
    pub fdtable_max_fds: u32,
    pub fdtable_fd: u32,
    pub file_private_data: u32,
    pub socket_sk: u32,
    pub sock_err: u32,
}

/// Everything the kernel programs are told at load time.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProbeConfig {
    pub filter: Filter,
    pub fields: TracepointFields,
    pub kernel: KernelOffsets,
}

impl ProbeConfig {
    /// All zeroes; what the kernel side starts from before the agent sets it.
    pub const fn zeroed() -> ProbeConfig {
        // SAFETY: every field is an integer or an array of integers.
        unsafe { core::mem::zeroed() }
    }
}

#[cfg(feature = "user")]
mod pod {
    // SAFETY: plain #[repr(C)] data without implicit padding.
    unsafe impl aya::Pod for super::ProbeConfig {}
}
