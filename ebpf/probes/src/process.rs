//! Process exec and exit.

use aya_ebpf::{
    helpers::bpf_probe_read_kernel_str_bytes, macros::tracepoint, programs::TracePointContext,
    EbpfContext,
};
use sonde_common::{EventKind, ProcessEvent, FIELD_ABSENT};

use crate::{config::conf, counters, emit, kernel, maps::EVENTS, task};

/// sched:sched_process_exec
#[tracepoint]
pub fn sonde_proc_exec(ctx: TracePointContext) -> u32 {
    let _ = try_exec(&ctx);
    0
}

/// sched:sched_process_exit
#[tracepoint]
pub fn sonde_proc_exit(ctx: TracePointContext) -> u32 {
    let _ = try_exit(&ctx);
    0
}

fn try_exec(ctx: &TracePointContext) -> Result<(), i64> {
    let current = task::current();
    if !task::is_observed(&current) {
        return Ok(());
    }
    // A __data_loc field: offset of the string in the record (low 16 bits).
    // SAFETY: bpf_probe_read within the tracepoint record.
    let location: u32 = unsafe { ctx.read_at(conf!(fields.exec_filename) as usize)? };
    let filename = (ctx.as_ptr() as u64 + (location & 0xffff) as u64) as *const u8;
    emit_process(EventKind::ProcessExec, current, 0, filename);
    Ok(())
}

fn try_exit(ctx: &TracePointContext) -> Result<(), i64> {
    // Once per process: when its last thread exits, or (kernels without
    // group_dead) when its leader does.
    let current = task::current();
    let group_dead_offset = conf!(fields.exit_group_dead);
    let process_ends = if group_dead_offset == FIELD_ABSENT {
        current.tid == current.tgid
    } else {
        // SAFETY: bpf_probe_read within the tracepoint record.
        unsafe { ctx.read_at::<u8>(group_dead_offset as usize)? != 0 }
    };
    if !process_ends {
        return Ok(());
    }
    if !task::is_observed(&current) {
        return Ok(());
    }
    emit_process(
        EventKind::ProcessExit,
        current,
        kernel::exit_code(),
        core::ptr::null(),
    );
    Ok(())
}

#[inline(always)]
fn emit_process(
    kind: EventKind,
    current: sonde_common::TaskInfo,
    exit_status: u32,
    filename: *const u8,
) {
    counters::seen(kind);
    let Some(mut entry) = EVENTS.reserve::<ProcessEvent>(0) else {
        counters::ringbuf_full(kind);
        return;
    };
    let event = entry.as_mut_ptr();
    // SAFETY: `event` points to a reserved, writable ring-buffer slot.
    unsafe {
        (*event).header = emit::header(kind, current, emit::now());
        (*event).ppid = kernel::parent_tgid();
        (*event).exit_status = exit_status;
        (*event).filename[0] = 0;
        if !filename.is_null() {
            let _ = bpf_probe_read_kernel_str_bytes(filename, &mut (*event).filename);
        }
    }
    entry.submit(emit::wakeup_flags());
}
