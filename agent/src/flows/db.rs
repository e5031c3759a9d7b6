//! Database client connections: parser events → Client spans under the
//! HTTP request being served, and `db.client.operation.duration`.

use super::connection::{Connection, DbWire, Parser};
use super::pipeline::Sinks;
use crate::db::{call_kind, db_span, ends_transaction, statement_key, CallKind, DbContext};
use crate::protocols::{chunk::Chunk, db::DbEvent};
use crate::traces::DbCallInfo;

/// Feeds a chunk to a database connection's parser: the client's bytes
/// (`request_side`) or the server's.
pub(super) fn feed(
    connection: &mut Connection,
    chunk: &Chunk<'_>,
    request_side: bool,
    sinks: &mut Sinks<'_>,
) {
    let Parser::Db(db) = &mut connection.parser else {
        return;
    };
    let mut events = Vec::new();
    match (&mut db.wire, request_side) {
        (DbWire::Postgres(parser), true) => parser.feed_client(chunk, &mut events),
        (DbWire::Postgres(parser), false) => parser.feed_server(chunk, &mut events),
        (DbWire::Mysql(parser), true) => parser.feed_client(chunk, &mut events),
        (DbWire::Mysql(parser), false) => parser.feed_server(chunk, &mut events),
        (DbWire::Redis(parser), true) => parser.feed_client(chunk, &mut events),
        (DbWire::Redis(parser), false) => parser.feed_server(chunk, &mut events),
    }
    emit(connection, events, sinks);
}

/// The connection closed at `timestamp_ns`: calls still waiting end.
pub(super) fn close(connection: &mut Connection, timestamp_ns: u64, sinks: &mut Sinks<'_>) {
    let Parser::Db(db) = &mut connection.parser else {
        return;
    };
    let mut events = Vec::new();
    match &mut db.wire {
        DbWire::Postgres(parser) => parser.close(timestamp_ns, &mut events),
        DbWire::Mysql(parser) => parser.close(timestamp_ns, &mut events),
        DbWire::Redis(parser) => parser.close(timestamp_ns, &mut events),
    }
    emit(connection, events, sinks);
}

fn emit(connection: &mut Connection, events: Vec<DbEvent>, sinks: &mut Sinks<'_>) {
    if events.is_empty() {
        return;
    }
    let Parser::Db(db) = &mut connection.parser else {
        return;
    };
    let service = sinks
        .services
        .resolve_with_comm(connection.pid, &connection.comm);
    for event in events {
        let call = match event {
            DbEvent::Session { database, .. } => {
                if let Some(database) = database {
                    db.database = Some(database.into());
                }
                continue;
            }
            DbEvent::Call(call) => call,
        };
        let kind = call_kind(db.system, &call);
        let mut info = DbCallInfo {
            pid: connection.pid,
            tid: call.tid,
            start_ns: call.start_ns,
            duration_ns: call
                .end_ns
                .unwrap_or(call.start_ns)
                .saturating_sub(call.start_ns),
            counted_query: false,
            statement_key: statement_key(db.system, &call),
            redis: kind == CallKind::Cache,
        };
        let (counts, confirmed) = db.autocommit.next(kind, ends_transaction(&call), info);
        if let Some(begin) = confirmed {
            sinks.spans.count_db_query(&begin);
        }
        info.counted_query = counts;
        let ids = sinks.spans.db_call(&info);
        let texts = sinks.statement_texts.texts(&call.statement);
        let context = DbContext {
            system: db.system,
            namespace: db.database.as_ref(),
            peer: connection.peer.as_ref(),
            service_name: &service.name,
            pid: connection.pid,
        };
        let span = db_span(&call, ids, &context, texts);
        sinks.metrics.db().record_call(&span, &service.name);
        if let Some(otel) = sinks.otel.as_deref_mut() {
            otel.record_db(&span, &service.name);
        }
        sinks.out.push(span);
    }
}
