//! Kernel timestamps (CLOCK_MONOTONIC, as bpf_ktime_get_ns) to wall-clock time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Offset between CLOCK_REALTIME and CLOCK_MONOTONIC, sampled once at start.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    realtime_minus_monotonic_ns: i128,
}

fn now_ns(clock: libc::clockid_t) -> i128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid clock id and a valid out pointer.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
}

/// CLOCK_MONOTONIC now, in the kernel programs' time base.
pub fn monotonic_now_ns() -> u64 {
    now_ns(libc::CLOCK_MONOTONIC) as u64
}

impl MonotonicClock {
    pub fn new() -> MonotonicClock {
        let monotonic = now_ns(libc::CLOCK_MONOTONIC);
        let realtime = now_ns(libc::CLOCK_REALTIME);
        MonotonicClock {
            realtime_minus_monotonic_ns: realtime - monotonic,
        }
    }

    /// Wall-clock time of a kernel timestamp.
    pub fn to_system_time(self, monotonic_ns: u64) -> SystemTime {
        let unix_ns = (monotonic_ns as i128 + self.realtime_minus_monotonic_ns).max(0);
        UNIX_EPOCH + Duration::from_nanos(unix_ns.min(u64::MAX as i128) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_now_to_now() {
        let clock = MonotonicClock::new();
        let converted = clock.to_system_time(now_ns(libc::CLOCK_MONOTONIC) as u64);
        let skew = SystemTime::now()
            .duration_since(converted)
            .unwrap_or_else(|e| e.duration());
        assert!(skew < Duration::from_millis(100), "skew {skew:?}");
    }
}
