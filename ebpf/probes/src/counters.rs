//! Increments of the per-CPU `COUNTERS` slots.

use sonde_common::{
    EventKind, COUNTER_CONN_TABLE_FULL, COUNTER_KERNEL_READ_FAILED, COUNTER_RINGBUF_FULL,
    COUNTER_SEEN,
};

use crate::maps::COUNTERS;

#[inline(always)]
fn increment(slot: u32) {
    if let Some(value) = COUNTERS.get_ptr_mut(slot) {
        // SAFETY: per-CPU slot, only this CPU writes it while we run.
        unsafe { *value += 1 };
    }
}

/// An event of `kind` is about to be emitted.
#[inline(always)]
pub fn seen(kind: EventKind) {
    increment(COUNTER_SEEN + kind as u32);
}

/// An event of `kind` was lost: no room in the ring buffer.
#[inline(always)]
pub fn ringbuf_full(kind: EventKind) {
    increment(COUNTER_RINGBUF_FULL + kind as u32);
}

/// A connection could not be tracked.
#[inline(always)]
pub fn conn_table_full() {
    increment(COUNTER_CONN_TABLE_FULL);
}

/// A read of kernel memory failed.
#[inline(always)]
pub fn kernel_read_failed() {
    increment(COUNTER_KERNEL_READ_FAILED);
}
