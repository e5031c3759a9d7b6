//! The parser of one connection: a packet reader per direction and the
//! conversation they feed.

use super::{
    super::segments::Stamp,
    super::{
        chunk::Chunk,
        db::{DbEvent, DbStats},
    },
    conversation::Conversation,
    framing::PacketReader,
};

/// Bytes of a client message kept: a statement's text beyond this is cut
/// (the kernel captures 4 KiB of a write anyway).
pub(super) const MAX_CLIENT_MESSAGE: usize = 16 * 1024;
/// Bytes of a server message kept: enough for every header sonde reads
/// (greeting, OK, ERR, EOF, prepare OK, column count); rows are never kept.
pub(super) const MAX_SERVER_MESSAGE: usize = 512;

/// Parses both directions of one MySQL/MariaDB connection and pairs each
/// command with its reply.
///
/// Feed every captured chunk of the connection, each direction in order
/// and both in timestamp order, then [`close`](Self::close) it. Reports a
/// [`DbEvent::Call`] for each query, execute, and failed prepare, and a
/// [`DbEvent::Session`] when a login, COM_INIT_DB or COM_CHANGE_USER
/// succeeds.
///
/// Memory is bounded whatever the bytes: 16 KiB of a client message and
/// 512 bytes of a server message are kept, at most 64 commands wait for
/// replies, and at most 256 prepared statements (256 KiB of normalized
/// text) are remembered. What is given up on is counted in
/// [`stats`](Self::stats).
#[derive(Debug)]
pub struct MysqlConnection {
    client: PacketReader,
    server: PacketReader,
    conversation: Conversation,
}

impl Default for MysqlConnection {
    fn default() -> Self {
        Self::new()
    }
}

impl MysqlConnection {
    pub fn new() -> Self {
        Self {
            client: PacketReader::new(MAX_CLIENT_MESSAGE),
            server: PacketReader::new(MAX_SERVER_MESSAGE),
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
        if self.conversation.is_tls() && !self.server.is_off() {
            self.server.turn_off();
        }
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
