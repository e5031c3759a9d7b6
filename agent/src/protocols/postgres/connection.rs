//! The parser of one connection: a reader per direction, the prepared
//! statements, and the pairing of calls with answers.

use std::sync::Arc;

use super::{
    super::{
        chunk::Chunk,
        db::{DbEvent, DbStats},
        segments::Stamp,
        sql,
    },
    messages::{self, backend, frontend, Closed},
    pairing::Pairing,
    reader::{Frame, Message, Reader, Side},
    statements::Statements,
};

/// Parses both directions of one PostgreSQL connection (protocol 3) and
/// pairs each call — a simple Query, an Execute — with its answer.
///
/// Feed every captured chunk of the connection, each direction in order and
/// both in timestamp order, then [`close`](Self::close) it. Each call is
/// reported once, as a [`DbEvent::Call`], when its answer ends (or at the
/// close); the session's database and user, when its startup was seen, as
/// a [`DbEvent::Session`]. An Execute of a statement prepared before the
/// capture started (or forgotten, see below) is reported with an empty
/// [`Statement`](sql::Statement): its duration and outcome are known, its
/// text is not.
///
/// Memory is bounded whatever the bytes: 16 KiB of a message's body is
/// kept per direction, 256 prepared statements (512 KiB of normalized
/// text) and 16 portals are remembered, and 1024 calls or sync points
/// (256 KiB of their statements) wait for answers. What is given up on is
/// counted in [`stats`](Self::stats).
#[derive(Debug)]
pub struct PostgresConnection {
    client: Reader,
    server: Reader,
    session: Session,
}

/// What the client's messages set up, and the calls waiting for the
/// server.
#[derive(Debug, Default)]
struct Session {
    statements: Statements,
    pairing: Pairing,
    /// The first message of the extended-query request being sent (a Parse
    /// or Bind before its Execute): where the next Execute's call starts.
    request_start: Option<Stamp>,
    /// What the other direction's reader must do after this chunk.
    server_action: Option<ServerAction>,
    encrypted: bool,
    normalizer: sql::Normalizer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServerAction {
    /// A StartupMessage: the server's messages start aligned.
    SessionStarted,
    /// An SSLRequest or GSSENCRequest: one byte answers.
    ExpectAnswer,
}

impl Default for PostgresConnection {
    fn default() -> Self {
        Self::new()
    }
}

impl PostgresConnection {
    pub fn new() -> Self {
        Self {
            client: Reader::new(Side::Client),
            server: Reader::new(Side::Server),
            session: Session::default(),
        }
    }

    /// Bytes flowing from the client to the server.
    pub fn feed_client(&mut self, chunk: &Chunk<'_>, out: &mut Vec<DbEvent>) {
        let session = &mut self.session;
        self.client
            .feed(chunk, &mut |frame| session.client_frame(frame, out));
        match self.session.server_action.take() {
            Some(ServerAction::SessionStarted) => self.server.session_started(),
            Some(ServerAction::ExpectAnswer) => self.server.expect_answer(),
            None => {}
        }
        self.sync_encryption();
    }

    /// Bytes flowing from the server to the client.
    pub fn feed_server(&mut self, chunk: &Chunk<'_>, out: &mut Vec<DbEvent>) {
        let session = &mut self.session;
        self.server
            .feed(chunk, &mut |frame| session.server_frame(frame, out));
        self.sync_encryption();
    }

    /// The connection ended at `timestamp_ns`: every call still waiting is
    /// reported without an end, and the parser starts afresh.
    pub fn close(&mut self, timestamp_ns: u64, out: &mut Vec<DbEvent>) {
        // Nothing ends at the close in this protocol: every answer is
        // framed.
        let _ = timestamp_ns;
        self.session.pairing.flush(out);
        let stats = self.stats();
        self.client.reset();
        self.server.reset();
        self.session = Session::default();
        self.session.pairing.stats = stats;
        self.client.skipped = 0;
        self.server.skipped = 0;
    }

    /// What was given up on so far.
    pub fn stats(&self) -> DbStats {
        let mut stats = self.session.pairing.stats;
        stats.bytes_skipped = stats
            .bytes_skipped
            .saturating_add(self.client.skipped)
            .saturating_add(self.server.skipped);
        stats
    }

    /// Once either side is encrypted, both are.
    fn sync_encryption(&mut self) {
        if self.session.encrypted || self.client.encrypted() || self.server.encrypted() {
            self.session.encrypted = true;
            if !self.client.encrypted() {
                self.client.encrypt();
            }
            if !self.server.encrypted() {
                self.server.encrypt();
            }
        }
    }
}

impl Session {
    fn client_frame(&mut self, frame: Frame<'_>, out: &mut Vec<DbEvent>) {
        match frame {
            Frame::Message(message) => self.client_message(message, out),
            // A stretch of client bytes that could not be read: calls may
            // have been in it.
            Frame::Lost => self.pairing.stats.calls_unparseable += 1,
            Frame::Answer(_) | Frame::Rejoined { .. } => {}
        }
    }

    fn client_message(&mut self, message: Message<'_>, out: &mut Vec<DbEvent>) {
        let body = message.body;
        match message.tag {
            0 => self.startup_packet(body, out),
            frontend::QUERY => {
                self.statements.simple_query();
                self.request_start = None;
                let statement = normalize(&mut self.normalizer, messages::query_text(body));
                self.pairing.query(Arc::new(statement), message.first);
            }
            frontend::PARSE => {
                self.request_start.get_or_insert(message.first);
                if let Some((name, text)) = messages::parse(body) {
                    let statement = normalize(&mut self.normalizer, text);
                    self.statements.parse(name, Arc::new(statement));
                }
            }
            frontend::BIND => {
                self.request_start.get_or_insert(message.first);
                match messages::bind(body) {
                    Some((portal, statement)) => self.statements.bind(portal, statement),
                    // Most likely the unnamed portal: it no longer runs
                    // what it ran.
                    None => self.statements.close_portal(b""),
                }
            }
            frontend::DESCRIBE => {
                self.request_start.get_or_insert(message.first);
            }
            frontend::EXECUTE => {
                let start = self.request_start.take().unwrap_or(message.first);
                let statement = messages::execute(body).and_then(|p| self.statements.portal(p));
                self.pairing.execute(statement, start);
            }
            frontend::CLOSE => match messages::close(body) {
                Some(Closed::Statement(name)) => self.statements.close_statement(name),
                Some(Closed::Portal(name)) => self.statements.close_portal(name),
                None => {}
            },
            frontend::SYNC | frontend::FUNCTION_CALL => {
                self.request_start = None;
                self.pairing.sync();
            }
            frontend::COPY_DATA => self.copy_data(message.len),
            _ => {}
        }
    }

    /// An untyped packet: its code, then its parameters.
    fn startup_packet(&mut self, body: &[u8], out: &mut Vec<DbEvent>) {
        let Some(code) = messages::be_u32(body, 0) else {
            return;
        };
        match code {
            messages::SSL_REQUEST | messages::GSSENC_REQUEST => {
                self.server_action = Some(ServerAction::ExpectAnswer);
            }
            messages::CANCEL_REQUEST => {}
            _ if code >> 16 == messages::PROTOCOL_3 => {
                let startup = messages::startup(body.get(4..).unwrap_or_default());
                out.push(DbEvent::Session {
                    database: startup.database,
                    user: startup.user,
                });
                self.server_action = Some(ServerAction::SessionStarted);
                // Authentication ends with a ReadyForQuery.
                self.pairing.sync();
            }
            _ => self.pairing.stats.calls_unparseable += 1,
        }
    }

    fn server_frame(&mut self, frame: Frame<'_>, out: &mut Vec<DbEvent>) {
        match frame {
            Frame::Message(message) => self.server_message(message, out),
            Frame::Answer(answer) => self.encrypted |= matches!(answer, b'S' | b'G'),
            Frame::Rejoined { pickup } => self.pairing.rejoined(pickup),
            Frame::Lost => self.pairing.lost(),
        }
    }

    fn server_message(&mut self, message: Message<'_>, out: &mut Vec<DbEvent>) {
        let last = message.last;
        match message.tag {
            backend::DATA_ROW => self.pairing.data_row(),
            backend::COMMAND_COMPLETE => {
                let rows = messages::command_rows(message.body);
                let command = messages::command_word(message.body);
                self.pairing.command_complete(command, rows, last, out);
            }
            backend::EMPTY_QUERY_RESPONSE => self.pairing.empty_query(last, out),
            backend::PORTAL_SUSPENDED => self.pairing.portal_suspended(last, out),
            backend::ERROR_RESPONSE => {
                let code = messages::error_code(message.body);
                self.pairing.error(code, last, out);
            }
            backend::READY_FOR_QUERY => self.pairing.ready(last, out),
            backend::COPY_DATA => self.copy_data(message.len),
            _ => {}
        }
    }

    /// COPY data is not parsed: counted as skipped (header included).
    fn copy_data(&mut self, len: u64) {
        let stats = &mut self.pairing.stats;
        stats.bytes_skipped = stats.bytes_skipped.saturating_add(len.saturating_add(5));
    }
}

/// The normalized statement of SQL text as captured (cut when the message
/// was only partly captured; decoded lossily).
fn normalize(normalizer: &mut sql::Normalizer, text: &[u8]) -> sql::Statement {
    normalizer.normalize(&String::from_utf8_lossy(text), sql::Dialect::POSTGRESQL)
}
