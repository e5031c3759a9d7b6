//! Golden tests: real conversations recorded on loopback (MariaDB 10.11
//! driven by PyMySQL, mysqlclient, mysql-connector-python and the mariadb
//! client; see `testdata/record.py`) replayed through the parser.
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

use std::{fs, path::PathBuf};

use super::{
    super::{chunk::Chunk, db::DbEvent},
    looks_like_command, looks_like_server_greeting,
    test_support::{describe, describe_call, CLIENT_TID, SERVER_TID},
    MysqlConnection,
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
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/protocols/mysql/testdata")
}

/// Every recorded conversation, by name, in name order.
fn conversations() -> Vec<(String, Vec<Record>)> {
    let mut paths: Vec<_> = fs::read_dir(testdata())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "conv"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "recordings missing: {paths:?}");
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

/// Feeds `records` (stamped 1, 2, 3...) then closes; every event.
fn replay<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<DbEvent> {
    let mut connection = MysqlConnection::new();
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
    events
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
        let mut actual: String = replay(&records)
            .iter()
            .map(|event| describe(event) + "\n")
            .collect();
        actual.insert_str(
            0,
            &format!("# events of {name}.conv, replayed as recorded\n"),
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
        assert!(!expected.is_empty(), "{name}");
        let points: usize = records.iter().map(|r| r.data.len().saturating_sub(1)).sum();
        let stride = if points <= 3000 { 1 } else { points / 600 };
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
                    calls(&replay(resplit)),
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
        for round in 0..30 {
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
fn a_smaller_capture_gives_the_same_calls() {
    for (name, records) in conversations() {
        let expected = replay(&records);
        for capture in [1024, 256] {
            let recaptured: Vec<Record> = records.iter().map(|r| recapture(r, capture)).collect();
            assert_same_calls(
                &replay(&recaptured),
                &expected,
                &format!("{name}: {capture}-byte capture"),
            );
        }
    }
}

#[test]
fn writes_read_at_once_give_the_same_calls() {
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
        assert_same_calls(&replay(&merged), &expected, &name);
    }
}

#[test]
fn picked_up_mid_stream_gives_the_calls_that_follow() {
    // Started at each client write that begins with a command, the parser
    // reports the calls sent from there on.
    for (name, records) in conversations() {
        let all = replay(&records);
        for (index, record) in records.iter().enumerate() {
            if !record.client || !looks_like_command(&record.data) || index == 0 {
                continue;
            }
            let start_ns = index as u64 + 1;
            let expected: Vec<DbEvent> = all
                .iter()
                .filter(|event| matches!(event, DbEvent::Call(call) if call.start_ns >= start_ns))
                .cloned()
                .collect();
            let mut connection = MysqlConnection::new();
            let mut events = Vec::new();
            let mut now = start_ns - 1;
            for record in &records[index..] {
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
            let without_numbers = |events: &[DbEvent]| -> Vec<String> {
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
            };
            // An execute of a statement prepared before the pickup reports
            // `EXECUTE`.
            let actual = without_numbers(&events);
            let expected = without_numbers(&expected);
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
            assert_eq!(connection.stats().replies_unpaired, 0, "{name}: {index}");
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

#[test]
fn records_parse() {
    let record = parse_record(r#"< 70000 "a\r\n\"\\\x00" "z""#).unwrap();
    assert!(!record.client);
    assert_eq!(record.total_len, 70000);
    assert_eq!(record.data, b"a\r\n\"\\\x00");
    assert_eq!(record.tail, b"z");
    assert!(parse_record(r#"? 1 "a" """#).is_none());
}
