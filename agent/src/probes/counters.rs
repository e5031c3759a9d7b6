//! Reading the kernel programs' per-CPU `COUNTERS`.

use std::sync::Mutex;

use aya::maps::{MapData, PerCpuArray};
use sonde_common::{
    COUNTER_CONN_TABLE_FULL, COUNTER_KERNEL_READ_FAILED, COUNTER_RINGBUF_FULL, COUNTER_SEEN,
    EVENT_KIND_SLOTS,
};

use crate::telemetry::{KernelCounterSource, KernelCounters};

/// The `COUNTERS` map, summed over CPUs when read.
pub struct KernelCounterMap {
    map: Mutex<PerCpuArray<MapData, u64>>,
}

impl KernelCounterMap {
    pub fn new(map: PerCpuArray<MapData, u64>) -> KernelCounterMap {
        KernelCounterMap {
            map: Mutex::new(map),
        }
    }

    fn slot(map: &PerCpuArray<MapData, u64>, slot: u32) -> Result<u64, String> {
        let per_cpu = map
            .get(&slot, 0)
            .map_err(|e| format!("reading kernel counter {slot}: {e}"))?;
        Ok(per_cpu.iter().sum())
    }
}

impl KernelCounterSource for KernelCounterMap {
    fn read(&self) -> Result<KernelCounters, String> {
        let map = self
            .map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut counters = KernelCounters::default();
        for kind in 0..EVENT_KIND_SLOTS {
            counters.seen[kind as usize] = Self::slot(&map, COUNTER_SEEN + kind)?;
            counters.ringbuf_full[kind as usize] = Self::slot(&map, COUNTER_RINGBUF_FULL + kind)?;
        }
        counters.conn_table_full = Self::slot(&map, COUNTER_CONN_TABLE_FULL)?;
        counters.kernel_read_failed = Self::slot(&map, COUNTER_KERNEL_READ_FAILED)?;
        Ok(counters)
    }
}
