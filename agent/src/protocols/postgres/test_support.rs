//! What the PostgreSQL scenario and golden tests add to the shared harness
//! (`protocols/testing`): the connection as they drive it, and one
//! readable line per event.

use std::fmt::Write;

use super::{
    super::{
        db::{DbCall, DbEvent},
        testing,
    },
    PostgresConnection,
};

testing::impl_connection!(
    PostgresConnection,
    DbEvent,
    feed_client,
    feed_server,
    describe,
    stats
);

/// The golden files' last line: the connection's stats.
fn stats(connection: &PostgresConnection) -> String {
    let stats = connection.stats();
    format!(
        "stats unparseable={} unpaired={} dropped={} skipped={}",
        stats.calls_unparseable, stats.replies_unpaired, stats.calls_dropped, stats.bytes_skipped
    )
}

/// A connection fed with chunks stamped 1, 2, 3...
pub type Wire = testing::Wire<PostgresConnection>;

impl Wire {
    /// The calls so far, one line each, without times.
    pub fn calls(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| match event {
                DbEvent::Call(call) => Some(describe_call(call, false)),
                DbEvent::Session { .. } => None,
            })
            .collect()
    }
}

/// One line for an event: `session database=D user=U`, or
/// `#SEQ OPERATION "TEXT" rows=N OUTCOME START-END/TID` (see [`describe_call`]).
pub fn describe(event: &DbEvent) -> String {
    match event {
        DbEvent::Session { database, user } => format!(
            "session database={} user={}",
            database.as_deref().unwrap_or("-"),
            user.as_deref().unwrap_or("-")
        ),
        DbEvent::Call(call) => describe_call(call, true),
    }
}

/// A call: its number, the statement's operation and normalized text, the
/// rows, `ok` or the error's code, and (`times`) the first and last
/// chunks with the first one's thread (`-` for no end).
pub fn describe_call(call: &DbCall, times: bool) -> String {
    let statement = &call.statement;
    let mut line = format!(
        "#{} {} {:?} rows={} {}",
        call.sequence,
        statement.operation.as_deref().unwrap_or("-"),
        statement.text,
        call.rows
            .map_or_else(|| "-".to_string(), |rows| rows.to_string()),
        call.error.as_deref().unwrap_or("ok"),
    );
    if times {
        let end = call
            .end_ns
            .map_or_else(|| "-".to_string(), |end| end.to_string());
        let _ = write!(line, " {}-{end}/{}", call.start_ns, call.tid);
    }
    line
}
