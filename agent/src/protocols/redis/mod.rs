//! Redis: RESP2 and RESP3 on both directions of a connection, each command
//! paired with its reply.
//!
//! Both directions are tokenized alike (`tokens.rs`: lines and bulk
//! strings, counted off by their lengths, captured or not); commands are
//! built from the client's tokens (`request.rs`), values of every type from
//! the server's (`reply.rs`), and paired in order (`conversation.rs`), pub/sub
//! messages and RESP3 pushes aside. A call is named by its command
//! (`commands.rs`): keys and values never leave the parser.
//!
//! A connection opened before sonde started is picked up at the first
//! client write that starts with a command; where uncaptured bytes hide
//! where a reply ends, the replies to the commands sent before are taken to
//! have ended in the server's last chunk when the client sends the next
//! command, and replies are read again from the next server chunk.
//!
//! The parser depends on nothing in the agent but `chunk`, `db`,
//! `segments` and `sql`, so the fuzz target can include this directory as
//! it is, with them.

mod commands;
mod connection;
mod conversation;
mod reply;
mod request;
mod tokens;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod test_support;

pub use commands::looks_like_command;
pub use connection::RedisConnection;
