//! The checks every parser's golden tests make on its recorded
//! conversations (`conv.rs`). Replayed as recorded, a conversation must give
//! the events of its `NAME.expected` exactly; re-split at other syscall
//! boundaries, what a parser's `view` keeps of the events (its calls or
//! exchanges, without times) must stay the same. With a smaller capture or
//! many writes read at once, what a parser must keep is its own `check`;
//! picked up midway, its own test.

use std::{env, fmt::Debug, fs};

use super::{
    conv::{testdata, Record},
    replay::{bytewise, random_split, read_at_once, recaptured, replay, replay_from, split, Rng},
    wire::Connection,
};

/// Recorded conversations, by name (see [`super::conv::conversations`]).
pub type Conversations = [(String, Vec<Record>)];

/// Replayed as recorded, each conversation gives what its `NAME.expected`
/// holds: a comment line, one line per event, then the connection's
/// [`Connection::summary`] if any. With `SONDE_BLESS` set the files are
/// written instead: review the diff.
pub fn expected_events<C: Connection>(parser: &str, conversations: &Conversations) {
    let bless = env::var_os("SONDE_BLESS").is_some();
    let mut failures = Vec::new();
    for (name, records) in conversations {
        let (events, connection) = replay_from::<C>(records, 1);
        let mut actual = format!("# events of {name}.conv, replayed as recorded\n");
        for event in &events {
            actual += &(C::describe(event) + "\n");
        }
        if let Some(summary) = connection.summary() {
            actual += &(summary + "\n");
        }
        let path = testdata(parser).join(format!("{name}.expected"));
        if bless {
            fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "{name}:\n--- expected\n{expected}+++ actual\n{actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// How many points [`every_split_point`] splits a conversation at: all of
/// them when there are at most `all`, else about `sampled` spread over the
/// conversation, to keep the test fast.
#[derive(Debug, Clone, Copy)]
pub struct SplitPoints {
    pub all: usize,
    pub sampled: usize,
}

/// Each conversation with one record split in two, at every point (see
/// [`SplitPoints`]): `view` of its events is that of the recording's,
/// which is empty for the conversations named `silent` only.
pub fn every_split_point<C: Connection, T: PartialEq + Debug>(
    conversations: &Conversations,
    points: SplitPoints,
    silent: &[&str],
    view: impl Fn(&[C::Event]) -> Vec<T>,
) {
    for (name, records) in conversations {
        let expected = view(&replay::<C>(records));
        assert_eq!(
            expected.is_empty(),
            silent.contains(&name.as_str()),
            "{name}: silent?"
        );
        let total: usize = records.iter().map(|r| r.data.len().saturating_sub(1)).sum();
        let stride = if total <= points.all {
            1
        } else {
            total / points.sampled
        };
        let mut point = 0;
        for (index, record) in records.iter().enumerate() {
            for at in 1..record.data.len() {
                point += 1;
                if point % stride != 0 {
                    continue;
                }
                let pieces = split(record, at);
                let resplit = records[..index]
                    .iter()
                    .chain(&pieces)
                    .chain(&records[index + 1..]);
                assert_eq!(
                    view(&replay::<C>(resplit)),
                    expected,
                    "{name}: record {index} split at {at}"
                );
            }
        }
    }
}

/// Each conversation a captured byte per syscall: `view` of its events is
/// that of the recording's.
pub fn a_byte_per_syscall<C: Connection, T: PartialEq + Debug>(
    conversations: &Conversations,
    view: impl Fn(&[C::Event]) -> Vec<T>,
) {
    for (name, records) in conversations {
        let expected = view(&replay::<C>(records));
        assert_eq!(view(&replay::<C>(&bytewise(records))), expected, "{name}");
    }
}

/// Each conversation split at random points, `rounds` times over (the
/// same points on every run): `view` of its events is that of the
/// recording's.
pub fn random_splits<C: Connection, T: PartialEq + Debug>(
    conversations: &Conversations,
    rounds: usize,
    view: impl Fn(&[C::Event]) -> Vec<T>,
) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (name, records) in conversations {
        let expected = view(&replay::<C>(records));
        for round in 0..rounds {
            let resplit = random_split(records, &mut rng);
            assert_eq!(
                view(&replay::<C>(&resplit)),
                expected,
                "{name}: round {round}"
            );
        }
    }
}

/// Each conversation as a capture of each of `captures` bytes (and a 64-byte
/// tail) a syscall keeps it: `check(actual, expected, context)` holds of its
/// events and the recording's.
pub fn smaller_captures<C: Connection>(
    conversations: &Conversations,
    captures: &[usize],
    check: impl Fn(&[C::Event], &[C::Event], &str),
) {
    for (name, records) in conversations {
        let expected = replay::<C>(records);
        for &capture in captures {
            let actual = replay::<C>(&recaptured(records, capture));
            check(
                &actual,
                &expected,
                &format!("{name}: {capture}-byte capture"),
            );
        }
    }
}

/// Each conversation as a reader with a large buffer gets it: many of the
/// peer's writes in one syscall (see [`read_at_once`]), of which `capture`
/// bytes and the last 64 are captured when given: `check(actual, expected,
/// name)` holds of its events and the recording's.
pub fn writes_read_at_once<C: Connection>(
    conversations: &Conversations,
    capture: Option<usize>,
    check: impl Fn(&[C::Event], &[C::Event], &str),
) {
    for (name, records) in conversations {
        let expected = replay::<C>(records);
        let mut merged = read_at_once(records);
        if let Some(capture) = capture {
            merged = recaptured(&merged, capture);
        }
        check(&replay::<C>(&merged), &expected, name);
    }
}
