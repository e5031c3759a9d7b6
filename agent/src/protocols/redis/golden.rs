//! Golden tests: real conversations recorded on loopback (redis-server 7.0
//! driven by redis-py with RESP2 and RESP3, redis-cli and raw sockets:
//! `testdata/conversations.py`, recorded by `protocols/testdata/record.py`)
//! replayed through the parser, with the checks of `protocols/testing`.
//!
//! `NAME.conv` holds a connection's recv()s as the kernel would capture
//! them; `NAME.expected` the events the parser must report, one line each.
//! Replayed as recorded, the events must match exactly; re-split at other
//! syscall boundaries the calls must stay the same (their times aside);
//! with a smaller capture or many writes read at once, the calls reported
//! must be among those, in order, with the same outcomes (row counts may be
//! lost, and so may the commands of a pipeline's uncaptured middle); picked
//! up mid-stream, the calls after the pickup.
//! `SONDE_BLESS=1 cargo test -p sonde-agent redis::golden` rewrites the
//! expected files: review the diff.

use super::{
    super::{
        db::DbEvent,
        testing::{
            conv::{self, Record},
            db::{describe, describe_call, pickups, without_numbers},
            golden::{self, SplitPoints},
        },
    },
    looks_like_command, RedisConnection,
};

/// Every recorded conversation, by name, in name order.
fn conversations() -> Vec<(String, Vec<Record>)> {
    conv::conversations("redis", 10)
}

/// The events of `events` without times: (line, rows) per event.
fn calls(events: &[DbEvent]) -> Vec<(String, Option<u64>)> {
    events
        .iter()
        .map(|event| match event {
            DbEvent::Call(call) => {
                let mut call = call.clone();
                let rows = call.rows.take();
                (describe_call(&call, false), rows)
            }
            DbEvent::Session { .. } => (describe(event), None),
        })
        .collect()
}

/// `actual` is `expected`, but for row counts that may be lost and calls
/// whose commands went uncaptured (a pipeline's middle): the calls reported
/// are among the expected ones, in order, with the same outcome.
fn assert_same_calls(actual: &[DbEvent], expected: &[DbEvent], context: &str) {
    let without_number = |line: &str| line.split_once(' ').map(|(_, rest)| rest.to_string());
    let mut expected = calls(expected).into_iter();
    for (line, rows) in calls(actual) {
        let wanted = without_number(&line);
        let found = expected
            .by_ref()
            .find(|(candidate, _)| without_number(candidate) == wanted);
        let Some((_, expected_rows)) = found else {
            panic!("{context}: {line} is not among the expected calls");
        };
        assert!(
            rows.is_none() || rows == expected_rows,
            "{context}: {line}: rows {rows:?}, expected {expected_rows:?}"
        );
    }
}

#[test]
fn recorded_conversations_give_the_expected_events() {
    golden::expected_events::<RedisConnection>("redis", &conversations());
}

#[test]
fn every_split_point_gives_the_same_calls() {
    let points = SplitPoints {
        all: 3000,
        sampled: 600,
    };
    golden::every_split_point::<RedisConnection, _>(&conversations(), points, &[], calls);
}

#[test]
fn a_byte_per_syscall_gives_the_same_calls() {
    golden::a_byte_per_syscall::<RedisConnection, _>(&conversations(), calls);
}

#[test]
fn random_splits_give_the_same_calls() {
    golden::random_splits::<RedisConnection, _>(&conversations(), 30, calls);
}

#[test]
fn a_smaller_capture_gives_the_same_calls() {
    golden::smaller_captures::<RedisConnection>(&conversations(), &[1024, 256], assert_same_calls);
}

#[test]
fn writes_read_at_once_give_the_same_calls() {
    // A reader with a large buffer gets many of the peer's writes in one
    // syscall, of which 4 KiB and the last 64 bytes are captured.
    golden::writes_read_at_once::<RedisConnection>(&conversations(), Some(4096), assert_same_calls);
}

#[test]
fn picked_up_mid_stream_gives_the_calls_that_follow() {
    // Started at each client write that begins with a command, the parser
    // reports the calls sent from there on.
    for (name, records) in conversations() {
        let starts = |record: &Record| record.client && looks_like_command(&record.data);
        for pickup in pickups::<RedisConnection>(&records, starts) {
            let index = pickup.index;
            assert_eq!(
                without_numbers(&pickup.events),
                without_numbers(&pickup.expected),
                "{name}: picked up at record {index}"
            );
            assert_eq!(
                pickup.connection.stats().replies_unpaired,
                0,
                "{name}: {index}"
            );
        }
    }
}

#[test]
fn every_command_write_is_recognised() {
    // The first client write after the server spoke starts a command.
    for (name, records) in conversations() {
        let mut previous_client = false;
        for record in &records {
            if record.client && !previous_client && record.data != b"\r\n" {
                assert!(looks_like_command(&record.data), "{name}: {record:?}");
            }
            previous_client = record.client;
        }
    }
}
