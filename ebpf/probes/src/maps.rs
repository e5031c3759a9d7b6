//! Maps shared by the programs.

use aya_ebpf::{
    macros::map,
    maps::{LruHashMap, PerCpuArray, RingBuf},
};
use sonde_common::{ConnInfo, COUNTER_SLOTS};

/// Events to the agent. The agent sets the size at load (`--ring-buffer-mib`).
#[map]
pub static EVENTS: RingBuf = RingBuf::with_byte_size(8 << 20, 0);

/// TCP connections being tracked, keyed by `struct sock *`. LRU so that
/// connections whose close we never see cannot fill it for good.
#[map]
pub static CONNS: LruHashMap<u64, ConnInfo> = LruHashMap::with_max_entries(65_536, 0);

/// Per-CPU counters, slots defined in `sonde_common::counters`.
#[map]
pub static COUNTERS: PerCpuArray<u64> = PerCpuArray::with_max_entries(COUNTER_SLOTS, 0);
