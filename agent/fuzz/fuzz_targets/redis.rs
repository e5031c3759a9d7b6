//! The Redis parser against any sequence of chunks on both sides of a
//! connection, closes included: it must not panic, and what it reports must
//! hold together (see `Checker`).
//!
//! Input: operations on the connection, as `common/ops.rs` decodes them.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The agent is a binary crate: the parser is included as source, with the
// modules it depends on. Their `expect(dead_code)`s find nothing dead here.
#[path = "../../src/protocols/chunk.rs"]
mod chunk;
#[allow(dead_code)]
#[path = "../../src/protocols/db.rs"]
mod db;
#[allow(unfulfilled_lint_expectations, dead_code, unused_imports)]
#[path = "../../src/protocols/redis/mod.rs"]
mod redis;
#[path = "../../src/protocols/segments.rs"]
mod segments;
#[allow(dead_code)]
#[path = "../../src/protocols/sql/mod.rs"]
mod sql;
// The input format, shared by the parsers' targets.
#[path = "common/ops.rs"]
mod ops;

use db::DbEvent;
use ops::{Op, Ops};
use redis::RedisConnection;

/// Commands waiting at most (the parser's bound).
const MAX_WAITING: usize = 256;

fuzz_target!(|input: &[u8]| run(input));

fn run(input: &[u8]) {
    let mut connection = RedisConnection::new();
    let mut checker = Checker::default();
    let mut events = Vec::new();
    let mut ops = Ops::new(input);
    for op in ops.by_ref() {
        match op {
            Op::Close { now } => {
                connection.close(now, &mut events);
                checker.check(&mut events, now);
                assert_eq!(connection.waiting(), 0, "after a close nothing waits");
            }
            Op::Chunk { client, chunk } => {
                if client {
                    connection.feed_client(&chunk, &mut events);
                } else {
                    connection.feed_server(&chunk, &mut events);
                }
                checker.check(&mut events, chunk.timestamp_ns);
                assert!(connection.waiting() <= MAX_WAITING);
            }
        }
    }
    let now = ops.now();
    connection.close(now, &mut events);
    checker.check(&mut events, now);
    assert_eq!(connection.waiting(), 0, "after a close nothing waits");
    // What was skipped was fed.
    assert!(connection.stats().bytes_skipped <= ops.fed());
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
                    // Error codes and command names only: upper case.
                    if let Some(error) = &call.error {
                        assert!(error.bytes().all(is_code), "{call:?}");
                    }
                    let statement = &call.statement;
                    assert!(
                        statement.text.bytes().all(|b| is_code(b) || b == b' '),
                        "{call:?}"
                    );
                    assert_eq!(statement.summary, statement.text);
                    assert_eq!(statement.operation.as_deref(), Some(&*statement.text));
                }
                DbEvent::Session { .. } => panic!("Redis reports no session"),
            }
        }
    }
}

fn is_code(byte: u8) -> bool {
    byte.is_ascii_uppercase() || byte.is_ascii_digit() || b"_.-|".contains(&byte)
}
