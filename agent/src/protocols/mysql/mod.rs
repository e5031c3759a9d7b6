//! MySQL and MariaDB: the client/server protocol of both directions of a
//! connection, each command paired with its reply.
//!
//! Packets are framed by their 3-byte lengths (`framing.rs`), so that rows
//! are counted, not kept, captured or not; the conversation (`conversation.rs`)
//! follows the login (greeting, HandshakeResponse41, SSLRequest after which
//! TLS is skipped), the commands (`command.rs`) and their replies
//! (`reply.rs`: OK, ERR, result sets, prepared statements). A connection
//! opened before sonde started is picked up at the first client write that
//! starts with a command; where uncaptured bytes hide packet boundaries,
//! the parser finds its way again at the next command (a client reads a
//! reply whole before sending one) or at a reply's last packet in a
//! captured tail.
//!
//! The parser depends on nothing in the agent but `chunk`, `db`,
//! `segments` and `sql`, so the fuzz target can include this directory as
//! it is, with them.

mod classify;
mod command;
mod connection;
mod conversation;
mod framing;
mod handshake;
mod reply;
mod statements;
mod wire;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod test_support;

pub use classify::{looks_like_command, looks_like_server_greeting};
pub use connection::MysqlConnection;
