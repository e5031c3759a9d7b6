//! The parser of one connection: a tokenizer per direction and the
//! conversation they feed.

use super::{
    super::segments::Stamp,
    super::{
        chunk::Chunk,
        db::{DbEvent, DbStats},
    },
    conversation::Conversation,
    tokens::Tokenizer,
};

/// Bytes of a bulk string kept: enough for a command name or a first
/// element's name; values are never kept.
const BLOB_KEEP: usize = 32;

/// Parses both directions of one Redis connection (RESP2 or RESP3) and
/// pairs each command with its reply.
///
/// Feed every captured chunk of the connection, each direction in order
/// and both in timestamp order, then [`close`](Self::close) it. Reports a
/// [`DbEvent::Call`] per command, named by the command (and subcommand):
/// never a key or a value.
///
/// Memory is bounded whatever the bytes: 64 bytes of a line and 32 of a
/// bulk string are kept, replies nest at most 32 deep, and at most 256
/// commands wait for replies. What is given up on is counted in
/// [`stats`](Self::stats).
#[derive(Debug)]
pub struct RedisConnection {
    client: Tokenizer,
    server: Tokenizer,
    conversation: Conversation,
}

impl Default for RedisConnection {
    fn default() -> Self {
        Self::new()
    }
}

impl RedisConnection {
    pub fn new() -> Self {
        Self {
            client: Tokenizer::new(true, BLOB_KEEP),
            server: Tokenizer::new(false, BLOB_KEEP),
            conversation: Conversation::new(),
        }
    }

    /// Bytes flowing from the client to the server.
    pub fn feed_client(&mut self, chunk: &Chunk<'_>, out: &mut Vec<DbEvent>) {
        self.conversation.begin_chunk();
        let dropped = self.server.forget_probe();
        self.conversation.skipped(dropped);
        self.client
            .feed(chunk, &mut self.conversation.client_side(out));
    }

    /// Bytes flowing from the server to the client.
    pub fn feed_server(&mut self, chunk: &Chunk<'_>, out: &mut Vec<DbEvent>) {
        self.conversation.begin_chunk();
        let dropped = self.client.forget_probe();
        self.conversation.skipped(dropped);
        self.server
            .feed(chunk, &mut self.conversation.server_side(out));
        self.conversation.server_chunk_done(Stamp::of(chunk));
    }

    /// The connection ended at `timestamp_ns`: every command still waiting
    /// is reported without an end, and the parser starts afresh.
    pub fn close(&mut self, timestamp_ns: u64, out: &mut Vec<DbEvent>) {
        let _ = timestamp_ns;
        self.conversation.close(out);
        let dropped = self.client.forget_probe() + self.server.forget_probe();
        self.conversation.skipped(dropped);
        self.client.reset();
        self.server.reset();
    }

    /// What was given up on so far.
    pub fn stats(&self) -> DbStats {
        self.conversation.stats
    }

    /// Commands waiting for their replies (none after a close).
    pub fn waiting(&self) -> usize {
        self.conversation.waiting()
    }
}
