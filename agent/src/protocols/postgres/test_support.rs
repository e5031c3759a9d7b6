//! Helpers shared by the scenario and golden tests: a connection driven
//! chunk by chunk, and one readable line per event.

use std::fmt::Write;

use super::{
    super::{
        chunk::Chunk,
        db::{DbCall, DbEvent},
    },
    PostgresConnection,
};

/// Threads the tests' chunks come from: the client's and the server's.
pub const CLIENT_TID: u32 = 1;
pub const SERVER_TID: u32 = 2;

/// A connection fed with chunks stamped 1, 2, 3...
#[derive(Default)]
pub struct Wire {
    pub conn: PostgresConnection,
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

    /// The calls so far, one line each, without times.
    pub fn calls(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| match event {
                DbEvent::Call(call) => Some(describe_call(call, false)),
                DbEvent::Session { .. } => None,
            })
            .collect()
    }
}

/// One line for an event: `session database=D user=U`, or
/// `#SEQ OPERATION "TEXT" rows=N OUTCOME START-END/TID` (see [`describe_call`]).
pub fn describe(event: &DbEvent) -> String {
    match event {
        DbEvent::Session { database, user } => format!(
            "session database={} user={}",
            database.as_deref().unwrap_or("-"),
            user.as_deref().unwrap_or("-")
        ),
        DbEvent::Call(call) => describe_call(call, true),
    }
}

/// A call: its number, the statement's operation and normalized text, the
/// rows, `ok` or the error's code, and (`times`) the first and last
/// chunks with the first one's thread (`-` for no end).
pub fn describe_call(call: &DbCall, times: bool) -> String {
    let statement = &call.statement;
    let mut line = format!(
        "#{} {} {:?} rows={} {}",
        call.sequence,
        statement.operation.as_deref().unwrap_or("-"),
        statement.text,
        call.rows
            .map_or_else(|| "-".to_string(), |rows| rows.to_string()),
        call.error.as_deref().unwrap_or("ok"),
    );
    if times {
        let end = call
            .end_ns
            .map_or_else(|| "-".to_string(), |end| end.to_string());
        let _ = write!(line, " {}-{end}/{}", call.start_ns, call.tid);
    }
    line
}
