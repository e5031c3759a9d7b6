//! Helpers shared by the scenario and golden tests: a connection driven
//! chunk by chunk, packets built by hand, one readable line per event.

use std::fmt::Write;

use super::{
    super::{
        chunk::Chunk,
        db::{DbCall, DbEvent},
    },
    MysqlConnection,
};

/// Threads the tests' chunks come from: the client's and the server's.
pub const CLIENT_TID: u32 = 1;
pub const SERVER_TID: u32 = 2;

/// A connection fed with chunks stamped 1, 2, 3...
#[derive(Default)]
pub struct Wire {
    pub conn: MysqlConnection,
    pub events: Vec<DbEvent>,
    pub now: u64,
}

impl Wire {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fully captured chunk from the client.
    pub fn client(&mut self, data: &[u8]) -> &mut Self {
        self.client_captured(data, data.len(), b"")
    }

    /// A fully captured chunk from the server.
    pub fn server(&mut self, data: &[u8]) -> &mut Self {
        self.server_captured(data, data.len(), b"")
    }

    /// A client chunk of `total_len` bytes, of which `data` and `tail` were captured.
    pub fn client_captured(&mut self, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        let chunk = self.chunk(data, total_len, tail, CLIENT_TID);
        self.conn.feed_client(&chunk, &mut self.events);
        self
    }

    /// A server chunk of `total_len` bytes, of which `data` and `tail` were captured.
    pub fn server_captured(&mut self, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        let chunk = self.chunk(data, total_len, tail, SERVER_TID);
        self.conn.feed_server(&chunk, &mut self.events);
        self
    }

    pub fn close(&mut self) -> &mut Self {
        self.now += 1;
        self.conn.close(self.now, &mut self.events);
        self
    }

    fn chunk<'a>(
        &mut self,
        data: &'a [u8],
        total_len: usize,
        tail: &'a [u8],
        tid: u32,
    ) -> Chunk<'a> {
        self.now += 1;
        Chunk {
            data,
            total_len,
            tail,
            timestamp_ns: self.now,
            tid,
        }
    }

    /// Every event so far, one line each.
    pub fn lines(&self) -> Vec<String> {
        self.events.iter().map(describe).collect()
    }
}

/// A packet: header (length, `seq`) and payload.
pub fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_le_bytes();
    let mut bytes = vec![len[0], len[1], len[2], seq];
    bytes.extend_from_slice(payload);
    bytes
}

/// Packets one after the other, numbered from `seq`.
pub fn packets(seq: u8, payloads: &[&[u8]]) -> Vec<u8> {
    payloads
        .iter()
        .enumerate()
        .flat_map(|(index, payload)| packet(seq.wrapping_add(index as u8), payload))
        .collect()
}

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
