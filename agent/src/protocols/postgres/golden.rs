//! Golden tests: real conversations recorded on loopback (PostgreSQL 15
//! with psql, psycopg2 and psycopg 3; see `testdata/record.py`) replayed
//! through the parser.
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

use std::{collections::HashMap, fs, path::PathBuf};

use super::{
    super::{chunk::Chunk, db::DbEvent},
    pairing::UNKNOWN_ERROR,
    test_support::{describe, describe_call, CLIENT_TID, SERVER_TID},
    PostgresConnection,
};

/// One recorded recv().
#[derive(Debug, Clone)]
struct Record {
    /// Client to server.
    client: bool,
    data: Vec<u8>,
    total_len: usize,
    tail: Vec<u8>,
}

impl Record {
    fn fully_captured(&self) -> bool {
        self.total_len == self.data.len()
    }
}

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/protocols/postgres/testdata")
}

/// Every recorded conversation, by name, in name order.
fn conversations() -> Vec<(String, Vec<Record>)> {
    let mut paths: Vec<_> = fs::read_dir(testdata())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "conv"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 14, "recordings missing: {paths:?}");
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).unwrap();
            let records = text
                .lines()
                .filter(|line| !line.starts_with('#') && !line.is_empty())
                .map(|line| parse_record(line).unwrap_or_else(|| panic!("{name}: bad line {line}")))
                .collect();
            (name, records)
        })
        .collect()
}

/// `> TOTAL "DATA" "TAIL"` (client to server) or `< ...` (server to client).
fn parse_record(line: &str) -> Option<Record> {
    let (arrow, rest) = line.split_once(' ')?;
    let (total, rest) = rest.split_once(' ')?;
    let (data, rest) = unquote(rest)?;
    let (tail, rest) = unquote(rest.strip_prefix(' ')?)?;
    (rest.is_empty()).then_some(())?;
    Some(Record {
        client: match arrow {
            ">" => true,
            "<" => false,
            _ => return None,
        },
        data,
        total_len: total.parse().ok()?,
        tail,
    })
}

/// A quoted, escaped string at the start of `text`, and what follows it.
fn unquote(text: &str) -> Option<(Vec<u8>, &str)> {
    let mut bytes = text.strip_prefix('"')?.bytes().enumerate();
    let mut out = Vec::new();
    while let Some((i, byte)) = bytes.next() {
        match byte {
            b'"' => return Some((out, &text[i + 2..])),
            b'\\' => match bytes.next()?.1 {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'x' => {
                    let hex = [bytes.next()?.1, bytes.next()?.1];
                    out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
                }
                other => out.push(other),
            },
            other => out.push(other),
        }
    }
    None
}

/// Feeds `records` (stamped 1, 2, 3...) then closes; every event and the
/// connection's final state.
fn replay_refs<'a>(
    records: impl IntoIterator<Item = &'a Record>,
) -> (Vec<DbEvent>, PostgresConnection) {
    let mut connection = PostgresConnection::new();
    let mut events = Vec::new();
    let mut now = 0;
    for record in records {
        now += 1;
        let chunk = Chunk {
            data: &record.data,
            total_len: record.total_len,
            tail: &record.tail,
            timestamp_ns: now,
            tid: if record.client {
                CLIENT_TID
            } else {
                SERVER_TID
            },
        };
        if record.client {
            connection.feed_client(&chunk, &mut events);
        } else {
            connection.feed_server(&chunk, &mut events);
        }
    }
    connection.close(now + 1, &mut events);
    (events, connection)
}

fn replay(records: &[Record]) -> Vec<DbEvent> {
    replay_refs(records).0
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

/// `record` as two syscalls, the first `at` bytes of its captured data
/// then the rest.
fn split(record: &Record, at: usize) -> [Record; 2] {
    [
        Record {
            data: record.data[..at].to_vec(),
            total_len: at,
            tail: Vec::new(),
            ..record.clone()
        },
        Record {
            data: record.data[at..].to_vec(),
            total_len: record.total_len - at,
            ..record.clone()
        },
    ]
}

/// `record` as a capture of `capture` bytes (and a 64-byte tail) would keep it.
fn recapture(record: &Record, capture: usize) -> Record {
    if record.data.len() <= capture {
        return record.clone();
    }
    let tail = if record.fully_captured() {
        record.data[record.data.len().saturating_sub(64).max(capture)..].to_vec()
    } else {
        record.tail.clone()
    };
    Record {
        data: record.data[..capture].to_vec(),
        tail,
        ..record.clone()
    }
}

/// A small deterministic generator (xorshift), for reproducible splits.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

#[test]
fn recorded_conversations_give_the_expected_events() {
    let bless = std::env::var_os("SONDE_BLESS").is_some();
    let mut failures = Vec::new();
    for (name, records) in conversations() {
        let (events, connection) = replay_refs(&records);
        let stats = connection.stats();
        let mut actual = format!("# events of {name}.conv, replayed as recorded\n");
        for event in &events {
            actual += &(describe(event) + "\n");
        }
        actual += &format!(
            "stats unparseable={} unpaired={} dropped={} skipped={}\n",
            stats.calls_unparseable,
            stats.replies_unpaired,
            stats.calls_dropped,
            stats.bytes_skipped
        );
        let path = testdata().join(format!("{name}.expected"));
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

#[test]
fn every_split_point_gives_the_same_calls() {
    for (name, records) in conversations() {
        let expected = calls(&replay(&records));
        // Bytes that can be split at, over all records: all of them, but
        // for the large conversations a sample, to keep the test fast.
        let points: usize = records.iter().map(|r| r.data.len().saturating_sub(1)).sum();
        let stride = if points <= 5000 { 1 } else { points / 1000 };
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
                    calls(&replay_refs(resplit).0),
                    expected,
                    "{name}: record {index} split at {at}"
                );
            }
        }
    }
}

#[test]
fn a_byte_per_syscall_gives_the_same_calls() {
    for (name, records) in conversations() {
        let expected = calls(&replay(&records));
        let bytewise: Vec<Record> = records
            .iter()
            .flat_map(|record| {
                let mut pieces = Vec::new();
                let mut rest = record.clone();
                while rest.data.len() > 1 {
                    let [first, second] = split(&rest, 1);
                    pieces.push(first);
                    rest = second;
                }
                pieces.push(rest);
                pieces
            })
            .collect();
        assert_eq!(calls(&replay(&bytewise)), expected, "{name}");
    }
}

#[test]
fn random_splits_give_the_same_calls() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (name, records) in conversations() {
        let expected = calls(&replay(&records));
        for round in 0..50 {
            let resplit: Vec<Record> = records
                .iter()
                .flat_map(|record| {
                    let mut pieces = Vec::new();
                    let mut rest = record.clone();
                    while rest.data.len() > 1 && rng.below(3) != 0 {
                        let [first, second] = split(&rest, 1 + rng.below(rest.data.len() - 1));
                        pieces.push(first);
                        rest = second;
                    }
                    pieces.push(rest);
                    pieces
                })
                .collect();
            assert_eq!(calls(&replay(&resplit)), expected, "{name}: round {round}");
        }
    }
}

#[test]
fn writes_read_at_once_give_the_same_calls() {
    // A reader with a large buffer gets many of the peer's writes in one
    // syscall.
    for (name, records) in conversations() {
        let expected = calls(&replay(&records));
        let mut merged: Vec<Record> = Vec::new();
        for record in &records {
            match merged.last_mut() {
                Some(last)
                    if last.client == record.client
                        && last.fully_captured()
                        && record.fully_captured() =>
                {
                    last.data.extend_from_slice(&record.data);
                    last.total_len = last.data.len();
                }
                _ => merged.push(record.clone()),
            }
        }
        assert_eq!(calls(&replay(&merged)), expected, "{name}");
    }
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
        let expected = replay(&records);
        let count = |events: &[DbEvent]| {
            events
                .iter()
                .filter(|event| matches!(event, DbEvent::Call(_)))
                .count()
        };
        for capture in [1024, 256, 16] {
            let recaptured: Vec<Record> = records.iter().map(|r| recapture(r, capture)).collect();
            let got = replay(&recaptured);
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
    for (name, records) in conversations() {
        let expected = replay(&records);
        let mut merged: Vec<Record> = Vec::new();
        for record in &records {
            match merged.last_mut() {
                Some(last)
                    if last.client == record.client
                        && last.fully_captured()
                        && record.fully_captured() =>
                {
                    last.data.extend_from_slice(&record.data);
                    last.total_len = last.data.len();
                }
                _ => merged.push(record.clone()),
            }
        }
        let merged: Vec<Record> = merged.iter().map(|r| recapture(r, 4096)).collect();
        if let Err(error) = never_invented(&replay(&merged), &expected) {
            panic!("{name}: {error}");
        }
    }
}

#[test]
fn a_conversation_picked_up_midway_invents_no_call() {
    for (name, records) in conversations() {
        let expected = replay(&records);
        for start in 1..records.len() {
            let got = replay(&records[start..]);
            if let Err(error) = never_invented(&got, &expected) {
                panic!("{name}: picked up at record {start}: {error}");
            }
        }
    }
}

#[test]
fn records_parse() {
    let record = parse_record(r#"< 70000 "a\r\n\"\\\x00" "z""#).unwrap();
    assert!(!record.client);
    assert_eq!(record.total_len, 70000);
    assert_eq!(record.data, b"a\r\n\"\\\x00");
    assert_eq!(record.tail, b"z");
    assert!(parse_record(r#"? 1 "a" """#).is_none());
    assert!(parse_record(r#"> 1 "a"#).is_none());
}
