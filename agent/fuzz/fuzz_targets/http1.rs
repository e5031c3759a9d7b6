//! The HTTP/1.x parser against any sequence of chunks on both sides of a
//! connection, closes included: it must not panic, and what it reports must
//! hold together (see `Checker`).
//!
//! Input: a sequence of operations. Each starts with an op byte: `0x1f` in
//! its low five bits closes the connection; otherwise bit 0 picks the side
//! (request, response), bit 1 makes the chunk only partly captured, bit 2
//! lets its `total_len` be inconsistent, bit 3 makes it as large as can be;
//! the top three bits advance the clock. Then a little-endian u16 length (capped at 4096, the kernel's
//! capture) and that many data bytes; for a partly captured chunk, a u32 of
//! uncaptured bytes, a tail length byte (up to 64) and the tail.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The agent is a binary crate: the parser is included as source. It is pure
// and depends on nothing else in the agent. Its `expect(dead_code)`s (for
// items the agent does not use yet) find nothing dead here.
#[path = "../../src/protocols/chunk.rs"]
mod chunk;
#[path = "../../src/protocols/segments.rs"]
mod segments;
#[allow(unfulfilled_lint_expectations, dead_code)]
#[path = "../../src/protocols/http1/mod.rs"]
mod http1;

use http1::{Chunk, Http1Connection, Http1Event};

fuzz_target!(|input: &[u8]| run(input));

fn run(mut input: &[u8]) {
    let mut connection = Http1Connection::new();
    let mut checker = Checker::default();
    let mut events = Vec::new();
    let mut now = 0u64;
    let mut fed = 0u64;
    while let Some((&op, rest)) = input.split_first() {
        input = rest;
        now += u64::from(op >> 5);
        if op & 0x1f == 0x1f {
            connection.close(now, &mut events);
            checker.check(&mut events);
            checker.all_reported();
            continue;
        }
        let len = usize::from(take_u16(&mut input)).min(4096).min(input.len());
        let (data, rest) = input.split_at(len);
        input = rest;
        let (total_len, tail) = if op & 2 != 0 {
            let missing = if op & 8 != 0 {
                usize::MAX - data.len()
            } else {
                take_u32(&mut input) as usize
            };
            let tail_len = usize::from(take_u8(&mut input) % 65).min(input.len());
            let (tail, rest) = input.split_at(tail_len);
            input = rest;
            let total_len = if op & 4 != 0 {
                missing % (data.len() + 1)
            } else {
                data.len() + missing
            };
            (total_len, tail)
        } else {
            (data.len(), &[][..])
        };
        let chunk = Chunk {
            data,
            total_len,
            tail,
            timestamp_ns: now,
            tid: u32::from(op & 1),
        };
        fed = fed.saturating_add(total_len.max(data.len()) as u64);
        if op & 1 == 0 {
            connection.feed_request_side(&chunk, &mut events);
        } else {
            connection.feed_response_side(&chunk, &mut events);
        }
        checker.check(&mut events);
    }
    connection.close(now, &mut events);
    checker.check(&mut events);
    checker.all_reported();
    // What was skipped was fed.
    assert!(connection.stats().bytes_skipped <= fed);
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

fn take_u8(input: &mut &[u8]) -> u8 {
    match input.split_first() {
        Some((&byte, rest)) => {
            *input = rest;
            byte
        }
        None => 0,
    }
}

fn take_u16(input: &mut &[u8]) -> u16 {
    u16::from_le_bytes([take_u8(input), take_u8(input)])
}

fn take_u32(input: &mut &[u8]) -> u32 {
    u32::from_le_bytes([
        take_u8(input),
        take_u8(input),
        take_u8(input),
        take_u8(input),
    ])
}
