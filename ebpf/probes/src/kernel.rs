//! Reads of kernel structs at offsets the agent resolved from BTF.

use aya_ebpf::helpers::{bpf_probe_read_kernel, gen, gen::bpf_get_current_task};

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

/// Copies `len` bytes of kernel memory at `base + offset` to `out`, which
/// may be uninitialised (no copy through a temporary, unlike [`read`]).
#[inline(always)]
pub fn read_raw(base: u64, offset: u32, out: *mut u8, len: u32) -> Result<(), ReadFailed> {
    if base == 0 {
        counters::kernel_read_failed();
        return Err(ReadFailed);
    }
    // SAFETY: the helper checks the source and fails cleanly; callers pass
    // `len` writable bytes at `out`.
    if unsafe { gen::bpf_probe_read_kernel(out.cast(), len, (base + offset as u64) as *const _) }
        < 0
    {
        counters::kernel_read_failed();
        return Err(ReadFailed);
    }
    Ok(())
}

#[inline(always)]
pub fn current_task() -> u64 {
    // SAFETY: helper without arguments.
    unsafe { bpf_get_current_task() }
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
