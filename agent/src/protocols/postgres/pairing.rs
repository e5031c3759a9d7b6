//! Pairing the client's calls with the server's answers.
//!
//! The server answers messages in order, so the calls wait in a FIFO with
//! the points the server answers with a ReadyForQuery (a Sync, a simple
//! Query, a FunctionCall):
//!
//! - A simple Query is one call; it ends at its ReadyForQuery. Its rows
//!   are the sum of the counts of its CommandComplete tags (a
//!   multi-statement Query `INSERT ...; UPDATE ...` affects the rows of
//!   both); its error is the first ErrorResponse's SQLSTATE.
//! - An Execute is one call; it ends at its CommandComplete,
//!   EmptyQueryResponse, PortalSuspended or ErrorResponse. An error in an
//!   extended-query batch (at Parse, Bind or Execute) makes the server skip
//!   the batch's messages until its Sync: the first Execute still waiting
//!   ends at the ErrorResponse with its code, and the batch's other waiting
//!   Executes are reported too, at the ReadyForQuery, with the same code —
//!   they were sent and failed with the batch (psycopg raises for each).
//!   An error with no Execute waiting (a failed prepare, or an error at
//!   commit, after the last CommandComplete) is no call's.
//! - A ReadyForQuery with nothing waiting answers something sent before
//!   the capture started, or not captured: counted in `replies_unpaired`.
//!   Asynchronous messages (notifications, notices, parameter changes)
//!   answer nothing and are never unpaired.

use std::{collections::VecDeque, sync::Arc};

use super::{
    super::{
        db::{DbCall, DbEvent, DbStats},
        segments::Stamp,
        sql::Statement,
    },
    statements::statement_bytes,
};

/// Calls and sync points waiting for the server, at most. A pipelining
/// client may send hundreds of Executes before it reads; beyond this,
/// calls are dropped (and counted) until the queue empties.
pub(super) const MAX_PENDING: usize = 1024;
/// Bytes of normalized statements held by waiting calls, at most (each
/// counted in full, even when shared with a prepared statement).
pub(super) const MAX_PENDING_STATEMENT_BYTES: usize = 256 * 1024;

/// The error of a failed call whose SQLSTATE was not captured.
pub(super) const UNKNOWN_ERROR: &str = "unknown";

/// The calls of a connection waiting to be reported.
#[derive(Debug, Default)]
pub(super) struct Pairing {
    pending: VecDeque<Pending>,
    statement_bytes: usize,
    next_sequence: u64,
    /// Sync points not queued (the queue was full): the server still
    /// answers them, after those queued.
    overflow: u64,
    /// The SQLSTATE of the error that makes the server skip the current
    /// batch, until its ReadyForQuery.
    batch_error: Option<String>,
    /// DataRows since the current Execute began (for a PortalSuspended).
    data_rows: u64,
    /// The server side is rejoining mid-conversation: what comes until the
    /// next ReadyForQuery answers nothing the parser saw.
    rejoining: bool,
    pub stats: DbStats,
}

#[derive(Debug)]
enum Pending {
    /// An Execute: ends at its CommandComplete (or similar).
    Execute(Call),
    /// A simple Query: ends at its ReadyForQuery.
    Query(Call),
    /// A Sync or FunctionCall: answered by a ReadyForQuery.
    Sync,
}

#[derive(Debug)]
struct Call {
    sequence: u64,
    statement: Arc<Statement>,
    start: Stamp,
    rows: Option<u64>,
    /// Part of its answer went unread (the framing was lost): a row count
    /// summed over several statements would be short.
    rows_lost: bool,
    error: Option<String>,
}

impl Pending {
    fn syncs(&self) -> bool {
        !matches!(self, Self::Execute(_))
    }
}

impl Pairing {
    /// A simple Query was sent in `start`.
    pub fn query(&mut self, statement: Arc<Statement>, start: Stamp) {
        self.push(Some(statement), start, true);
    }

    /// An Execute was sent; its request began in `start`. `statement` is
    /// None when its text is unknown.
    pub fn execute(&mut self, statement: Option<Arc<Statement>>, start: Stamp) {
        self.push(Some(statement.unwrap_or_default()), start, false);
    }

    /// A Sync (or a FunctionCall) was sent.
    pub fn sync(&mut self) {
        self.push(None, Stamp { ns: 0, tid: 0 }, true);
    }

    fn push(&mut self, statement: Option<Arc<Statement>>, start: Stamp, syncs: bool) {
        let bytes = statement.as_deref().map_or(0, statement_bytes);
        let room = self.overflow == 0
            && self.pending.len() < MAX_PENDING
            && self.statement_bytes.saturating_add(bytes) <= MAX_PENDING_STATEMENT_BYTES;
        if !room {
            if statement.is_some() {
                self.stats.calls_dropped += 1;
            }
            if syncs {
                self.overflow += 1;
            }
            return;
        }
        let Some(statement) = statement else {
            self.pending.push_back(Pending::Sync);
            return;
        };
        self.statement_bytes += bytes;
        let call = Call {
            sequence: self.next_sequence,
            statement,
            start,
            rows: None,
            rows_lost: false,
            error: None,
        };
        self.next_sequence += 1;
        self.pending.push_back(if syncs {
            Pending::Query(call)
        } else {
            Pending::Execute(call)
        });
    }

    /// The server side was lost and found a ReadyForQuery again; after a
    /// pickup, that ReadyForQuery and what comes before it answer nothing
    /// seen.
    pub fn rejoined(&mut self, pickup: bool) {
        self.rejoining = pickup;
    }

    pub fn data_row(&mut self) {
        self.data_rows = self.data_rows.saturating_add(1);
    }

    /// The server's framing was lost: the answer being read is missing
    /// messages.
    pub fn lost(&mut self) {
        if let Some(Pending::Execute(call) | Pending::Query(call)) = self.pending.front_mut() {
            call.rows_lost = true;
        }
    }

    /// CommandComplete of `command` (its tag's first word) counting `rows`
    /// (None for commands without a count).
    pub fn command_complete(
        &mut self,
        command: &[u8],
        rows: Option<u64>,
        last: Stamp,
        out: &mut Vec<DbEvent>,
    ) {
        self.data_rows = 0;
        if self.rejoining {
            return;
        }
        match self.pending.front_mut() {
            Some(Pending::Query(call)) => {
                if let Some(rows) = rows {
                    call.rows = Some(call.rows.unwrap_or(0).saturating_add(rows));
                }
            }
            Some(Pending::Execute(call)) => {
                if answers_another_statement(&call.statement, command) {
                    // Picked up mid-pipeline: the answer of an Execute sent
                    // before the capture started.
                    self.stats.replies_unpaired += 1;
                    return;
                }
                self.finish_front(rows, None, last, out);
            }
            Some(Pending::Sync) | None => {}
        }
    }

    /// EmptyQueryResponse: the statement was empty.
    pub fn empty_query(&mut self, last: Stamp, out: &mut Vec<DbEvent>) {
        self.data_rows = 0;
        if !self.rejoining && matches!(self.pending.front(), Some(Pending::Execute(_))) {
            self.finish_front(None, None, last, out);
        }
    }

    /// PortalSuspended: the Execute's row limit was reached.
    pub fn portal_suspended(&mut self, last: Stamp, out: &mut Vec<DbEvent>) {
        let rows = std::mem::take(&mut self.data_rows);
        if !self.rejoining && matches!(self.pending.front(), Some(Pending::Execute(_))) {
            self.finish_front(Some(rows), None, last, out);
        }
    }

    /// ErrorResponse with `code`.
    pub fn error(&mut self, code: Option<String>, last: Stamp, out: &mut Vec<DbEvent>) {
        self.data_rows = 0;
        if self.rejoining {
            return;
        }
        let code = code.unwrap_or_else(|| UNKNOWN_ERROR.to_string());
        match self.pending.front_mut() {
            Some(Pending::Query(call)) => {
                call.error.get_or_insert(code);
            }
            Some(Pending::Execute(_)) => {
                self.batch_error = Some(code.clone());
                self.finish_front(None, Some(code), last, out);
            }
            Some(Pending::Sync) | None => self.batch_error = Some(code),
        }
    }

    /// ReadyForQuery: the batch (or simple Query) at the front is over.
    pub fn ready(&mut self, last: Stamp, out: &mut Vec<DbEvent>) {
        self.data_rows = 0;
        let batch_error = self.batch_error.take();
        if std::mem::take(&mut self.rejoining) {
            self.stats.replies_unpaired += 1;
            return;
        }
        if self.pending.is_empty() {
            if self.overflow > 0 {
                self.overflow -= 1;
            } else {
                self.stats.replies_unpaired += 1;
            }
            return;
        }
        // The batch's Executes still waiting were skipped after an error
        // (or their answers went uncaptured), then comes its sync point.
        while let Some(front) = self.pending.front() {
            let syncs = front.syncs();
            self.finish_front(None, batch_error.clone(), last, out);
            if syncs {
                return;
            }
        }
        // No sync point was queued: its Sync went uncaptured, or was not
        // queued for lack of room.
        self.overflow = self.overflow.saturating_sub(1);
    }

    /// Reports the call at the front (a Sync is just removed); `rows` and
    /// `error` add to what it has.
    fn finish_front(
        &mut self,
        rows: Option<u64>,
        error: Option<String>,
        last: Stamp,
        out: &mut Vec<DbEvent>,
    ) {
        let call = match self.pending.pop_front() {
            Some(Pending::Execute(call) | Pending::Query(call)) => call,
            Some(Pending::Sync) | None => return,
        };
        self.report(call, rows, error, Some(last), out);
    }

    fn report(
        &mut self,
        call: Call,
        rows: Option<u64>,
        error: Option<String>,
        last: Option<Stamp>,
        out: &mut Vec<DbEvent>,
    ) {
        self.statement_bytes = self
            .statement_bytes
            .saturating_sub(statement_bytes(&call.statement));
        let statement = Arc::try_unwrap(call.statement).unwrap_or_else(|shared| (*shared).clone());
        // One statement's CommandComplete counts all its rows; the sum
        // over several is short when one went unread.
        let rows = if call.rows_lost && statement.operation.is_none() {
            None
        } else {
            call.rows.or(rows)
        };
        out.push(DbEvent::Call(DbCall {
            sequence: call.sequence,
            statement,
            start_ns: call.start.ns,
            tid: call.start.tid,
            end_ns: last.map(|stamp| stamp.ns),
            rows,
            error: call.error.or(error),
        }));
    }

    /// The connection closed: every waiting call is reported without an
    /// end, and pairing starts afresh.
    pub fn flush(&mut self, out: &mut Vec<DbEvent>) {
        while let Some(pending) = self.pending.pop_front() {
            if let Pending::Execute(call) | Pending::Query(call) = pending {
                self.report(call, None, None, None, out);
            }
        }
        self.statement_bytes = 0;
        self.overflow = 0;
        self.batch_error = None;
        self.data_rows = 0;
        self.rejoining = false;
    }
}

/// Whether a CommandComplete of `command` cannot end `statement`: a
/// SELECT, INSERT, UPDATE or DELETE always completes with its own tag.
fn answers_another_statement(statement: &Statement, command: &[u8]) -> bool {
    const DML: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "DELETE"];
    let Some(operation) = statement.operation.as_deref() else {
        return false;
    };
    let known = |word: &[u8]| {
        DML.iter()
            .any(|dml| dml.as_bytes().eq_ignore_ascii_case(word))
    };
    known(operation.as_bytes())
        && known(command)
        && !operation.as_bytes().eq_ignore_ascii_case(command)
}
