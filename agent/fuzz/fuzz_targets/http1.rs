//! The HTTP/1.x parser against any sequence of chunks on both sides of a
//! connection, closes included: it must not panic, and what it reports must
//! hold together (see `Checker`).
//!
//! Input: operations on the connection, as `common/ops.rs` decodes them.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The parser is included as source. It is pure and depends on nothing else
// in the agent but the shared text type of what it reports (`events`). Its
// `expect(dead_code)`s (for items the agent does not use yet) find nothing
// dead here.
#[path = "../../src/protocols/chunk.rs"]
mod chunk;
#[allow(dead_code)]
#[path = "../../src/events"]
mod events {
    #[path = "text.rs"]
    pub mod text;
    #[path = "text_memo.rs"]
    pub mod text_memo;
    pub use text::Text;
}
#[allow(unfulfilled_lint_expectations, dead_code)]
#[path = "../../src/protocols/http1/mod.rs"]
mod http1;
#[path = "../../src/protocols/segments.rs"]
mod segments;
// The input format, shared by the parsers' targets.
#[path = "common/ops.rs"]
mod ops;

use http1::{Http1Connection, Http1Event};
use ops::{Op, Ops};

fuzz_target!(|input: &[u8]| run(input));

fn run(input: &[u8]) {
    let mut connection = Http1Connection::new();
    let mut checker = Checker::default();
    let mut events = Vec::new();
    let mut ops = Ops::new(input);
    for op in ops.by_ref() {
        match op {
            Op::Close { now } => {
                connection.close(now, &mut events);
                checker.check(&mut events);
                checker.all_reported();
            }
            Op::Chunk { client, chunk } => {
                if client {
                    connection.feed_request_side(&chunk, &mut events);
                } else {
                    connection.feed_response_side(&chunk, &mut events);
                }
                checker.check(&mut events);
            }
        }
    }
    connection.close(ops.now(), &mut events);
    checker.check(&mut events);
    checker.all_reported();
    // What was skipped was fed.
    assert!(connection.stats().bytes_skipped <= ops.fed());
}

/// What the events must satisfy: requests numbered 0, 1, 2...; each
/// reported once by an exchange, in order; times in order (the clock only
/// moves forward here); a complete response has an end and a thread.
#[derive(Default)]
struct Checker {
    started: u64,
    reported: u64,
}

impl Checker {
    fn check(&mut self, events: &mut Vec<Http1Event>) {
        for event in events.drain(..) {
            match event {
                Http1Event::RequestStarted { sequence, .. } => {
                    assert_eq!(sequence, self.started, "requests are numbered in order");
                    self.started += 1;
                }
                Http1Event::Exchange(exchange) => {
                    assert_eq!(exchange.sequence, self.reported, "exchanges come in order");
                    assert!(self.reported < self.started, "reported before it started");
                    self.reported += 1;
                    assert!(exchange.request_start_ns <= exchange.request_end_ns);
                    if let (Some(start), Some(end)) =
                        (exchange.response_start_ns, exchange.response_end_ns)
                    {
                        assert!(start <= end);
                        assert!(exchange.request_start_ns <= start);
                    }
                    assert_eq!(
                        exchange.response_end_ns.is_some(),
                        exchange.response_tid.is_some()
                    );
                    if exchange.error.is_none() {
                        assert!(exchange.response_end_ns.is_some(), "{exchange:?}");
                        assert!(exchange.status.is_some(), "{exchange:?}");
                    }
                }
            }
        }
    }

    /// After a close, every started request was reported.
    fn all_reported(&self) {
        assert_eq!(
            self.started, self.reported,
            "a started request was never reported"
        );
    }
}
