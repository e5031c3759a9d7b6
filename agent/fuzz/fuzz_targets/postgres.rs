//! The PostgreSQL parser against any sequence of chunks on both sides of a
//! connection, closes included: it must not panic, and what it reports must
//! hold together (see `Checker`).
//!
//! Input: operations on the connection, as `common/ops.rs` decodes them.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The agent is a binary crate: the parser is included as source. It is pure
// and depends on nothing else in the agent. Its `expect`s (for items the
// agent does not use yet) find nothing to expect here.
#[path = "../../src/protocols/chunk.rs"]
mod chunk;
#[allow(dead_code)]
#[path = "../../src/protocols/db.rs"]
mod db;
#[allow(unfulfilled_lint_expectations)]
#[path = "../../src/protocols/postgres/mod.rs"]
mod postgres;
#[allow(dead_code)]
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
use postgres::PostgresConnection;

fuzz_target!(|input: &[u8]| run(input));

fn run(input: &[u8]) {
    let mut connection = PostgresConnection::new();
    let mut checker = Checker::default();
    let mut events = Vec::new();
    let mut ops = Ops::new(input);
    for op in ops.by_ref() {
        match op {
            Op::Close { now } => {
                connection.close(now, &mut events);
                checker.check(&mut events);
                // The next connection numbers its calls from 0.
                checker.reported = 0;
            }
            Op::Chunk { client, chunk } => {
                if client {
                    connection.feed_client(&chunk, &mut events);
                } else {
                    connection.feed_server(&chunk, &mut events);
                }
                checker.check(&mut events);
            }
        }
    }
    connection.close(ops.now(), &mut events);
    checker.check(&mut events);
    // What was skipped was fed.
    assert!(connection.stats().bytes_skipped <= ops.fed());
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
