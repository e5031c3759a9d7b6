//! Measures where a task's saved user registers sit relative to its kernel
//! stack, so the socket programs can read a syscall's arguments.
//!
//! The agent attaches this to the `sys_exit` raw tracepoint (TP_PROTO: regs,
//! ret) for a moment, makes a syscall, reads `REGS_FROM_STACK`, detaches.

use aya_ebpf::{
    helpers::bpf_get_current_pid_tgid, macros::map, macros::raw_tracepoint, maps::Array,
    programs::RawTracePointContext,
};

use crate::{config::conf, kernel, raw_args::arg};

/// `regs - task->stack`, written once by the agent's own syscall.
#[map]
static REGS_FROM_STACK: Array<u64> = Array::with_max_entries(1, 0);

/// raw tracepoint sys_exit (load-time calibration only)
#[raw_tracepoint(tracepoint = "sys_exit")]
pub fn sonde_calibrate(ctx: RawTracePointContext) -> i32 {
    if (bpf_get_current_pid_tgid() >> 32) as u32 != conf!(filter.agent_tgid) {
        return 0;
    }
    let regs = arg(&ctx, 0);
    let Ok(stack) = kernel::read::<u64>(kernel::current_task(), conf!(kernel.task_stack)) else {
        return 0;
    };
    if let Some(slot) = REGS_FROM_STACK.get_ptr_mut(0) {
        // SAFETY: array slot; concurrent writers store the same value.
        unsafe { *slot = regs.wrapping_sub(stack) };
    }
    0
}
