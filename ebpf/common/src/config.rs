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

/// Offset of a tracepoint field this kernel does not have.
pub const FIELD_ABSENT: u32 = u32::MAX;

/// Field offsets of the tracepoints read as tracepoints (the TCP programs
/// are raw tracepoints and read `struct sock` through [`KernelOffsets`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TracepointFields {
    /// `filename` (a `__data_loc`) of `sched:sched_process_exec`.
    pub exec_filename: u32,
    /// `group_dead` of `sched:sched_process_exit` (kernels ≥ 6.16), or
    /// [`FIELD_ABSENT`]: then a process's exit is its leader thread's.
    pub exit_group_dead: u32,
}

/// Offsets of kernel struct members, from BTF.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelOffsets {
    pub task_real_parent: u32,
    pub task_tgid: u32,
    pub task_exit_code: u32,
    pub sock_err: u32,
    /// `sock.sk_protocol` (u16).
    pub sock_protocol: u32,
    /// `sock.__sk_common.skc_family` (u16).
    pub sock_family: u32,
    /// `sock.__sk_common.skc_state` (u8).
    pub sock_state: u32,
    /// `inet_sock.inet_sport`: local port, network order (u16). Not
    /// `skc_num`, which is cleared when a closing socket is unhashed.
    pub inet_sport: u32,
    /// `sock.__sk_common.skc_dport`: remote port, network order (u16).
    pub sock_dport: u32,
    /// `sock.__sk_common.skc_rcv_saddr`: local IPv4 address.
    pub sock_rcv_saddr: u32,
    /// `sock.__sk_common.skc_daddr`: remote IPv4 address.
    pub sock_daddr: u32,
    /// `sock.__sk_common.skc_v6_rcv_saddr`: local IPv6 address.
    pub sock_v6_rcv_saddr: u32,
    /// `sock.__sk_common.skc_v6_daddr`: remote IPv6 address.
    pub sock_v6_daddr: u32,
    /// `sock.sk_type` (u16): SOCK_STREAM, ...
    pub sock_type: u32,
    /// `sock.sk_socket`: the `struct socket *`.
    pub sock_socket: u32,
    /// From a `struct socket` to its inode's `i_ino` (`socket_alloc`
    /// holds the socket, then the inode).
    pub socket_ino: u32,
    /// `task_struct.stack`.
    pub task_stack: u32,
    /// `unix_sock.addr`: the socket's bound `struct unix_address *`.
    pub unix_addr: u32,
    /// `unix_sock.peer`: the connected peer's `struct sock *`.
    pub unix_peer: u32,
    /// From a `struct unix_address` to its `sun_path`.
    pub unix_address_path: u32,
    pub _pad: u32,
}

/// Where a task's saved user registers are, to read the syscall's arguments.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyscallRegs {
    /// `pt_regs` = `task->stack` + this (measured at load time); 0 when
    /// unknown, which turns payload capture off.
    pub from_stack: u64,
    /// Offsets in `struct pt_regs` of the syscall number and first arguments.
    pub nr: u32,
    pub arg0: u32,
    pub arg1: u32,
    pub arg2: u32,
}

/// Syscall numbers (of the agent's architecture) whose payload is copied.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyscallNumbers {
    pub read: u32,
    pub write: u32,
    pub readv: u32,
    pub writev: u32,
    pub recvfrom: u32,
    pub sendto: u32,
    pub recvmsg: u32,
    pub sendmsg: u32,
}

/// Payload capture settings.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureConfig {
    /// Bytes copied from the start of each read or write (≤ CAPTURE_MAX);
    /// 0 turns capture off.
    pub max_bytes: u32,
    pub _pad: u32,
    pub regs: SyscallRegs,
    pub syscalls: SyscallNumbers,
}

/// Everything the kernel programs are told at load time.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProbeConfig {
    pub filter: Filter,
    pub fields: TracepointFields,
    pub kernel: KernelOffsets,
    pub capture: CaptureConfig,
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

// The kernel and the agent must agree on these layouts to the byte; a size
// change without a matching field change means implicit padding crept in.
const _: () = assert!(core::mem::size_of::<ProbeConfig>() == 200);
