//! Golden tests: real conversations recorded on loopback (PostgreSQL 15
//! with psql, psycopg2 and psycopg 3: `testdata/conversations.py`, recorded
//! by `protocols/testdata/record.py`) replayed through the parser, with the
//! checks of `protocols/testing`.
//!
//! `NAME.conv` holds a connection's recv()s as the kernel would capture
//! them; `NAME.expected` the events the parser must report, one line each,
//! then its stats. The statements' lines show what `sql::normalize` makes
//! of them: when the normalizer changes, `SONDE_BLESS=1 cargo test -p
//! sonde-agent postgres::golden` rewrites the expected files — review the
//! diff. Replayed as recorded, the events must match exactly; re-split at
//! other syscall boundaries or with many writes read at once, the calls
//! must stay the same (their times aside); with a smaller capture, or
//! picked up mid-conversation, no call may be invented or changed (rows
//! and errors may be lost).

use std::collections::HashMap;

use super::{
    super::{
        db::DbEvent,
        testing::{
            conv::{self, Record},
            golden::{self, SplitPoints},
            replay::{recaptured, replay},
        },
    },
    pairing::UNKNOWN_ERROR,
    test_support::{describe, describe_call},
    PostgresConnection,
};

/// Every recorded conversation, by name, in name order.
fn conversations() -> Vec<(String, Vec<Record>)> {
    conv::conversations("postgres", 14)
}

/// The calls and sessions of `events`, without times.
fn calls(events: &[DbEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| match event {
            DbEvent::Call(call) => describe_call(call, false),
            DbEvent::Session { .. } => describe(event),
        })
        .collect()
}

#[test]
fn recorded_conversations_give_the_expected_events() {
    golden::expected_events::<PostgresConnection>("postgres", &conversations());
}

#[test]
fn every_split_point_gives_the_same_calls() {
    let points = SplitPoints {
        all: 5000,
        sampled: 1000,
    };
    // A CancelRequest connection, and one encrypted, report nothing.
    let silent = ["cancel_request", "tls"];
    golden::every_split_point::<PostgresConnection, _>(&conversations(), points, &silent, calls);
}

#[test]
fn a_byte_per_syscall_gives_the_same_calls() {
    golden::a_byte_per_syscall::<PostgresConnection, _>(&conversations(), calls);
}

#[test]
fn random_splits_give_the_same_calls() {
    golden::random_splits::<PostgresConnection, _>(&conversations(), 50, calls);
}

#[test]
fn writes_read_at_once_give_the_same_calls() {
    // A reader with a large buffer gets many of the peer's writes in one
    // syscall.
    golden::writes_read_at_once::<PostgresConnection>(
        &conversations(),
        None,
        |actual, expected, name| {
            assert_eq!(calls(actual), calls(expected), "{name}");
        },
    );
}

/// A call's line without its number; statements unknown to the parser
/// (prepared before the capture) match any.
fn outcome(line: &str) -> String {
    line.split_once(' ')
        .map_or(line, |(_, rest)| rest)
        .to_string()
}

/// Whether `got` (calls without times) could be `expected`'s: each call is
/// one of the expected ones (its statement unknown or cut, or its rows or
/// error lost, at worst), in order, and none is invented.
fn never_invented(got: &[DbEvent], expected: &[DbEvent]) -> Result<(), String> {
    let mut remaining: HashMap<String, usize> = HashMap::new();
    let expected_calls: Vec<_> = expected
        .iter()
        .filter_map(|event| match event {
            DbEvent::Call(call) => Some(call),
            DbEvent::Session { .. } => None,
        })
        .collect();
    for call in &expected_calls {
        *remaining
            .entry(outcome(&describe_call(call, false)))
            .or_default() += 1;
    }
    for event in got {
        let DbEvent::Call(call) = event else {
            continue;
        };
        let line = outcome(&describe_call(call, false));
        if let Some(count) = remaining.get_mut(&line).filter(|count| **count > 0) {
            *count -= 1;
            continue;
        }
        // A weaker match: the same statement (or an unknown one), with
        // rows or error lost or never come.
        let matched = expected_calls.iter().any(|candidate| {
            // A statement cut by the capture is normalized from its start.
            (call.statement.text.is_empty()
                || candidate.statement == call.statement
                || candidate.statement.text.starts_with(&call.statement.text))
                && (call.rows.is_none() || call.rows == candidate.rows)
                && (call.error.is_none()
                    || call.error == candidate.error
                    || call.error.as_deref() == Some(UNKNOWN_ERROR) && candidate.error.is_some())
        });
        if !matched {
            return Err(format!("invented: {}", describe_call(call, true)));
        }
    }
    Ok(())
}

#[test]
fn a_smaller_capture_invents_no_call() {
    for (name, records) in conversations() {
        let expected = replay::<PostgresConnection>(&records);
        let count = |events: &[DbEvent]| {
            events
                .iter()
                .filter(|event| matches!(event, DbEvent::Call(_)))
                .count()
        };
        for capture in [1024, 256, 16] {
            let got = replay::<PostgresConnection>(&recaptured(&records, capture));
            if let Err(error) = never_invented(&got, &expected) {
                panic!("{name}: {capture}-byte capture: {error}");
            }
            // The recorded client writes are under 256 bytes: every call
            // is still seen. With less, calls hide in uncaptured bytes.
            if capture >= 256 {
                assert_eq!(
                    count(&got),
                    count(&expected),
                    "{name}: {capture}-byte capture"
                );
            }
        }
    }
}

#[test]
fn writes_read_at_once_and_partly_captured_invent_no_call() {
    // A reader with a large buffer gets many of the peer's writes in one
    // syscall, of which 4 KiB and the last 64 bytes are captured.
    golden::writes_read_at_once::<PostgresConnection>(
        &conversations(),
        Some(4096),
        |actual, expected, name| {
            if let Err(error) = never_invented(actual, expected) {
                panic!("{name}: {error}");
            }
        },
    );
}

#[test]
fn a_conversation_picked_up_midway_invents_no_call() {
    for (name, records) in conversations() {
        let expected = replay::<PostgresConnection>(&records);
        for start in 1..records.len() {
            let got = replay::<PostgresConnection>(&records[start..]);
            if let Err(error) = never_invented(&got, &expected) {
                panic!("{name}: picked up at record {start}: {error}");
            }
        }
    }
}
