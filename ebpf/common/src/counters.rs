//! Slots of the per-CPU `COUNTERS` array the kernel programs increment.

use crate::event::EVENT_KIND_SLOTS;

/// `COUNTER_SEEN + kind`: events of that kind the programs tried to emit.
pub const COUNTER_SEEN: u32 = 0;
/// `COUNTER_RINGBUF_FULL + kind`: events lost because the ring buffer was full.
pub const COUNTER_RINGBUF_FULL: u32 = EVENT_KIND_SLOTS;
/// Connections not tracked because the connection table was full.
pub const COUNTER_CONN_TABLE_FULL: u32 = 2 * EVENT_KIND_SLOTS;
/// Kernel memory reads that failed (a struct offset did not hold).
pub const COUNTER_KERNEL_READ_FAILED: u32 = 2 * EVENT_KIND_SLOTS + 1;
/// Number of slots in `COUNTERS`.
pub const COUNTER_SLOTS: u32 = 2 * EVENT_KIND_SLOTS + 2;
