//! HTTP/1.x connections: parser events → server and client spans, RED
//! metrics, and the per-request database totals.

use super::connection::{Connection, Parser};
use super::pipeline::Sinks;
use crate::events::Text;
use crate::http::exchange::{ConnectionKey, HttpEvent, Role};
use crate::protocols::{chunk::Chunk, http1::Http1Event};

/// Feeds a chunk of connection `key` to its HTTP parser.
pub(super) fn feed(
    key: ConnectionKey,
    connection: &mut Connection,
    chunk: &Chunk<'_>,
    request_side: bool,
    sinks: &mut Sinks<'_>,
) {
    let Parser::Http1(parser) = &mut connection.parser else {
        return;
    };
    let mut events = std::mem::take(sinks.http_events);
    if request_side {
        parser.feed_request_side(chunk, &mut events);
    } else {
        parser.feed_response_side(chunk, &mut events);
    }
    emit(key, connection, events, sinks);
}

/// Connection `key` closed at `timestamp_ns`.
pub(super) fn close(
    key: ConnectionKey,
    connection: &mut Connection,
    timestamp_ns: u64,
    sinks: &mut Sinks<'_>,
) {
    let Parser::Http1(parser) = &mut connection.parser else {
        return;
    };
    let mut events = std::mem::take(sinks.http_events);
    parser.close(timestamp_ns, &mut events);
    emit(key, connection, events, sinks);
}

/// Turns parser events of connection `key` into spans and metrics, and
/// gives the emptied vector back to `sinks` for the next chunk.
fn emit(
    key: ConnectionKey,
    connection: &Connection,
    mut events: Vec<Http1Event>,
    sinks: &mut Sinks<'_>,
) {
    if !events.is_empty() {
        emit_events(key, connection, &mut events, sinks);
    }
    events.clear();
    *sinks.http_events = events;
}

fn emit_events(
    key: ConnectionKey,
    connection: &Connection,
    events: &mut Vec<Http1Event>,
    sinks: &mut Sinks<'_>,
) {
    let service = sinks
        .services
        .resolve_with_comm(connection.pid, &connection.comm);
    for event in events.drain(..) {
        // Only a finished exchange needs its route.
        let route = match &event {
            Http1Event::RequestStarted { .. } => Text::default(),
            Http1Event::Exchange(exchange) => {
                let Some(routes) = sinks.routes_of(&service.name) else {
                    return;
                };
                Text::from(routes.route(&exchange.head.target))
            }
        };
        let http_event = HttpEvent {
            role: connection.role,
            connection: key,
            pid: connection.pid,
            local: connection.local.clone(),
            peer: connection.peer.clone(),
            event,
        };
        if let Some(span) = sinks.spans.on_event(&http_event, &service.name, &route) {
            sinks.metrics.http().record(&span, &service.name);
            if let Some(otel) = sinks.otel.as_deref_mut() {
                otel.record_http(&span, &service.name);
            }
            if span.kind == Role::Server {
                let queries = span.int_attribute("sonde.db.queries").unwrap_or(0);
                let queries = u64::try_from(queries).unwrap_or(0);
                sinks
                    .metrics
                    .db()
                    .record_request_queries(&span, &service.name, queries);
                if let Some(otel) = sinks.otel.as_deref_mut() {
                    otel.record_request_queries(&span, &service.name, queries);
                }
            }
            sinks.out.push(span);
        }
    }
}
