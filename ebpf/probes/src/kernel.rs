//! Reads of kernel structs at offsets the agent resolved from BTF.

use aya_ebpf::helpers::{bpf_probe_read_kernel, gen::bpf_get_current_task};

use crate::{config::conf, counters};

/// Error of a failed or impossible kernel read (already counted).
pub struct ReadFailed;

#[inline(always)]
pub fn read<T>(base: u64, offset: u32) -> Result<T, ReadFailed> {
    // Offsets may be 0 (fdtable.max_fds is a first member); bases may not.
    if base == 0 {
        counters::kernel_read_failed();
        return Err(ReadFailed);
    }
    // SAFETY: bpf_probe_read_kernel checks the address and fails cleanly.
    unsafe { bpf_probe_read_kernel((base + offset as u64) as *const T) }.map_err(|_| {
        counters::kernel_read_failed();
        ReadFailed
    })
}

#[inline(always)]
pub fn current_task() -> u64 {
    // SAFETY: helper without arguments.
    unsafe { bpf_get_current_task() }
}

/// `struct sock *` behind file descriptor `fd` of the current task:
/// task->files->fdt->fd[fd]->private_data (struct socket)->sk.
#[inline(always)]
pub fn sock_of_fd(fd: u32) -> Result<u64, ReadFailed> {
    let files: u64 = read(current_task(), conf!(kernel.task_files))?;
    let fdt: u64 = read(files, conf!(kernel.files_fdt))?;
    let max_fds: u32 = read(fdt, conf!(kernel.fdtable_max_fds))?;
    if fd >= max_fds {
        return Err(ReadFailed);
    }
    let fd_array: u64 = read(fdt, conf!(kernel.fdtable_fd))?;
    // SAFETY: as in `read`; the index is bounded by max_fds.
    let file: u64 = unsafe { bpf_probe_read_kernel((fd_array + fd as u64 * 8) as *const u64) }
        .map_err(|_| ReadFailed)?;
    let socket: u64 = read(file, conf!(kernel.file_private_data))?;
    read(socket, conf!(kernel.socket_sk))
}

/// Thread group id of the current task's parent.
#[inline(always)]
pub fn parent_tgid() -> u32 {
    read::<u64>(current_task(), conf!(kernel.task_real_parent))
        .and_then(|parent| read::<i32>(parent, conf!(kernel.task_tgid)))
        .map(|tgid| tgid as u32)
        .unwrap_or(0)
}

/// `exit_code` of the current task (a wait(2) status).
#[inline(always)]
pub fn exit_code() -> u32 {
    read::<i32>(current_task(), conf!(kernel.task_exit_code))
        .map(|code| code as u32)
        .unwrap_or(0)
}

/// `sk_err` of a socket: the errno a failed connect ended with.
#[inline(always)]
pub fn sock_error(sk: u64) -> i32 {
    read::<i32>(sk, conf!(kernel.sock_err)).unwrap_or(0)
}
