//! The PostgreSQL parser against any sequence of chunks on both sides of a
//! connection, closes included: it must not panic, and what it reports must
//! hold together (see `Checker`).
//!
//! Input: a sequence of operations. Each starts with an op byte: `0x1f` in
//! its low five bits closes the connection; otherwise bit 0 picks the side
//! (client, server), bit 1 makes the chunk only partly captured, bit 2
//! lets its `total_len` be inconsistent, bit 3 makes it as large as can be;
//! the top three bits advance the clock. Then a little-endian u16 length
//! (capped at 4096, the kernel's capture) and that many data bytes; for a
//! partly captured chunk, a u32 of uncaptured bytes, a tail length byte (up
//! to 64) and the tail.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The agent is a binary crate: the parser is included as source. It is pure
// and depends on nothing else in the agent. Its `expect`s (for items the
// agent does not use yet) find nothing to expect here.
#[path = "../../src/protocols/chunk.rs"]
mod chunk;
#[allow(dead_code)]
#[path = "../../src/protocols/segments.rs"]
mod segments;
#[allow(dead_code)]
#[path = "../../src/protocols/db.rs"]
mod db;
#[allow(unfulfilled_lint_expectations)]
#[path = "../../src/protocols/postgres/mod.rs"]
mod postgres;
#[path = "../../src/protocols/sql/mod.rs"]
mod sql;

use chunk::Chunk;
use db::DbEvent;
use postgres::{looks_like_client_start, PostgresConnection};

fuzz_target!(|input: &[u8]| run(input));

fn run(mut input: &[u8]) {
    let _ = looks_like_client_start(input);
    let mut connection = PostgresConnection::new();
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
            // The next connection numbers its calls from 0.
            checker.reported = 0;
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
            connection.feed_client(&chunk, &mut events);
        } else {
            connection.feed_server(&chunk, &mut events);
        }
        checker.check(&mut events);
    }
    connection.close(now, &mut events);
    checker.check(&mut events);
    // What was skipped was fed.
    assert!(connection.stats().bytes_skipped <= fed);
}

/// What the events must satisfy: calls numbered 0, 1, 2... and reported
/// in that order (every call is reported, at the latest at the close,
/// after which the next connection numbers from 0 again); an end never
/// before the start (the clock only moves forward here); errors are
/// SQLSTATEs, never messages.
#[derive(Default)]
struct Checker {
    reported: u64,
}

impl Checker {
    fn check(&mut self, events: &mut Vec<DbEvent>) {
        for event in events.drain(..) {
            let DbEvent::Call(call) = event else {
                continue;
            };
            assert_eq!(call.sequence, self.reported, "calls are reported in order");
            self.reported += 1;
            if let Some(end) = call.end_ns {
                assert!(call.start_ns <= end, "{call:?}");
            }
            if let Some(error) = &call.error {
                let code = error.len() == 5
                    && error
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
                assert!(code || error == "unknown", "{call:?}");
            }
        }
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
