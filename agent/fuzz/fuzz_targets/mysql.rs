//! The MySQL parser against any sequence of chunks on both sides of a
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

// The agent is a binary crate: the parser is included as source, with the
// modules it depends on. Their `expect(dead_code)`s find nothing dead here.
#[path = "../../src/protocols/chunk.rs"]
mod chunk;
#[path = "../../src/protocols/segments.rs"]
mod segments;
#[allow(dead_code)]
#[path = "../../src/protocols/db.rs"]
mod db;
#[allow(unfulfilled_lint_expectations, dead_code, unused_imports)]
#[path = "../../src/protocols/mysql/mod.rs"]
mod mysql;
#[allow(dead_code)]
#[path = "../../src/protocols/sql/mod.rs"]
mod sql;

use chunk::Chunk;
use db::DbEvent;
use mysql::MysqlConnection;

/// Commands waiting at most (the parser's bound).
const MAX_WAITING: usize = 64;

fuzz_target!(|input: &[u8]| run(input));

fn run(mut input: &[u8]) {
    let mut connection = MysqlConnection::new();
    let mut checker = Checker::default();
    let mut events = Vec::new();
    let mut now = 0u64;
    let mut fed = 0u64;
    while let Some((&op, rest)) = input.split_first() {
        input = rest;
        now += u64::from(op >> 5);
        if op & 0x1f == 0x1f {
            connection.close(now, &mut events);
            checker.check(&mut events, now);
            assert_eq!(connection.waiting(), 0, "after a close nothing waits");
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
        checker.check(&mut events, now);
        assert!(connection.waiting() <= MAX_WAITING);
    }
    connection.close(now, &mut events);
    checker.check(&mut events, now);
    assert_eq!(connection.waiting(), 0, "after a close nothing waits");
    // What was skipped was fed.
    assert!(connection.stats().bytes_skipped <= fed);
}

/// What the events must satisfy: calls numbered 0, 1, 2... (so each is
/// reported once), times in order (the clock only moves forward here),
/// nothing from the future.
#[derive(Default)]
struct Checker {
    reported: u64,
}

impl Checker {
    fn check(&mut self, events: &mut Vec<DbEvent>, now: u64) {
        for event in events.drain(..) {
            match event {
                DbEvent::Call(call) => {
                    assert_eq!(call.sequence, self.reported, "calls are numbered in order");
                    self.reported += 1;
                    if let Some(end) = call.end_ns {
                        assert!(call.start_ns <= end, "{call:?}");
                        assert!(end <= now, "{call:?}");
                    }
                    if let Some(error) = &call.error {
                        assert!(error.bytes().all(|b| b.is_ascii_digit()), "{call:?}");
                    }
                }
                DbEvent::Session { database, user } => {
                    for name in [database, user].into_iter().flatten() {
                        assert!(name.len() <= 3 * 256);
                    }
                }
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
