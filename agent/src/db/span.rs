//! The span of one database call, with semantic-convention attributes.

use super::StatementTexts;
use crate::events::{Text, Value};
use crate::http::exchange::{Endpoint, Role};
use crate::protocols::db::{DbCall, DbSystem};
use crate::traces::{endpoint_address, Span, SpanIds};

/// What a call's span needs besides the call: the connection it was made
/// on and who made it.
#[derive(Debug, Clone, Copy)]
pub struct DbContext<'a> {
    pub system: DbSystem,
    /// `db.namespace`: the session's database, when its startup was seen.
    pub namespace: Option<&'a Text>,
    /// The server's end of the connection.
    pub peer: Option<&'a Endpoint>,
    pub service_name: &'a Text,
    pub pid: u32,
}

/// The Client span of `call`, under `ids`; `texts` are its statement's
/// (see [`super::StatementTextCache`]).
///
/// Its name is `db.query.summary` (`SELECT orders`), else the operation,
/// else `db.system.name`. A call the server failed has its error code as
/// `error.type` and `db.response.status_code`; one whose answer never came
/// (the connection closed first) ends where it began, with `error.type`
/// `connection_closed`.
pub fn db_span(
    call: &DbCall,
    ids: SpanIds,
    context: &DbContext<'_>,
    texts: StatementTexts,
) -> Span {
    let system = context.system.name();
    let mut attributes: Vec<(&'static str, Value)> = Vec::with_capacity(16);
    attributes.push(("db.system.name", system.into()));
    if let Some(namespace) = context.namespace {
        attributes.push(("db.namespace", namespace.clone().into()));
    }
    if let Some(operation) = &texts.operation {
        attributes.push(("db.operation.name", operation.clone().into()));
    }
    if let Some(collection) = texts.collection {
        attributes.push(("db.collection.name", collection.into()));
    }
    // Redis statements are command names only: no text to show.
    if context.system != DbSystem::Redis && !texts.text.is_empty() {
        attributes.push(("db.query.text", texts.text.into()));
    }
    if !texts.summary.is_empty() {
        attributes.push(("db.query.summary", texts.summary.clone().into()));
    }
    if let Some(error) = &call.error {
        attributes.push(("db.response.status_code", Text::copied(error).into()));
    }
    if let Some(rows) = call.rows {
        attributes.push(("db.response.returned_rows", rows.into()));
    }
    let (address, port) = endpoint_address(context.peer);
    if let Some(address) = address {
        attributes.push(("server.address", address.clone().into()));
        attributes.push(("network.peer.address", address.into()));
    }
    if let Some(port) = port {
        attributes.push(("server.port", port.into()));
        attributes.push(("network.peer.port", port.into()));
    }
    let transport = match context.peer {
        Some(Endpoint::Unix(_)) => "unix",
        _ => "tcp",
    };
    attributes.push(("network.transport", transport.into()));
    attributes.push(("service.name", context.service_name.clone().into()));
    attributes.push(("process.pid", context.pid.into()));
    attributes.push(("thread.id", call.tid.into()));

    let name = if !texts.summary.is_empty() {
        texts.summary
    } else if let Some(operation) = texts.operation {
        operation
    } else {
        Text::from(system)
    };
    let error_type = match (&call.error, call.end_ns) {
        (Some(error), _) => Some(Text::copied(error)),
        (None, None) => Some(Text::from("connection_closed")),
        (None, Some(_)) => None,
    };
    Span {
        trace_id: ids.trace_id,
        span_id: ids.span_id,
        parent_span_id: ids.parent_span_id,
        kind: Role::Client,
        name,
        start_ns: call.start_ns,
        end_ns: call.end_ns.unwrap_or(call.start_ns).max(call.start_ns),
        attributes,
        error_type,
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::db::StatementTextCache;
    use crate::protocols::sql::{Dialect, Normalizer};

    fn span_of(call: &DbCall, ids: SpanIds, context: &DbContext<'_>) -> Span {
        let texts = StatementTextCache::default().texts(&call.statement);
        db_span(call, ids, context, texts)
    }

    fn ids() -> SpanIds {
        SpanIds {
            trace_id: [1; 16],
            span_id: [2; 8],
            parent_span_id: Some([3; 8]),
        }
    }

    fn call(sql: &str, error: Option<&str>, end_ns: Option<u64>) -> DbCall {
        DbCall {
            sequence: 0,
            statement: Normalizer::new().normalize(sql, Dialect::POSTGRESQL),
            start_ns: 100,
            tid: 7,
            end_ns,
            rows: Some(1),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn a_query_has_the_semantic_convention_attributes() {
        let peer = Endpoint::Inet("127.0.0.1:5432".parse::<SocketAddr>().unwrap());
        let context = DbContext {
            system: DbSystem::Postgresql,
            namespace: Some(&"shop".into()),
            peer: Some(&peer),
            service_name: &"shop.settings".into(),
            pid: 42,
        };
        let span = span_of(
            &call(
                "SELECT * FROM orders WHERE email = 'a@b.c'",
                None,
                Some(250),
            ),
            ids(),
            &context,
        );
        assert_eq!(span.name, "SELECT orders");
        assert_eq!(span.kind, Role::Client);
        assert_eq!((span.start_ns, span.end_ns), (100, 250));
        assert_eq!(span.parent_span_id, Some([3; 8]));
        assert_eq!(span.str_attribute("db.system.name"), Some("postgresql"));
        assert_eq!(span.str_attribute("db.namespace"), Some("shop"));
        assert_eq!(span.str_attribute("db.operation.name"), Some("SELECT"));
        assert_eq!(span.str_attribute("db.collection.name"), Some("orders"));
        assert_eq!(
            span.str_attribute("db.query.text"),
            Some("SELECT * FROM orders WHERE email = ?")
        );
        assert_eq!(span.int_attribute("db.response.returned_rows"), Some(1));
        assert_eq!(span.str_attribute("server.address"), Some("127.0.0.1"));
        assert_eq!(span.int_attribute("server.port"), Some(5432));
        assert_eq!(span.int_attribute("thread.id"), Some(7));
        assert_eq!(span.error_type, None);
        assert!(!format!("{span:?}").contains("a@b.c"));
    }

    #[test]
    fn errors_and_lost_answers_are_error_spans() {
        let peer = Endpoint::Unix("/run/postgresql/.s.PGSQL.5432".into());
        let context = DbContext {
            system: DbSystem::Postgresql,
            namespace: None,
            peer: Some(&peer),
            service_name: &"s".into(),
            pid: 1,
        };
        let failed = span_of(
            &call("SELECT * FROM nope", Some("42P01"), Some(300)),
            ids(),
            &context,
        );
        assert_eq!(failed.error_type.as_deref(), Some("42P01"));
        assert_eq!(
            failed.str_attribute("db.response.status_code"),
            Some("42P01")
        );
        assert_eq!(failed.str_attribute("network.transport"), Some("unix"));
        assert_eq!(failed.int_attribute("server.port"), None);
        let lost = span_of(&call("SELECT 1", None, None), ids(), &context);
        assert_eq!(lost.error_type.as_deref(), Some("connection_closed"));
        assert_eq!(lost.end_ns, lost.start_ns);
    }

    #[test]
    fn redis_spans_name_the_command_only() {
        let context = DbContext {
            system: DbSystem::Redis,
            namespace: None,
            peer: None,
            service_name: &"s".into(),
            pid: 1,
        };
        let mut get = call("GET", None, Some(120));
        get.statement.text = "GET".into();
        get.statement.summary = "GET".into();
        let span = span_of(&get, ids(), &context);
        assert_eq!(span.name, "GET");
        assert_eq!(span.str_attribute("db.query.text"), None);
        assert_eq!(span.str_attribute("db.system.name"), Some("redis"));
    }
}
