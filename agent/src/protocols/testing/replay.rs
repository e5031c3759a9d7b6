//! A recorded conversation replayed through a parser's connection, and the
//! same bytes as other syscalls would have carried them: split at other
//! boundaries, captured with less, or many writes read at once.

use super::{
    super::chunk::Chunk,
    conv::Record,
    wire::{Connection, CLIENT_TID, SERVER_TID},
};

/// Feeds `records` (stamped 1, 2, 3...) then closes; every event.
pub fn replay<'a, C: Connection>(records: impl IntoIterator<Item = &'a Record>) -> Vec<C::Event> {
    replay_from::<C>(records, 1).0
}

/// Feeds `records` stamped `first_ns`, `first_ns + 1`... then closes; every
/// event and the connection's final state.
pub fn replay_from<'a, C: Connection>(
    records: impl IntoIterator<Item = &'a Record>,
    first_ns: u64,
) -> (Vec<C::Event>, C) {
    let mut connection = C::default();
    let mut events = Vec::new();
    let mut now = first_ns - 1;
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
        connection.feed(record.client, &chunk, &mut events);
    }
    connection.end(now + 1, &mut events);
    (events, connection)
}

/// `record` as two syscalls, the first `at` bytes of its captured data
/// then the rest.
pub fn split(record: &Record, at: usize) -> [Record; 2] {
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

/// `records`, each split into syscalls of one captured byte.
pub fn bytewise(records: &[Record]) -> Vec<Record> {
    records
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
        .collect()
}

/// `records`, each split at points `rng` picks (a third of the time not).
pub fn random_split(records: &[Record], rng: &mut Rng) -> Vec<Record> {
    records
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
        .collect()
}

/// `record` as a capture of `capture` bytes (and a 64-byte tail) would keep it.
pub fn recapture(record: &Record, capture: usize) -> Record {
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

/// [`recapture`] of each of `records`.
pub fn recaptured(records: &[Record], capture: usize) -> Vec<Record> {
    records.iter().map(|r| recapture(r, capture)).collect()
}

/// `records` as a reader with a large buffer would get them: a side's
/// writes one after the other in one syscall (those fully captured).
pub fn read_at_once(records: &[Record]) -> Vec<Record> {
    let mut merged: Vec<Record> = Vec::new();
    for record in records {
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
    merged
}

/// A small deterministic generator (xorshift), for reproducible splits.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}
