//! Steady load: GET /hello on keep-alive connections at a fixed total rate,
//! with the client's own record of when each answer came back.

use std::{
    thread,
    time::{Duration, Instant, SystemTime},
};

use sonde_tests::{
    client::{Conn, Request},
    django::Server,
};

/// What the client did: when each request was answered (all with 200).
#[derive(Debug)]
pub struct Load {
    pub started: SystemTime,
    pub ended: SystemTime,
    /// Wall-clock time of each answer, in no particular order.
    pub answered: Vec<SystemTime>,
}

impl Load {
    /// Requests answered.
    pub fn total(&self) -> usize {
        self.answered.len()
    }

    /// Requests per second over the whole run, by the client's clock.
    pub fn rate(&self) -> f64 {
        let seconds = self
            .ended
            .duration_since(self.started)
            .expect("the load ended after it started")
            .as_secs_f64();
        self.total() as f64 / seconds
    }

    /// Requests per second answered within `(end - window, end]`.
    pub fn rate_within(&self, end: SystemTime, window: Duration) -> f64 {
        let start = end - window;
        let count = self
            .answered
            .iter()
            .filter(|&&t| t > start && t <= end)
            .count();
        count as f64 / window.as_secs_f64()
    }
}

/// Sends GET /hello to `server` from `threads` keep-alive connections, each
/// paced to `rate / threads` per second, for `duration`. A thread that falls
/// behind catches up without a burst limit, so the total stays close to
/// `rate × duration` while the server keeps up. Panics on any failed or
/// unexpected answer.
pub fn steady(server: &Server, rate: f64, duration: Duration, threads: usize) -> Load {
    let interval = Duration::from_secs_f64(threads as f64 / rate);
    let started = SystemTime::now();
    let start = Instant::now();
    let answered = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                // Spread the threads over one interval.
                let offset = interval.mul_f64(t as f64 / threads as f64);
                scope.spawn(move || paced(server, start + offset, interval, start + duration))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a load thread panicked"))
            .collect()
    });
    Load {
        started,
        ended: SystemTime::now(),
        answered,
    }
}

/// One connection's share: a request every `interval` from `first` until `end`.
fn paced(server: &Server, first: Instant, interval: Duration, end: Instant) -> Vec<SystemTime> {
    let request = Request::get("/hello", "/hello", 200);
    let mut answered = Vec::new();
    let mut conn: Option<Conn> = None;
    for n in 0u32.. {
        let due = first + interval * n;
        if due >= end {
            break;
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        if !conn.as_ref().is_some_and(Conn::is_open) {
            conn = Some(
                Conn::open(server.endpoint().clone(), true)
                    .unwrap_or_else(|e| panic!("connect to {}: {e}", server.endpoint())),
            );
        }
        let open = conn.as_mut().expect("a connection was just opened");
        let exchange = open.exchange(&request, true).unwrap_or_else(|e| {
            panic!(
                "GET /hello on {}: {e}; server output:\n{}",
                server.endpoint(),
                server.output()
            )
        });
        assert_eq!(
            exchange.status,
            200,
            "GET /hello: {}",
            String::from_utf8_lossy(&exchange.body)
        );
        answered.push(SystemTime::now());
    }
    answered
}
