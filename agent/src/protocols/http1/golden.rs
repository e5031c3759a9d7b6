//! Golden tests: real conversations recorded on loopback (gunicorn, python
//! requests, curl: `testdata/conversations.py`, recorded by
//! `protocols/testdata/record.py`) replayed through the parser, with the
//! checks of `protocols/testing`.
//!
//! `NAME.conv` holds a connection's recv()s as the kernel would capture
//! them; `NAME.expected` the events the parser must report, one line each.
//! Replayed as recorded, the events must match exactly; re-split at other
//! syscall boundaries, with a smaller capture, or with many writes read at
//! once, the exchanges must stay the same (their times aside).
//! `SONDE_BLESS=1 cargo test -p sonde-agent golden` rewrites the expected
//! files: review the diff.

use super::{
    super::testing::{
        conv::{self, Record},
        golden::{self, SplitPoints},
    },
    test_support::describe_exchange,
    Http1Connection, Http1Event,
};

/// Every recorded conversation, by name, in name order.
fn conversations() -> Vec<(String, Vec<Record>)> {
    conv::conversations("http1", 9)
}

/// The exchanges of `events`, without times.
fn exchanges(events: &[Http1Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            Http1Event::Exchange(exchange) => Some(describe_exchange(exchange, false)),
            Http1Event::RequestStarted { .. } => None,
        })
        .collect()
}

fn same_exchanges(actual: &[Http1Event], expected: &[Http1Event], context: &str) {
    assert_eq!(exchanges(actual), exchanges(expected), "{context}");
}

#[test]
fn recorded_conversations_give_the_expected_events() {
    golden::expected_events::<Http1Connection>("http1", &conversations());
}

#[test]
fn every_split_point_gives_the_same_exchanges() {
    let points = SplitPoints {
        all: 5000,
        sampled: 1000,
    };
    golden::every_split_point::<Http1Connection, _>(&conversations(), points, &[], exchanges);
}

#[test]
fn a_byte_per_syscall_gives_the_same_exchanges() {
    golden::a_byte_per_syscall::<Http1Connection, _>(&conversations(), exchanges);
}

#[test]
fn random_splits_give_the_same_exchanges() {
    golden::random_splits::<Http1Connection, _>(&conversations(), 50, exchanges);
}

#[test]
fn a_smaller_capture_gives_the_same_exchanges() {
    golden::smaller_captures::<Http1Connection>(&conversations(), &[1024, 256], same_exchanges);
}

#[test]
fn writes_read_at_once_give_the_same_exchanges() {
    // A reader with a large buffer gets many of the peer's writes in one
    // syscall, of which 4 KiB and the last 64 bytes are captured: chunked
    // bodies lose their framing and end on the terminator heuristic.
    golden::writes_read_at_once::<Http1Connection>(&conversations(), Some(4096), same_exchanges);
}
