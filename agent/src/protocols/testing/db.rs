//! What the database parsers' tests share: the MySQL and Redis golden
//! files' lines (PostgreSQL's are its own), and a recorded conversation
//! picked up midway.

use std::fmt::Write;

use super::{
    super::db::{DbCall, DbEvent},
    conv::Record,
    replay::{replay, replay_from},
    wire::Connection,
};

/// One line for an event: `session db=.. user=..` or
/// `#SEQ TEXT -> rows=N error=E | START-END/TID`.
pub fn describe(event: &DbEvent) -> String {
    match event {
        DbEvent::Session { database, user } => format!(
            "session db={} user={}",
            database.as_deref().unwrap_or("-"),
            user.as_deref().unwrap_or("-")
        ),
        DbEvent::Call(call) => describe_call(call, true),
    }
}

/// [`describe`] for a call; `times`: with timestamps and thread.
pub fn describe_call(call: &DbCall, times: bool) -> String {
    let opt = |value: Option<u64>| value.map_or_else(|| "-".to_string(), |v| v.to_string());
    let mut line = format!(
        "#{} {} -> rows={} error={}",
        call.sequence,
        call.statement.text,
        opt(call.rows),
        call.error.as_deref().unwrap_or("-")
    );
    if times {
        let _ = write!(
            line,
            " | {}-{}/{}",
            call.start_ns,
            opt(call.end_ns),
            call.tid
        );
    }
    line
}

/// The calls of `events` as [`describe_call`] has them (times included),
/// without their numbers: a connection picked up midway numbers from 0.
pub fn without_numbers(events: &[DbEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            DbEvent::Call(call) => {
                let line = describe_call(call, true);
                line.split_once(' ').map(|(_, rest)| rest.to_string())
            }
            DbEvent::Session { .. } => None,
        })
        .collect()
}

/// A recorded conversation as the parser meets a connection opened before
/// sonde started: replayed from one of its records on.
pub struct Pickup<C> {
    /// The record it was picked up at.
    pub index: usize,
    /// What it reported, stamped as in the whole replay.
    pub events: Vec<DbEvent>,
    pub connection: C,
    /// The calls of the whole replay that started at that record or later.
    pub expected: Vec<DbEvent>,
}

/// `records` picked up at each record that `starts` accepts, the first
/// aside.
pub fn pickups<C: Connection<Event = DbEvent>>(
    records: &[Record],
    starts: impl Fn(&Record) -> bool,
) -> Vec<Pickup<C>> {
    let all = replay::<C>(records);
    records
        .iter()
        .enumerate()
        .filter(|&(index, record)| index > 0 && starts(record))
        .map(|(index, _)| {
            let start_ns = index as u64 + 1;
            let expected = all
                .iter()
                .filter(|event| matches!(event, DbEvent::Call(call) if call.start_ns >= start_ns))
                .cloned()
                .collect();
            let (events, connection) = replay_from::<C>(&records[index..], start_ns);
            Pickup {
                index,
                events,
                connection,
                expected,
            }
        })
        .collect()
}
