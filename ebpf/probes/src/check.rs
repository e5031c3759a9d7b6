//! Do-nothing programs `sonde check` loads and attaches to learn which program
//! types this kernel allows.

use aya_ebpf::{
    macros::{fentry, kprobe, perf_event, raw_tracepoint, tracepoint, uprobe},
    programs::{
        FEntryContext, PerfEventContext, ProbeContext, RawTracePointContext, TracePointContext,
    },
};

/// syscalls:sys_enter_getppid
#[tracepoint]
pub fn sonde_chk_tp(_ctx: TracePointContext) -> u32 {
    0
}

/// raw tracepoint sched_switch
#[raw_tracepoint(tracepoint = "sched_switch")]
pub fn sonde_chk_rawtp(_ctx: RawTracePointContext) -> i32 {
    0
}

/// software cpu-clock perf event
#[perf_event]
pub fn sonde_chk_perf(_ctx: PerfEventContext) -> u32 {
    0
}

/// uprobe on a function of the sonde binary itself
#[uprobe]
pub fn sonde_chk_uprobe(_ctx: ProbeContext) -> u32 {
    0
}

/// kprobe on a kernel function
#[kprobe]
pub fn sonde_chk_kprobe(_ctx: ProbeContext) -> u32 {
    0
}

/// fentry on do_unlinkat
#[fentry(function = "do_unlinkat")]
pub fn sonde_chk_fentry(_ctx: FEntryContext) -> i32 {
    0
}
