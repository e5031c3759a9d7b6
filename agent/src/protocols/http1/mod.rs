//! HTTP/1.x: incremental parsing of both directions of a connection and
//! pairing of each request with its response.
//!
//! Input is what the kernel captured of each read/write: the first bytes,
//! the total length, and the last bytes when the middle was not copied.
//! Bodies are counted off by their framing, never kept; heads are parsed
//! with `httparse`. Where captured bytes are not enough, two documented
//! heuristics (`resync.rs`) find the way again: messages start at the start
//! of a syscall's payload, and a chunked body whose sizes went uncaptured
//! ends with a terminator seen in the captured tail.
//!
//! The contract with the rest of the agent is `types.rs`; the parser has no
//! other dependency inside the agent than `chunk` and `segments` (how every
//! parser reads a chunk), so the fuzz target can include them and this
//! directory as they are.

mod body;
mod chunked;
mod connection;
mod framing;
mod head;
mod pairing;
mod reader;
mod resync;
pub mod types;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod test_support;

pub use connection::Http1Connection;
pub use types::*;
