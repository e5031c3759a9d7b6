//! The server's reply to one command, message by message: OK, ERR, result
//! sets (text or binary rows, ended by EOF or, with CLIENT_DEPRECATE_EOF,
//! by an OK packet headed 0xfe), several of them while the server says
//! SERVER_MORE_RESULTS_EXISTS, a prepared statement's definitions, a LOCAL
//! INFILE request.
//!
//! Whether EOF packets follow column definitions need not be known: a
//! 5-byte 0xfe packet is an EOF, and an OK-as-EOF is never that short.
//! Only the end of a prepare reply depends on it; without the handshake,
//! the reply is taken to end after its definitions unless an EOF follows.

use super::{super::segments::Stamp, classify::header, framing::Message, wire::Reader};

const SERVER_MORE_RESULTS_EXISTS: u16 = 0x0008;
const SERVER_STATUS_CURSOR_EXISTS: u16 = 0x0040;
/// MariaDB's progress reports look like ERR packets with this code.
const PROGRESS_REPORT: u16 = 0xffff;
/// The longest EOF packet (protocol 4.1: header, warnings, status).
const EOF_LEN: u64 = 5;

/// The kind of reply a command calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    /// OK, ERR, LOCAL INFILE or result sets (COM_QUERY, execute).
    ResultSets,
    /// Prepare OK and its definitions, or ERR.
    Prepare,
    /// Rows until EOF/OK (COM_STMT_FETCH).
    Rows,
    /// One packet.
    Single,
    /// Authentication exchanges until OK or ERR (COM_CHANGE_USER).
    Auth,
    /// Packets until EOF or ERR (COM_FIELD_LIST).
    UntilTerminator,
    /// Whatever comes before the next command.
    UntilNextCommand,
}

/// How a reply ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Outcome {
    /// The chunk carrying its last byte; None when it never came.
    pub end: Option<Stamp>,
    /// Rows returned or affected, when counted (none went uncaptured).
    pub rows: Option<u64>,
    /// The ERR packet's error number.
    pub error: Option<u16>,
    /// The statement id of a prepare OK.
    pub prepared: Option<u32>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.end.is_some() && self.error.is_none()
    }
}

/// Where a reply stands after a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    More,
    Done(Outcome),
    /// The reply had ended before this message, which starts the next one.
    EndedBefore(Outcome),
}

/// A reply being read.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    expect: Expect,
    state: State,
    rows: Option<u64>,
    prepared: Option<u32>,
    last: Option<Stamp>,
    /// The server asked for a LOCAL INFILE: the client sends a file next.
    pub local_infile: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Columns {
        left: u64,
    },
    /// After the column definitions: an EOF, or rows.
    AfterColumns,
    Rows {
        count: u64,
    },
    /// A prepare reply's parameter or column definitions; `then`: how many
    /// column definitions follow these.
    Definitions {
        left: u64,
        then: u64,
    },
    /// The EOF after a block of definitions; `optional` when it is not
    /// known whether one comes.
    DefinitionsEof {
        then: u64,
        optional: bool,
    },
}

impl Reply {
    pub fn new(expect: Expect) -> Self {
        Self {
            expect,
            state: State::Start,
            rows: (expect == Expect::ResultSets || expect == Expect::Rows).then_some(0),
            prepared: None,
            last: None,
            local_infile: false,
        }
    }

    /// Some packets went uncaptured: rows can no longer be counted.
    pub fn lost(&mut self) {
        self.rows = None;
        self.state = State::Start;
    }

    /// A new result of a multi-result reply starts after a loss.
    pub fn next_result(&mut self) {
        self.state = State::Start;
    }

    /// When the reply is complete unless an optional EOF follows: how it
    /// ended.
    pub fn complete_unless_eof(&self) -> Option<Outcome> {
        match self.state {
            State::DefinitionsEof {
                then: 0,
                optional: true,
            } => Some(self.outcome(self.last, None)),
            _ => None,
        }
    }

    /// The reply given up on: how much of it is known.
    pub fn unfinished(&self, end: Option<Stamp>) -> Outcome {
        Outcome {
            rows: None,
            ..self.outcome(end, None)
        }
    }

    /// Reads the next message; `deprecate_eof`: whether the session agreed
    /// on CLIENT_DEPRECATE_EOF, learnt from the replies when unknown.
    pub fn feed(&mut self, message: &Message<'_>, deprecate_eof: &mut Option<bool>) -> Step {
        let before = self.last.replace(message.last);
        let first = message.payload.first().copied();
        match self.expect {
            Expect::UntilNextCommand => Step::More,
            Expect::Single => match first {
                Some(0xff) if progress_report(message) => Step::More,
                _ => self.finish(message),
            },
            Expect::Auth => match first {
                Some(0x00) | Some(0xff) => self.finish(message),
                _ => Step::More,
            },
            Expect::UntilTerminator => match first {
                Some(0xff) => self.finish(message),
                Some(0xfe) if !message.continued => self.finish(message),
                _ => Step::More,
            },
            Expect::ResultSets | Expect::Prepare | Expect::Rows => {
                self.result(message, first, before, deprecate_eof)
            }
        }
    }

    fn result(
        &mut self,
        message: &Message<'_>,
        first: Option<u8>,
        before: Option<Stamp>,
        deprecate_eof: &mut Option<bool>,
    ) -> Step {
        match self.state {
            State::Start => match self.expect {
                Expect::Prepare => self.prepare_ok(message, first),
                Expect::Rows => self.row(message, first, 0),
                _ => self.result_start(message, first),
            },
            State::Columns { left } => {
                self.state = match left.saturating_sub(1) {
                    0 => State::AfterColumns,
                    left => State::Columns { left },
                };
                Step::More
            }
            State::AfterColumns => {
                if is_eof(message, first) {
                    deprecate_eof.get_or_insert(false);
                    let status = eof_status(message.payload);
                    if status & SERVER_STATUS_CURSOR_EXISTS != 0 {
                        return self.result_end(message, status);
                    }
                    self.state = State::Rows { count: 0 };
                    return Step::More;
                }
                deprecate_eof.get_or_insert(true);
                self.row(message, first, 0)
            }
            State::Rows { count } => self.row(message, first, count),
            State::Definitions { left, then } => match left.saturating_sub(1) {
                0 => {
                    self.state = State::DefinitionsEof {
                        then,
                        optional: deprecate_eof.is_none(),
                    };
                    if *deprecate_eof == Some(true) {
                        return self.after_definitions(message, then);
                    }
                    Step::More
                }
                left => {
                    self.state = State::Definitions { left, then };
                    Step::More
                }
            },
            State::DefinitionsEof { then, optional } => {
                if is_eof(message, first) {
                    if optional {
                        *deprecate_eof = Some(false);
                    }
                    return self.after_definitions(message, then);
                }
                if optional {
                    *deprecate_eof = Some(true);
                }
                if then > 0 {
                    // This message is the first column definition.
                    self.state = State::Definitions {
                        left: then,
                        then: 0,
                    };
                    return self.result(message, first, before, deprecate_eof);
                }
                Step::EndedBefore(self.outcome(before, None))
            }
        }
    }

    fn result_start(&mut self, message: &Message<'_>, first: Option<u8>) -> Step {
        match first {
            Some(0x00) => {
                let (affected, status) = ok_fields(message.payload).unwrap_or_default();
                self.add_rows(affected);
                self.result_end(message, status)
            }
            Some(0xff) if progress_report(message) => Step::More,
            Some(0xff) => self.finish(message),
            Some(0xfb) => {
                self.local_infile = true;
                Step::More
            }
            Some(0xfe) => {
                let status = terminator_status(message);
                self.result_end(message, status)
            }
            Some(_) => {
                let mut reader = Reader::new(message.payload);
                let columns = reader.lenenc().unwrap_or(0);
                // MariaDB's cached metadata: a flag after the count, zero
                // when no definitions follow.
                let no_definitions = reader.rest() == [0];
                self.state = match columns {
                    0 => return self.finish(message),
                    _ if no_definitions => State::AfterColumns,
                    left => State::Columns { left },
                };
                Step::More
            }
            None => self.finish(message),
        }
    }

    fn row(&mut self, message: &Message<'_>, first: Option<u8>, count: u64) -> Step {
        match first {
            Some(0xfe) if !message.continued => {
                self.add_rows(count);
                let status = terminator_status(message);
                self.result_end(message, status)
            }
            Some(0xff) if !message.continued => self.finish(message),
            _ => {
                self.state = State::Rows {
                    count: count.saturating_add(1),
                };
                Step::More
            }
        }
    }

    fn prepare_ok(&mut self, message: &Message<'_>, first: Option<u8>) -> Step {
        let mut reader = Reader::new(message.payload);
        let fields = (first == Some(0x00))
            .then(|| {
                reader.skip(1)?;
                Some((reader.u32()?, reader.u16()?, reader.u16()?))
            })
            .flatten();
        let Some((id, columns, params)) = fields else {
            return self.finish(message);
        };
        self.prepared = Some(id);
        let (columns, params) = (u64::from(columns), u64::from(params));
        match (params, columns) {
            (0, 0) => self.finish(message),
            (0, left) | (left, 0) => {
                self.state = State::Definitions { left, then: 0 };
                Step::More
            }
            (left, then) => {
                self.state = State::Definitions { left, then };
                Step::More
            }
        }
    }

    fn after_definitions(&mut self, message: &Message<'_>, then: u64) -> Step {
        if then == 0 {
            return self.finish(message);
        }
        self.state = State::Definitions {
            left: then,
            then: 0,
        };
        Step::More
    }

    /// A result ended with `status`: the reply too, unless more follow.
    fn result_end(&mut self, message: &Message<'_>, status: u16) -> Step {
        if status & SERVER_MORE_RESULTS_EXISTS != 0 {
            self.state = State::Start;
            return Step::More;
        }
        self.finish(message)
    }

    /// The reply ends with `message` (an ERR gives its error).
    fn finish(&mut self, message: &Message<'_>) -> Step {
        let error = error_code(message.payload);
        if error.is_some() {
            self.rows = None;
        }
        Step::Done(self.outcome(Some(message.last), error))
    }

    fn add_rows(&mut self, count: u64) {
        self.rows = self.rows.map(|rows| rows.saturating_add(count));
    }

    fn outcome(&self, end: Option<Stamp>, error: Option<u16>) -> Outcome {
        Outcome {
            end,
            rows: self.rows,
            error,
            prepared: self.prepared,
        }
    }
}

fn is_eof(message: &Message<'_>, first: Option<u8>) -> bool {
    first == Some(0xfe) && message.len <= EOF_LEN
}

fn progress_report(message: &Message<'_>) -> bool {
    error_code(message.payload) == Some(PROGRESS_REPORT)
}

/// The error number of an ERR packet.
pub(super) fn error_code(payload: &[u8]) -> Option<u16> {
    let mut reader = Reader::new(payload);
    (reader.u8()? == 0xff).then_some(())?;
    reader.u16()
}

/// Affected rows and status flags of an OK packet (headed 0x00 or 0xfe).
fn ok_fields(payload: &[u8]) -> Option<(u64, u16)> {
    let mut reader = Reader::new(payload);
    reader.skip(1)?;
    let affected = reader.lenenc()?;
    reader.lenenc()?; // last insert id
    Some((affected, reader.u16()?))
}

/// Status flags of an EOF packet (0 for the 1-byte EOF of old servers).
fn eof_status(payload: &[u8]) -> u16 {
    payload
        .get(3..)
        .and_then(|status| Reader::new(status).u16())
        .unwrap_or(0)
}

/// Status flags of a result's last packet: EOF, or OK-as-EOF.
fn terminator_status(message: &Message<'_>) -> u16 {
    if message.len <= EOF_LEN {
        eof_status(message.payload)
    } else {
        ok_fields(message.payload).map_or(0, |(_, status)| status)
    }
}

/// How the last packet seen in a captured tail ends a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TailEnd {
    /// The reply ended (with this error, if an ERR).
    Last { error: Option<u16> },
    /// A result ended and another follows.
    MoreResults,
}

/// Whether `tail`, the end of a chunk's payload, ends with a result's last
/// packet: an EOF or OK-as-EOF (headed 0xfe) or an ERR, whose header's
/// length runs exactly to the end. Rows never start with 0xfe (unless 16
/// MiB long) nor 0xff, so a row is not taken for one.
pub(super) fn reply_end_in(tail: &[u8]) -> Option<TailEnd> {
    (0..tail.len()).find_map(|start| {
        let (len, _, payload) = header(tail.get(start..)?)?;
        let len = len as usize;
        if payload.len() != len {
            return None;
        }
        let status = match *payload.first()? {
            0xfe if len as u64 <= EOF_LEN => eof_status(payload),
            0xfe => ok_fields(payload)?.1,
            0xff => {
                let error = error_code(payload).filter(|&code| code != PROGRESS_REPORT)?;
                return Some(TailEnd::Last { error: Some(error) });
            }
            _ => return None,
        };
        Some(if status & SERVER_MORE_RESULTS_EXISTS != 0 {
            TailEnd::MoreResults
        } else {
            TailEnd::Last { error: None }
        })
    })
}
