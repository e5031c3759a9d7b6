//! CPU time of this process and of one of its threads, from /proc.

use std::fs;
use std::time::Duration;

/// CPU time a thread of this process named `name` has run, from
/// `/proc/self/task/TID/schedstat` (nanoseconds on a CPU); None when no
/// thread has that name.
pub fn of_thread(name: &str) -> Option<Duration> {
    let tasks = fs::read_dir("/proc/self/task").ok()?;
    for task in tasks.flatten() {
        let path = task.path();
        let Ok(comm) = fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim_end() == name {
            let schedstat = fs::read_to_string(path.join("schedstat")).ok()?;
            return run_time(&schedstat);
        }
    }
    None
}

/// CPU time of the whole process (every thread, user and system).
pub fn of_process() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: a valid `who` and a valid out pointer.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The first field of a schedstat line: nanoseconds spent on a CPU.
fn run_time(schedstat: &str) -> Option<Duration> {
    let ns = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_run_time_of_a_schedstat_line() {
        assert_eq!(
            run_time("1500000 3514997 12\n"),
            Some(Duration::from_micros(1500))
        );
        assert_eq!(run_time(""), None);
        assert_eq!(run_time("x 1 2"), None);
    }

    #[test]
    fn finds_a_named_thread() {
        let thread = std::thread::Builder::new()
            .name("cpu-probe-test".into())
            .spawn(|| {
                let start = std::time::Instant::now();
                while start.elapsed() < Duration::from_millis(30) {}
                of_thread("cpu-probe-test")
            })
            .unwrap();
        let time = thread.join().unwrap().expect("the thread is found");
        assert!(time >= Duration::from_millis(10), "{time:?}");
        assert_eq!(of_thread("no-such-thread"), None);
        assert!(of_process() >= time);
    }
}
