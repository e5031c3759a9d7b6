//! What the database parsers (PostgreSQL, MySQL, Redis) report: one
//! [`DbCall`] per query or command, with its outcome. The same shape for
//! every system so that the pipeline builds spans and metrics once.

use super::sql::Statement;

/// The database a connection speaks to (`db.system.name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbSystem {
    Postgresql,
    Mysql,
    Redis,
}

impl DbSystem {
    /// The semantic-convention value of `db.system.name`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgresql => "postgresql",
            Self::Mysql => "mysql",
            Self::Redis => "redis",
        }
    }
}

/// Something a database parser learned about a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbEvent {
    /// The session's database and user, from its startup/handshake (only
    /// seen for connections opened while sonde runs).
    Session {
        database: Option<String>,
        user: Option<String>,
    },
    /// A query or command and its outcome.
    Call(DbCall),
}

/// One query or command sent by the client and the server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbCall {
    /// Index of the call on this connection, from 0.
    pub sequence: u64,
    /// The normalized statement: never a literal. For Redis the command
    /// name only (`GET`, `HSET`; `text` is the name too).
    pub statement: Statement,
    /// The chunk carrying the call's first byte: its timestamp and thread.
    pub start_ns: u64,
    pub tid: u32,
    /// The chunk carrying the last byte of the answer; None when the
    /// connection closed (or the parser lost its way) before it came.
    pub end_ns: Option<u64>,
    /// Rows returned or affected, where the protocol says.
    pub rows: Option<u64>,
    /// The error the server answered with: a SQLSTATE (`42P01`), a MySQL
    /// error number (`1146`), a Redis error prefix (`WRONGTYPE`). Never the
    /// message, which may quote data.
    pub error: Option<String>,
}

/// What a database parser gave up on, for the drop counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DbStats {
    /// Calls whose request could not be read (not captured, malformed).
    pub calls_unparseable: u64,
    /// Answers that matched no call (picked up mid-conversation).
    pub replies_unpaired: u64,
    /// Calls not tracked because too many were waiting for answers.
    pub calls_dropped: u64,
    /// Bytes skipped while out of sync or inside an unparsed stream
    /// (COPY data, TLS).
    pub bytes_skipped: u64,
}

impl DbStats {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &DbStats) {
        self.calls_unparseable = self
            .calls_unparseable
            .saturating_add(other.calls_unparseable);
        self.replies_unpaired = self.replies_unpaired.saturating_add(other.replies_unpaired);
        self.calls_dropped = self.calls_dropped.saturating_add(other.calls_dropped);
        self.bytes_skipped = self.bytes_skipped.saturating_add(other.bytes_skipped);
    }
}
