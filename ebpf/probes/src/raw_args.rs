//! Arguments of raw tracepoints: the tracepoint's TP_PROTO, one u64 each.

use aya_ebpf::{programs::RawTracePointContext, EbpfContext};

/// Argument `index` of the raw tracepoint.
#[inline(always)]
pub fn arg(ctx: &RawTracePointContext, index: usize) -> u64 {
    // SAFETY: the context is an array of u64 arguments; the kernel refuses to
    // attach a program reading past the tracepoint's argument count.
    unsafe { *(ctx.as_ptr() as *const u64).add(index) }
}
