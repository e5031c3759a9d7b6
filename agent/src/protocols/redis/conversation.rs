//! What both directions of a connection learn together: the commands
//! waiting for replies (paired in order: Redis answers in order), pub/sub
//! confirmations and messages, RESP3 pushes, MONITOR, `CLIENT REPLY`.

use std::collections::VecDeque;

use super::{
    super::segments::Stamp,
    super::{
        db::{DbCall, DbEvent, DbStats},
        sql::Statement,
    },
    commands::{self, looks_like_command},
    reply::{Built, ReplyBuilder, Value},
    request::{Read, Request, RequestBuilder},
    tokens::{Flow, Sink, Token},
};

/// Commands waiting for replies at most: a longer pipeline's tail is not
/// tracked (its replies are counted unpaired).
pub(super) const MAX_WAITING: usize = 256;

/// What reply a command waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// One value.
    Reply,
    /// (Un)subscription confirmations of this kind: as many as channels
    /// named, or, for an unsubscription from all (`left` None), until none
    /// remain or something else comes; `last`: the latest one's chunk.
    Confirmations {
        kind: &'static [u8],
        left: Option<u64>,
        last: Option<Stamp>,
    },
}

/// How a command changes the connection once answered without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    None,
    /// HELLO: the protocol version asked for.
    Hello(Option<u8>),
    /// MONITOR: everything that follows is the server's feed.
    Monitor,
    /// RESET: back to a fresh connection's state.
    Reset,
}

/// A command waiting for its reply.
#[derive(Debug)]
struct Waiting {
    /// None when its name could not be read: not reported.
    statement: Option<Statement>,
    expect: Expect,
    effect: Effect,
    start: Stamp,
    /// The ordinal of the chunk carrying its last byte.
    sent: u64,
}

/// Replies the client turned off with `CLIENT REPLY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replies {
    On,
    Off,
    /// None for the next command.
    SkipNext,
}

/// The state shared by both directions.
#[derive(Debug)]
pub(super) struct Conversation {
    waiting: VecDeque<Waiting>,
    requests: RequestBuilder,
    replies: ReplyBuilder,
    resp3: bool,
    subscribed: bool,
    monitoring: bool,
    client_replies: Replies,
    /// Chunks fed so far (both directions): the current one's ordinal.
    chunks: u64,
    last_server_chunk: Option<(u64, Stamp)>,
    /// A command came after the server's last chunk: the next one starts a
    /// reply.
    command_since_server: bool,
    unpaired_counted: bool,
    /// The server's tokenizer lost its way inside a reply.
    server_lost: bool,
    next_sequence: u64,
    pub stats: DbStats,
}

impl Conversation {
    pub fn new() -> Self {
        Self {
            waiting: VecDeque::new(),
            requests: RequestBuilder::default(),
            replies: ReplyBuilder::default(),
            resp3: false,
            subscribed: false,
            monitoring: false,
            client_replies: Replies::On,
            chunks: 0,
            last_server_chunk: None,
            command_since_server: false,
            unpaired_counted: false,
            server_lost: false,
            next_sequence: 0,
            stats: DbStats::default(),
        }
    }

    pub fn begin_chunk(&mut self) {
        self.chunks = self.chunks.saturating_add(1);
    }

    pub fn server_chunk_done(&mut self, stamp: Stamp) {
        self.last_server_chunk = Some((self.chunks, stamp));
        self.command_since_server = false;
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    pub fn client_side<'a>(&'a mut self, out: &'a mut Vec<DbEvent>) -> ClientSide<'a> {
        ClientSide { conv: self, out }
    }

    pub fn server_side<'a>(&'a mut self, out: &'a mut Vec<DbEvent>) -> ServerSide<'a> {
        ServerSide { conv: self, out }
    }

    /// The connection closed: every waiting command is reported without an
    /// end, and a new conversation starts (the numbering of calls goes on).
    pub fn close(&mut self, out: &mut Vec<DbEvent>) {
        while let Some(waiting) = self.waiting.pop_front() {
            let answer = match waiting.expect {
                // Unsubscribed from all: the confirmations had all come.
                Expect::Confirmations {
                    left: None,
                    last: Some(end),
                    ..
                } => Some((end, None, None)),
                _ => None,
            };
            self.report(waiting, answer, out);
        }
        *self = Self {
            next_sequence: self.next_sequence,
            stats: self.stats,
            ..Self::new()
        };
    }

    /// A command was read.
    fn command(&mut self, request: &Request, out: &mut Vec<DbEvent>) {
        self.settle_before_command(out);
        self.command_since_server = true;
        self.unpaired_counted = false;
        let name = commands::upper_name(request.word(0).unwrap_or_default());
        let statement = request
            .name_whole
            .then(|| commands::statement(request.word(0).unwrap_or_default(), request.word(1)));
        if statement.is_none() {
            self.stats.calls_unparseable += 1;
        }
        let word = |index| request.word(index).and_then(commands::upper_name);
        let channels = request.args.saturating_sub(1);
        let (expect, effect) = match name.as_deref() {
            Some(kind @ ("SUBSCRIBE" | "PSUBSCRIBE" | "SSUBSCRIBE")) if channels > 0 => (
                Expect::Confirmations {
                    kind: family(kind),
                    left: Some(channels),
                    last: None,
                },
                Effect::None,
            ),
            Some(kind @ ("UNSUBSCRIBE" | "PUNSUBSCRIBE" | "SUNSUBSCRIBE")) => (
                Expect::Confirmations {
                    kind: family(kind),
                    left: (channels > 0).then_some(channels),
                    last: None,
                },
                Effect::None,
            ),
            Some("HELLO") => {
                let version = word(1).and_then(|v| v.parse().ok());
                (Expect::Reply, Effect::Hello(version))
            }
            Some("MONITOR") => (Expect::Reply, Effect::Monitor),
            Some("RESET") => (Expect::Reply, Effect::Reset),
            _ => (Expect::Reply, Effect::None),
        };
        let waiting = Waiting {
            statement,
            expect,
            effect,
            start: request.first,
            sent: self.chunks,
        };
        if !self.answered(name.as_deref(), word(1), word(2)) {
            // The server sends nothing back: nothing will end it.
            self.report(waiting, None, out);
            return;
        }
        if self.waiting.len() >= MAX_WAITING {
            self.stats.calls_dropped += 1;
            return;
        }
        self.waiting.push_back(waiting);
    }

    /// Whether the server answers this command, after `CLIENT REPLY`.
    fn answered(&mut self, name: Option<&str>, sub: Option<String>, mode: Option<String>) -> bool {
        let answered = self.client_replies == Replies::On;
        if self.client_replies == Replies::SkipNext {
            self.client_replies = Replies::On;
        }
        if name == Some("CLIENT") && sub.as_deref() == Some("REPLY") {
            match mode.as_deref() {
                Some("ON") => {
                    self.client_replies = Replies::On;
                    return true;
                }
                Some("OFF") => self.client_replies = Replies::Off,
                Some("SKIP") => self.client_replies = Replies::SkipNext,
                _ => {}
            }
            return false;
        }
        answered
    }

    /// When the server's tokenizer lost its way, a new command shows that
    /// the replies to those sent before the server's last chunk ended in it
    /// (exact for a client that waits for each reply).
    fn settle_before_command(&mut self, out: &mut Vec<DbEvent>) {
        if !self.server_lost {
            return;
        }
        let Some((ordinal, stamp)) = self.last_server_chunk else {
            return;
        };
        while self
            .waiting
            .front()
            .is_some_and(|front| front.sent < ordinal)
        {
            if let Some(waiting) = self.waiting.pop_front() {
                self.report(waiting, Some((stamp, None, None)), out);
            }
        }
    }

    /// A top-level value from the server.
    fn value(&mut self, value: Value, out: &mut Vec<DbEvent>) -> Flow {
        if self.monitoring {
            return Flow::Continue;
        }
        let confirmation = value.confirmation();
        // An unsubscription from all ended with its last confirmation.
        if let Some(Waiting {
            expect:
                Expect::Confirmations {
                    kind,
                    left: None,
                    last: Some(end),
                },
            ..
        }) = self.waiting.front()
        {
            if confirmation.is_none_or(|(confirms, _)| confirms != *kind) {
                let end = *end;
                if let Some(waiting) = self.waiting.pop_front() {
                    self.report(waiting, Some((end, None, None)), out);
                }
            }
        }
        if let Some((kind, remaining)) = confirmation {
            let front = self.waiting.front_mut();
            if let Some(Waiting {
                expect:
                    Expect::Confirmations {
                        kind: expected,
                        left,
                        last,
                    },
                ..
            }) = front
            {
                if *expected == kind {
                    self.subscribed = remaining > 0;
                    *last = Some(value.last);
                    let done = match left {
                        Some(left) => {
                            *left = left.saturating_sub(1);
                            *left == 0
                        }
                        None => remaining <= 0,
                    };
                    if done {
                        if let Some(waiting) = self.waiting.pop_front() {
                            self.report(waiting, Some((value.last, None, None)), out);
                        }
                    }
                    return Flow::Continue;
                }
            }
            if value.kind == b'>' {
                self.subscribed = remaining > 0;
            }
        }
        // Pushes (RESP3) and pub/sub messages (RESP2) answer no command.
        if value.kind == b'>' {
            return Flow::Continue;
        }
        if value.is_message() && !self.resp3 && (self.subscribed || self.waiting.is_empty()) {
            self.subscribed = true;
            return Flow::Continue;
        }
        let Some(waiting) = self.waiting.pop_front() else {
            self.unpaired();
            return Flow::Unsync;
        };
        if value.error.is_none() {
            match waiting.effect {
                Effect::None => {}
                Effect::Hello(version) => {
                    if let Some(version) = version {
                        self.resp3 = version >= 3;
                    }
                }
                Effect::Monitor => self.monitoring = true,
                Effect::Reset => {
                    self.resp3 = false;
                    self.subscribed = false;
                    self.client_replies = Replies::On;
                }
            }
        }
        let rows = match value.kind {
            b'*' | b'~' | b'%' => value.count,
            _ => None,
        };
        self.report(waiting, Some((value.last, rows, value.error)), out);
        Flow::Continue
    }

    /// Reports a call: `answer` its end, rows and error (None: no answer).
    fn report(
        &mut self,
        waiting: Waiting,
        answer: Option<(Stamp, Option<u64>, Option<String>)>,
        out: &mut Vec<DbEvent>,
    ) {
        let Some(statement) = waiting.statement else {
            return;
        };
        let (end, rows, error) = match answer {
            Some((end, rows, error)) => (Some(end.ns), rows, error),
            None => (None, None, None),
        };
        out.push(DbEvent::Call(DbCall {
            sequence: self.next_sequence,
            statement,
            start_ns: waiting.start.ns,
            tid: waiting.start.tid,
            end_ns: end,
            rows,
            error,
        }));
        self.next_sequence += 1;
    }

    /// Server bytes that answer no command: one unpaired reply per burst.
    fn unpaired(&mut self) {
        if !self.unpaired_counted {
            self.unpaired_counted = true;
            self.stats.replies_unpaired += 1;
        }
    }

    /// Bytes ignored while out of sync.
    pub fn skipped(&mut self, bytes: u64) {
        self.stats.bytes_skipped = self.stats.bytes_skipped.saturating_add(bytes);
    }
}

/// The confirmations' name of a (un)subscribe command.
fn family(command: &str) -> &'static [u8] {
    match command {
        "SUBSCRIBE" => b"subscribe",
        "PSUBSCRIBE" => b"psubscribe",
        "SSUBSCRIBE" => b"ssubscribe",
        "UNSUBSCRIBE" => b"unsubscribe",
        "PUNSUBSCRIBE" => b"punsubscribe",
        _ => b"sunsubscribe",
    }
}

/// The client's tokenizer's sink.
pub(super) struct ClientSide<'a> {
    conv: &'a mut Conversation,
    out: &'a mut Vec<DbEvent>,
}

impl Sink for ClientSide<'_> {
    fn starts_here(&mut self, data: &[u8]) -> bool {
        looks_like_command(data)
    }

    fn token(&mut self, token: &Token<'_>) -> Flow {
        match self.conv.requests.token(token) {
            Read::More => Flow::Continue,
            Read::Done(request) => {
                self.conv.command(&request, self.out);
                Flow::Continue
            }
            Read::Malformed => {
                self.conv.stats.calls_unparseable += 1;
                Flow::Unsync
            }
        }
    }

    fn lost(&mut self, _at: Stamp) {
        if self.conv.requests.in_progress() {
            self.conv.stats.calls_unparseable += 1;
        }
        self.conv.requests.reset();
    }

    fn skipped(&mut self, bytes: u64) {
        self.conv.skipped(bytes);
    }
}

/// The server's tokenizer's sink.
pub(super) struct ServerSide<'a> {
    conv: &'a mut Conversation,
    out: &'a mut Vec<DbEvent>,
}

impl Sink for ServerSide<'_> {
    fn starts_here(&mut self, data: &[u8]) -> bool {
        let conv = &mut *self.conv;
        if conv.waiting.is_empty() {
            conv.unpaired();
            return false;
        }
        let reply = matches!(
            data.first(),
            Some(
                b'+' | b'-'
                    | b':'
                    | b'$'
                    | b'*'
                    | b'%'
                    | b'~'
                    | b'>'
                    | b'|'
                    | b'_'
                    | b'#'
                    | b','
                    | b'('
                    | b'!'
                    | b'='
            )
        );
        if conv.command_since_server && reply {
            conv.server_lost = false;
            conv.replies.reset();
            return true;
        }
        false
    }

    fn token(&mut self, token: &Token<'_>) -> Flow {
        match self.conv.replies.token(token) {
            Built::More => Flow::Continue,
            Built::Value(value) => self.conv.value(value, self.out),
            Built::Malformed => {
                self.lost(token.last);
                Flow::Unsync
            }
        }
    }

    fn lost(&mut self, _at: Stamp) {
        let conv = &mut *self.conv;
        conv.replies.reset();
        if !conv.waiting.is_empty() {
            conv.server_lost = true;
        }
    }

    fn skipped(&mut self, bytes: u64) {
        self.conv.skipped(bytes);
    }
}
