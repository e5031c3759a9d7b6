//! How the agent's threads compete for CPU with the services it observes.
//!
//! The agent's work is not latency-sensitive: events wait in the ring
//! buffer, and a drain handles a few hundred at once. Under the default
//! policy, each drain's wakeup may preempt a request being served on that
//! CPU, which then waits the whole burst out: that showed as a longer p99 of
//! the observed service. `SCHED_BATCH` keeps the agent's fair share of CPU
//! (same weight, same nice level: it cannot starve and drop events) but its
//! wakeups never preempt a running task; the scheduler runs it at the next
//! tick or when a CPU frees up.

/// Puts the calling thread, and the threads it creates from now on, under
/// `SCHED_BATCH`. A failure (a seccomp profile refusing sched_setscheduler,
/// say) leaves the default policy and is logged: it costs latency, not
/// function.
pub fn yield_to_observed_services() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain syscall on the calling thread (pid 0) with a valid,
    // initialised sched_param that outlives the call.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
    if rc != 0 {
        let error = std::io::Error::last_os_error();
        tracing::warn!(%error, "cannot switch to SCHED_BATCH; the agent's wakeups may preempt observed services");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_created_after_inherit_the_batch_policy() {
        let policy = std::thread::spawn(|| {
            yield_to_observed_services();
            std::thread::spawn(|| {
                // SAFETY: query of the calling thread's policy.
                unsafe { libc::sched_getscheduler(0) }
            })
            .join()
            .expect("thread")
        })
        .join()
        .expect("thread");
        assert_eq!(policy, libc::SCHED_BATCH);
    }
}
