//! PostgreSQL frontend/backend protocol 3: incremental parsing of both
//! directions of a connection, and pairing of each call (a simple Query, an
//! extended-query Execute) with the server's answer.
//!
//! Input is what the kernel captured of each read/write: the first bytes,
//! the total length, and the last bytes when the middle was not copied.
//! Messages are framed by their length and bodies skipped, never buffered
//! but for the few the parser reads (`reader.rs`); statement text leaves
//! only through `sql::normalize`, errors only as their SQLSTATE.
//! Connections picked up mid-conversation, and streams whose framing went
//! uncaptured, find their way back by the rules of `resync.rs`.
//!
//! The parser depends on nothing in the agent but `chunk`, `db`,
//! `segments` and `sql`, so the fuzz target and the benchmark include this
//! directory as it is, with them.

mod classify;
mod connection;
mod messages;
mod pairing;
mod reader;
mod resync;
mod statements;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod test_support;

pub use connection::PostgresConnection;
