//! Reading the kernel programs' per-CPU `COUNTERS` and each program's run
//! statistics.

use std::os::fd::AsFd;
use std::sync::Mutex;

use aya::maps::{MapData, PerCpuArray};
use aya::programs::ProgramFd;
use sonde_common::{
    COUNTER_CONN_TABLE_FULL, COUNTER_KERNEL_READ_FAILED, COUNTER_RINGBUF_FULL, COUNTER_SEEN,
    EVENT_KIND_SLOTS,
};

use super::program_stats::program_stats;
use crate::telemetry::{KernelCounterSource, KernelCounters};

/// The `COUNTERS` map, summed over CPUs when read, and the attached programs,
/// whose run statistics (`recursion_misses` above all) are read alongside.
pub struct KernelCounterMap {
    map: Mutex<PerCpuArray<MapData, u64>>,
    programs: Vec<(&'static str, ProgramFd)>,
}

impl KernelCounterMap {
    /// `programs` are the attached programs by name, each with its own fd
    /// (a `try_clone` of the program's), in the order /metrics lists them.
    pub fn new(
        map: PerCpuArray<MapData, u64>,
        programs: Vec<(&'static str, ProgramFd)>,
    ) -> KernelCounterMap {
        KernelCounterMap {
            map: Mutex::new(map),
            programs,
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
        drop(map);
        let n = self.programs.len();
        counters.missed_runs = Vec::with_capacity(n);
        counters.runs = Vec::with_capacity(n);
        counters.run_time_ns = Vec::with_capacity(n);
        for (name, fd) in &self.programs {
            let stats = program_stats(fd.as_fd())
                .map_err(|e| format!("reading the run statistics of {name}: {e}"))?;
            counters.missed_runs.push((*name, stats.recursion_misses));
            counters.runs.push((*name, stats.run_count));
            counters.run_time_ns.push((*name, stats.run_time_ns));
        }
        Ok(counters)
    }
}
