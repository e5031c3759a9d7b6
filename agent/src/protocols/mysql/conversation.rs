//! What both directions of a connection learn together: the phase (login,
//! commands, TLS), the commands waiting for replies, the reply being read,
//! the prepared statements. Each direction's packet reader reports to it
//! through a [`Sink`] of its own.

use std::collections::VecDeque;

use super::{
    super::segments::Stamp,
    super::{
        db::{DbCall, DbEvent, DbStats},
        sql::{self, Statement},
    },
    classify::{header, looks_like_command, looks_like_server_greeting},
    command::{self, Command, LAST_PREPARED},
    framing::{Flow, Message, Sink},
    handshake::{self, ClientHello, CLIENT_DEPRECATE_EOF},
    reply::{reply_end_in, Expect, Outcome, Reply, Step, TailEnd},
    statements::Statements,
};

/// Commands waiting for their replies at most; more are not tracked
/// (MySQL clients rarely pipeline).
pub(super) const MAX_WAITING: usize = 64;

/// How statements are read: MySQL's, except that whether a backslash
/// escapes is left unknown, because a server in `NO_BACKSLASH_ESCAPES` mode
/// would otherwise let the rest of a string after `\'` out as text.
const DIALECT: sql::Dialect = sql::Dialect {
    backslash_escapes: None,
    ..sql::Dialect::MYSQL
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing read yet.
    Start,
    /// The server's greeting was read: the client's answer comes next.
    Greeted,
    /// The client logged in: authentication exchanges until OK or ERR.
    LoggingIn,
    Commands,
    /// TLS: nothing more is read.
    Tls,
}

/// What a command's reply is for.
#[derive(Debug)]
enum Purpose {
    /// A call to report (COM_QUERY, execute).
    Call(Statement),
    /// Reported when it fails; remembered by statement id when it succeeds.
    Prepare(Statement),
    InitDb(String),
    ChangeUser {
        user: Option<String>,
        database: Option<String>,
    },
    ResetConnection,
    Other,
}

/// A command waiting for its reply.
#[derive(Debug)]
struct Waiting {
    purpose: Purpose,
    expect: Expect,
    /// The chunk carrying its first byte.
    start: Stamp,
    /// The ordinal of that chunk on the connection.
    sent: u64,
}

/// The state shared by both directions.
#[derive(Debug)]
pub(super) struct Conversation {
    phase: Phase,
    server_capabilities: Option<u32>,
    capabilities: Option<u32>,
    deprecate_eof: Option<bool>,
    user: Option<String>,
    database: Option<String>,
    waiting: VecDeque<Waiting>,
    /// The reply to the first waiting command.
    reply: Reply,
    statements: Statements,
    /// The statement of the last COM_STMT_PREPARE sent.
    last_prepare: Option<Statement>,
    /// The client is sending a LOCAL INFILE.
    infile: bool,
    /// Chunks fed so far (both directions): the current one's ordinal.
    chunks: u64,
    /// Ordinal and stamp of the server's last chunk.
    last_server_chunk: Option<(u64, Stamp)>,
    /// A command came after the server's last chunk: the next one starts
    /// its reply.
    command_since_server: bool,
    /// The server's bytes that matched no command were counted as one
    /// unpaired reply since the last command.
    unpaired_counted: bool,
    /// The server's reader lost its way inside a reply.
    server_lost: bool,
    next_sequence: u64,
    normalizer: sql::Normalizer,
    pub stats: DbStats,
}

impl Conversation {
    pub fn new() -> Self {
        Self {
            phase: Phase::Start,
            server_capabilities: None,
            capabilities: None,
            deprecate_eof: None,
            user: None,
            database: None,
            waiting: VecDeque::new(),
            reply: Reply::new(Expect::UntilNextCommand),
            statements: Statements::default(),
            last_prepare: None,
            infile: false,
            chunks: 0,
            last_server_chunk: None,
            command_since_server: false,
            unpaired_counted: false,
            server_lost: false,
            next_sequence: 0,
            normalizer: sql::Normalizer::new(),
            stats: DbStats::default(),
        }
    }

    /// A chunk of either direction is about to be fed.
    pub fn begin_chunk(&mut self) {
        self.chunks = self.chunks.saturating_add(1);
    }

    /// Bytes skipped outside the readers' sinks.
    pub fn skipped(&mut self, bytes: u64) {
        self.stats.bytes_skipped = self.stats.bytes_skipped.saturating_add(bytes);
    }

    /// The server's chunk of `stamp` was fed.
    pub fn server_chunk_done(&mut self, stamp: Stamp) {
        self.last_server_chunk = Some((self.chunks, stamp));
        self.command_since_server = false;
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_tls(&self) -> bool {
        self.phase == Phase::Tls
    }

    pub fn client_side<'a>(&'a mut self, out: &'a mut Vec<DbEvent>) -> ClientSide<'a> {
        ClientSide { conv: self, out }
    }

    pub fn server_side<'a>(&'a mut self, out: &'a mut Vec<DbEvent>) -> ServerSide<'a> {
        ServerSide { conv: self, out }
    }

    /// The connection closed: every waiting command is reported (without
    /// an end, unless its reply was complete), and a new conversation
    /// starts (the numbering of calls goes on).
    pub fn close(&mut self, out: &mut Vec<DbEvent>) {
        while !self.waiting.is_empty() {
            let outcome = self
                .reply
                .complete_unless_eof()
                .unwrap_or_else(|| self.reply.unfinished(None));
            self.finish_front(outcome, out);
        }
        *self = Self {
            next_sequence: self.next_sequence,
            stats: self.stats,
            ..Self::new()
        };
    }

    /// A command was read.
    fn command(&mut self, message: &Message<'_>, out: &mut Vec<DbEvent>) {
        self.settle_before_command(out);
        self.command_since_server = true;
        self.unpaired_counted = false;
        let normalizer = &mut self.normalizer;
        let mut text =
            |bytes: &[u8]| normalizer.normalize(&String::from_utf8_lossy(bytes), DIALECT);
        let (purpose, expect) = match command::parse(message.payload, self.capabilities) {
            Command::Query(query) => (Purpose::Call(text(query)), Expect::ResultSets),
            Command::Prepare(query) => {
                let statement = text(query);
                self.last_prepare = Some(statement.clone());
                (Purpose::Prepare(statement), Expect::Prepare)
            }
            Command::Execute(id) => {
                let known = if id == LAST_PREPARED {
                    self.last_prepare.as_ref()
                } else {
                    self.statements.get(id)
                };
                let statement = known.cloned().unwrap_or_else(unknown_prepared_statement);
                (Purpose::Call(statement), Expect::ResultSets)
            }
            Command::Close(id) => {
                self.statements.remove(id);
                return;
            }
            Command::InitDb(database) => (Purpose::InitDb(database), Expect::Single),
            Command::ChangeUser { user, database } => {
                (Purpose::ChangeUser { user, database }, Expect::Auth)
            }
            Command::ResetConnection => (Purpose::ResetConnection, Expect::Single),
            Command::Other(expect) => (Purpose::Other, expect),
            Command::NoReply => return,
            Command::Unreadable => {
                self.stats.calls_unparseable += 1;
                (Purpose::Other, Expect::UntilNextCommand)
            }
        };
        if self.waiting.len() >= MAX_WAITING {
            self.stats.calls_dropped += 1;
            return;
        }
        if self.waiting.is_empty() {
            self.reply = Reply::new(expect);
        }
        self.waiting.push_back(Waiting {
            purpose,
            expect,
            start: message.first,
            sent: self.chunks,
        });
    }

    /// A client does not send a command before it has read the replies it
    /// waits for (pipelining aside): replies still open end here.
    fn settle_before_command(&mut self, out: &mut Vec<DbEvent>) {
        let last_server = self.last_server_chunk;
        while let Some(front) = self.waiting.front() {
            let answered_before = last_server.filter(|(ordinal, _)| front.sent < *ordinal);
            let outcome = if let Some(outcome) = self.reply.complete_unless_eof() {
                // No EOF came after the definitions: the session does not
                // send them.
                self.deprecate_eof = Some(true);
                outcome
            } else if let Some((_, stamp)) = answered_before
                .filter(|_| self.server_lost || front.expect == Expect::UntilNextCommand)
            {
                self.reply.unfinished(Some(stamp))
            } else {
                break;
            };
            self.finish_front(outcome, out);
        }
        if self.waiting.is_empty() {
            self.server_lost = false;
        }
    }

    /// The first waiting command's reply ended: report it.
    fn finish_front(&mut self, outcome: Outcome, out: &mut Vec<DbEvent>) {
        let Some(waiting) = self.waiting.pop_front() else {
            return;
        };
        if let Some(next) = self.waiting.front() {
            self.reply = Reply::new(next.expect);
        }
        let succeeded = outcome.succeeded();
        match waiting.purpose {
            Purpose::Call(statement) => self.report(statement, &waiting.start, &outcome, out),
            Purpose::Prepare(statement) => match outcome.prepared {
                Some(id) if succeeded => self.statements.insert(id, statement),
                _ if outcome.error.is_some() => {
                    self.report(statement, &waiting.start, &outcome, out)
                }
                _ => {}
            },
            Purpose::InitDb(database) if succeeded => {
                self.database = Some(database);
                self.session(out);
            }
            Purpose::ChangeUser { user, database } if succeeded => {
                self.user = user;
                self.database = database;
                self.statements.clear();
                self.session(out);
            }
            Purpose::ResetConnection if succeeded => self.statements.clear(),
            _ => {}
        }
    }

    fn report(
        &mut self,
        statement: Statement,
        start: &Stamp,
        outcome: &Outcome,
        out: &mut Vec<DbEvent>,
    ) {
        out.push(DbEvent::Call(DbCall {
            sequence: self.next_sequence,
            statement,
            start_ns: start.ns,
            tid: start.tid,
            end_ns: outcome.end.map(|end| end.ns),
            rows: outcome.rows,
            error: outcome.error.map(|code| code.to_string()),
        }));
        self.next_sequence += 1;
    }

    fn session(&self, out: &mut Vec<DbEvent>) {
        out.push(DbEvent::Session {
            database: self.database.clone(),
            user: self.user.clone(),
        });
    }

    /// Server bytes that answer no command: one unpaired reply per burst.
    fn unpaired(&mut self) {
        if !self.unpaired_counted {
            self.unpaired_counted = true;
            self.stats.replies_unpaired += 1;
        }
    }

    /// The client's answer to the greeting.
    fn hello(&mut self, message: &Message<'_>) -> Flow {
        self.phase = Phase::LoggingIn;
        match handshake::client_hello(message.payload, message.len) {
            Some(ClientHello::SslRequest) => {
                self.phase = Phase::Tls;
                Flow::Off
            }
            Some(ClientHello::Response {
                capabilities,
                user,
                database,
            }) => {
                let server = self.server_capabilities.unwrap_or(u32::MAX);
                self.capabilities = Some(capabilities);
                self.deprecate_eof = Some(capabilities & server & CLIENT_DEPRECATE_EOF != 0);
                self.user = user;
                self.database = database;
                Flow::Continue
            }
            None => Flow::Continue,
        }
    }

    /// A message of the server's, in the command phase.
    fn reply_message(&mut self, message: &Message<'_>, out: &mut Vec<DbEvent>) -> Flow {
        loop {
            if self.waiting.is_empty() {
                self.unpaired();
                return Flow::Unsync;
            }
            match self.reply.feed(message, &mut self.deprecate_eof) {
                Step::More => {
                    if std::mem::take(&mut self.reply.local_infile) {
                        self.infile = true;
                    }
                    return Flow::Continue;
                }
                Step::Done(outcome) => {
                    self.finish_front(outcome, out);
                    return Flow::Continue;
                }
                Step::EndedBefore(outcome) => self.finish_front(outcome, out),
            }
        }
    }
}

/// The statement of an execute whose prepare was not seen.
fn unknown_prepared_statement() -> Statement {
    Statement {
        text: "EXECUTE".into(),
        summary: "EXECUTE".into(),
        operation: Some("EXECUTE".into()),
        collection: None,
    }
}

/// Whether a packet starting `data` ends within the chunk's `total_len`
/// bytes, as a command written whole does; a large command may be read in
/// several large chunks.
fn fits(data: &[u8], total_len: usize) -> bool {
    const LARGE_CHUNK: usize = 16 * 1024;
    header(data).is_some_and(|(len, _, _)| {
        (len as usize).saturating_add(4) <= total_len || total_len >= LARGE_CHUNK
    })
}

/// The client's reader's sink.
pub(super) struct ClientSide<'a> {
    conv: &'a mut Conversation,
    out: &'a mut Vec<DbEvent>,
}

impl Sink for ClientSide<'_> {
    fn starts_here(&mut self, data: &[u8], total_len: usize) -> bool {
        match self.conv.phase {
            Phase::Greeted => header(data).is_some_and(|(_, seq, _)| seq == 1),
            Phase::Start | Phase::LoggingIn | Phase::Commands => {
                let command = looks_like_command(data) && fits(data, total_len);
                if command {
                    self.conv.phase = Phase::Commands;
                }
                command
            }
            Phase::Tls => false,
        }
    }

    fn message(&mut self, message: &Message<'_>) -> Flow {
        let conv = &mut *self.conv;
        match conv.phase {
            Phase::Tls => return Flow::Off,
            Phase::Start => return Flow::Unsync,
            Phase::Greeted if message.seq == 1 => return conv.hello(message),
            // Authentication data.
            Phase::LoggingIn if message.seq != 0 => return Flow::Continue,
            Phase::Greeted | Phase::LoggingIn => conv.phase = Phase::Commands,
            Phase::Commands => {}
        }
        if conv.infile {
            // The file's packets, ended by an empty one.
            conv.infile = message.len != 0;
        } else if message.seq == 0 {
            conv.command(message, self.out);
        }
        // Other packets continue an exchange (authentication for
        // COM_CHANGE_USER): the replies tell how it ends.
        Flow::Continue
    }

    fn lost(&mut self, _at: Stamp) {
        if matches!(self.conv.phase, Phase::Greeted | Phase::LoggingIn) {
            self.conv.phase = Phase::Commands;
        }
        self.conv.infile = false;
    }

    fn ends_here(&mut self, _tail: &[u8], _at: Stamp) -> bool {
        false
    }

    fn skipped(&mut self, bytes: u64) {
        self.conv.stats.bytes_skipped = self.conv.stats.bytes_skipped.saturating_add(bytes);
    }
}

/// The server's reader's sink.
pub(super) struct ServerSide<'a> {
    conv: &'a mut Conversation,
    out: &'a mut Vec<DbEvent>,
}

impl Sink for ServerSide<'_> {
    fn starts_here(&mut self, data: &[u8], _total_len: usize) -> bool {
        let conv = &mut *self.conv;
        let seq = header(data).map(|(_, seq, _)| seq);
        match conv.phase {
            Phase::Start if looks_like_server_greeting(data) => true,
            Phase::LoggingIn => seq.is_some_and(|seq| seq > 1),
            Phase::Start | Phase::Commands if conv.waiting.is_empty() => {
                conv.unpaired();
                false
            }
            Phase::Commands if conv.command_since_server && seq == Some(1) => {
                if conv.server_lost {
                    conv.server_lost = false;
                    if let Some(front) = conv.waiting.front() {
                        conv.reply = Reply::new(front.expect);
                    }
                }
                true
            }
            _ => false,
        }
    }

    fn message(&mut self, message: &Message<'_>) -> Flow {
        let conv = &mut *self.conv;
        match conv.phase {
            Phase::Start => {
                conv.server_capabilities = handshake::greeting_capabilities(message.payload);
                conv.phase = Phase::Greeted;
                Flow::Continue
            }
            Phase::Greeted => Flow::Continue,
            Phase::LoggingIn => {
                match message.payload.first() {
                    Some(0x00) => {
                        conv.phase = Phase::Commands;
                        conv.session(self.out);
                    }
                    // Login refused: the server closes the connection.
                    Some(0xff) => conv.phase = Phase::Commands,
                    // Auth switch, more data: exchanges go on.
                    _ => {}
                }
                Flow::Continue
            }
            Phase::Commands => conv.reply_message(message, self.out),
            Phase::Tls => Flow::Off,
        }
    }

    fn lost(&mut self, _at: Stamp) {
        let conv = &mut *self.conv;
        if conv.phase != Phase::Tls {
            conv.phase = Phase::Commands;
        }
        if !conv.waiting.is_empty() {
            conv.server_lost = true;
            conv.reply.lost();
        }
    }

    fn ends_here(&mut self, tail: &[u8], at: Stamp) -> bool {
        let conv = &mut *self.conv;
        if !conv.server_lost || conv.waiting.is_empty() {
            return false;
        }
        match reply_end_in(tail) {
            Some(TailEnd::Last { error }) => {
                conv.server_lost = false;
                let outcome = Outcome {
                    error,
                    ..conv.reply.unfinished(Some(at))
                };
                conv.finish_front(outcome, self.out);
                true
            }
            Some(TailEnd::MoreResults) => {
                conv.server_lost = false;
                conv.reply.next_result();
                true
            }
            None => false,
        }
    }

    fn skipped(&mut self, bytes: u64) {
        self.conv.stats.bytes_skipped = self.conv.stats.bytes_skipped.saturating_add(bytes);
    }
}
