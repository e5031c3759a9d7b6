//! Golden tests: real conversations recorded on loopback (MariaDB 10.11
//! driven by PyMySQL, mysqlclient, mysql-connector-python and the mariadb
//! client: `testdata/conversations.py`, recorded by
//! `protocols/testdata/record.py`) replayed through the parser, with the
//! checks of `protocols/testing`.
//!
//! `NAME.conv` holds a connection's recv()s as the kernel would capture
//! them; `NAME.expected` the events the parser must report, one line each.
//! Replayed as recorded, the events must match exactly; re-split at other
//! syscall boundaries the calls must stay the same (their times aside);
//! with a smaller capture or many writes read at once, the same but for
//! row counts, which may be lost (None) when packet boundaries go
//! uncaptured; picked up mid-stream, the calls after the pickup.
//! `SONDE_BLESS=1 cargo test -p sonde-agent mysql::golden` rewrites the
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
    looks_like_command, looks_like_server_greeting, MysqlConnection,
};

/// Every recorded conversation, by name, in name order.
fn conversations() -> Vec<(String, Vec<Record>)> {
    conv::conversations("mysql", 10)
}

/// The events of `events` without times: (line, rows) per event.
fn calls(events: &[DbEvent]) -> Vec<(String, Option<u64>)> {
    events
        .iter()
        .map(|event| match event {
            DbEvent::Call(call) => {
                let mut call = call.clone();
                let rows = call.rows.take();
                // A statement cut by the capture ends differently: its
                // summary does not.
                call.statement.text = std::mem::take(&mut call.statement.summary);
                (describe_call(&call, false), rows)
            }
            DbEvent::Session { .. } => (describe(event), None),
        })
        .collect()
}

/// `actual` is `expected`, but for row counts that may be lost and
/// statements compared by their summaries.
fn assert_same_calls(actual: &[DbEvent], expected: &[DbEvent], context: &str) {
    let (actual, expected) = (calls(actual), calls(expected));
    let lines = |calls: &[(String, Option<u64>)]| -> Vec<String> {
        calls.iter().map(|(line, _)| line.clone()).collect()
    };
    assert_eq!(lines(&actual), lines(&expected), "{context}");
    for ((line, rows), (_, expected_rows)) in actual.iter().zip(&expected) {
        assert!(
            rows.is_none() || rows == expected_rows,
            "{context}: {line}: rows {rows:?}, expected {expected_rows:?}"
        );
    }
}

#[test]
fn recorded_conversations_give_the_expected_events() {
    golden::expected_events::<MysqlConnection>("mysql", &conversations());
}

#[test]
fn every_split_point_gives_the_same_calls() {
    let points = SplitPoints {
        all: 3000,
        sampled: 600,
    };
    golden::every_split_point::<MysqlConnection, _>(&conversations(), points, &[], calls);
}

#[test]
fn a_byte_per_syscall_gives_the_same_calls() {
    golden::a_byte_per_syscall::<MysqlConnection, _>(&conversations(), calls);
}

#[test]
fn random_splits_give_the_same_calls() {
    golden::random_splits::<MysqlConnection, _>(&conversations(), 30, calls);
}

#[test]
fn a_smaller_capture_gives_the_same_calls() {
    golden::smaller_captures::<MysqlConnection>(&conversations(), &[1024, 256], assert_same_calls);
}

#[test]
fn writes_read_at_once_give_the_same_calls() {
    // A reader with a large buffer gets many of the peer's writes in one
    // syscall, of which 4 KiB and the last 64 bytes are captured.
    golden::writes_read_at_once::<MysqlConnection>(&conversations(), Some(4096), assert_same_calls);
}

#[test]
fn picked_up_mid_stream_gives_the_calls_that_follow() {
    // Started at each client write that begins with a command, the parser
    // reports the calls sent from there on.
    for (name, records) in conversations() {
        let starts = |record: &Record| record.client && looks_like_command(&record.data);
        for pickup in pickups::<MysqlConnection>(&records, starts) {
            let index = pickup.index;
            // An execute of a statement prepared before the pickup reports
            // `EXECUTE`.
            let actual = without_numbers(&pickup.events);
            let expected = without_numbers(&pickup.expected);
            assert_eq!(
                actual.len(),
                expected.len(),
                "{name}: picked up at record {index}"
            );
            for (actual, expected) in actual.iter().zip(&expected) {
                let unknown = actual
                    .strip_prefix("EXECUTE ")
                    .is_some_and(|rest| expected.ends_with(rest));
                assert!(
                    actual == expected || unknown,
                    "{name}: picked up at record {index}: {actual} / {expected}"
                );
            }
            assert_eq!(
                pickup.connection.stats().replies_unpaired,
                0,
                "{name}: {index}"
            );
        }
    }
}

#[test]
fn first_bytes_are_classified() {
    for (name, records) in conversations() {
        let first_server = records.iter().find(|r| !r.client).unwrap();
        assert!(looks_like_server_greeting(&first_server.data), "{name}");
        let first_client = records.iter().find(|r| r.client).unwrap();
        assert!(
            !looks_like_command(&first_client.data),
            "{name}: a login is no command"
        );
        assert!(!looks_like_server_greeting(&first_client.data), "{name}");
        // Every command the client wrote after logging in.
        let commands = records
            .iter()
            .filter(|r| r.client && r.data.get(3) == Some(&0))
            .count();
        let recognised = records
            .iter()
            .filter(|r| r.client && looks_like_command(&r.data))
            .count();
        assert_eq!(recognised, commands, "{name}");
    }
}
