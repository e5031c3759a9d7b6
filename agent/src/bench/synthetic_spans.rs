//! Spans shaped like those of a Django view that runs three SQL queries:
//! one Server span and its three PostgreSQL Client children, with the
//! attributes the agent sets on real ones, held as it holds them (static,
//! shared, or copied per span).

use crate::events::{Text, Value};
use crate::http::exchange::Role;
use crate::traces::Span;

/// Client spans under each server span.
pub const QUERIES_PER_REQUEST: usize = 3;
/// Spans per request.
pub const SPANS_PER_REQUEST: usize = QUERIES_PER_REQUEST + 1;

const STATEMENTS: [(&str, &str, &str); QUERIES_PER_REQUEST] = [
    (
        "SELECT \"shop_customer\".\"id\", \"shop_customer\".\"email\", \"shop_customer\".\"name\" FROM \"shop_customer\" WHERE \"shop_customer\".\"id\" = ? LIMIT ?",
        "SELECT shop_customer",
        "shop_customer",
    ),
    (
        "SELECT \"shop_order\".\"id\", \"shop_order\".\"customer_id\", \"shop_order\".\"total\", \"shop_order\".\"created\" FROM \"shop_order\" WHERE \"shop_order\".\"customer_id\" = ? ORDER BY \"shop_order\".\"created\" DESC",
        "SELECT shop_order",
        "shop_order",
    ),
    (
        "UPDATE \"shop_customer\" SET \"last_seen\" = ? WHERE \"shop_customer\".\"id\" = ?",
        "UPDATE shop_customer",
        "shop_customer",
    ),
];

/// Makes the spans of request after request, with distinct ids.
#[derive(Debug)]
pub struct SpanFactory {
    /// (pid, service name) of each process the requests come from, in turn.
    processes: Vec<(u32, Text)>,
    sequence: u64,
}

impl SpanFactory {
    pub fn new(processes: Vec<(u32, String)>) -> SpanFactory {
        assert!(!processes.is_empty(), "spans need a process");
        SpanFactory {
            processes: processes
                .into_iter()
                .map(|(pid, name)| (pid, Text::from(name)))
                .collect(),
            sequence: 0,
        }
    }

    /// The spans of the next request, the server span last (as the agent
    /// finishes them), starting at monotonic `now_ns`.
    pub fn request(&mut self, now_ns: u64, out: &mut Vec<Span>) {
        self.sequence += 1;
        let n = self.sequence;
        let (pid, service) = self.processes[(n as usize) % self.processes.len()].clone();
        let trace_id = id128(n);
        let server_id = id64(n << 3);
        let tid = pid + 1;
        let mut start = now_ns;
        for (i, (text, summary, table)) in STATEMENTS.iter().enumerate() {
            let operation = summary.split(' ').next().unwrap_or_default();
            out.push(Span {
                trace_id,
                span_id: id64((n << 3) + 1 + i as u64),
                parent_span_id: Some(server_id),
                kind: Role::Client,
                name: Text::copied(summary),
                start_ns: start + 20_000,
                end_ns: start + 180_000,
                attributes: vec![
                    ("db.system.name", "postgresql".into()),
                    ("db.namespace", Text::copied("shop").into()),
                    ("db.operation.name", Text::copied(operation).into()),
                    ("db.collection.name", Text::copied(table).into()),
                    ("db.query.text", Text::copied(text).into()),
                    ("db.query.summary", Text::copied(summary).into()),
                    ("db.response.returned_rows", Value::Int(1)),
                    ("server.address", "127.0.0.1".into()),
                    ("network.peer.address", "127.0.0.1".into()),
                    ("server.port", Value::Int(5432)),
                    ("network.peer.port", Value::Int(5432)),
                    ("network.transport", "tcp".into()),
                    ("service.name", service.clone().into()),
                    ("process.pid", pid.into()),
                    ("thread.id", tid.into()),
                ],
                error_type: None,
            });
            start += 200_000;
        }
        let customer = n % 5000;
        out.push(Span {
            trace_id,
            span_id: server_id,
            parent_span_id: None,
            kind: Role::Server,
            name: "GET /customers/{id}/orders".into(),
            start_ns: now_ns,
            end_ns: start + 50_000,
            attributes: vec![
                ("http.request.method", "GET".into()),
                ("url.path", format!("/customers/{customer}/orders").into()),
                ("http.route", "/customers/{id}/orders".into()),
                ("http.response.status_code", Value::Int(200)),
                ("network.protocol.version", "1.1".into()),
                ("server.address", "127.0.0.1".into()),
                ("server.port", Value::Int(8000)),
                ("client.address", "127.0.0.1".into()),
                ("network.peer.address", "127.0.0.1".into()),
                (
                    "network.peer.port",
                    Value::Int(40_000 + (n % 20_000) as i64),
                ),
                ("network.transport", "tcp".into()),
                ("sonde.db.queries", Value::Int(QUERIES_PER_REQUEST as i64)),
                ("sonde.db.duration_ns", Value::Int(480_000)),
                ("sonde.db.repeated_queries", Value::Int(0)),
                ("service.name", service.clone().into()),
                ("process.pid", pid.into()),
                ("thread.id", tid.into()),
            ],
            error_type: None,
        });
    }
}

/// Distinct, well-mixed ids (splitmix64 of the sequence number).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn id64(n: u64) -> [u8; 8] {
    (mix(n) | 1).to_be_bytes()
}

fn id128(n: u64) -> [u8; 16] {
    let mut id = [0; 16];
    id[..8].copy_from_slice(&mix(n ^ 0x5555).to_be_bytes());
    id[8..].copy_from_slice(&id64(n));
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_a_server_span_and_its_queries() {
        let mut factory = SpanFactory::new(vec![(10, "a".into()), (20, "b".into())]);
        let mut spans = Vec::new();
        factory.request(1_000, &mut spans);
        factory.request(2_000, &mut spans);
        assert_eq!(spans.len(), 2 * SPANS_PER_REQUEST);
        let (first, second) = spans.split_at(SPANS_PER_REQUEST);
        let server = &first[QUERIES_PER_REQUEST];
        assert_eq!(server.kind, Role::Server);
        for query in &first[..QUERIES_PER_REQUEST] {
            assert_eq!(query.trace_id, server.trace_id);
            assert_eq!(query.parent_span_id, Some(server.span_id));
            assert!(query.start_ns >= server.start_ns && query.end_ns <= server.end_ns);
        }
        assert_ne!(first[0].trace_id, second[0].trace_id);
        let mut ids: Vec<_> = spans.iter().map(|s| s.span_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), spans.len(), "span ids are distinct");
        // Requests alternate between the processes.
        assert_ne!(
            first[0].int_attribute("process.pid"),
            second[0].int_attribute("process.pid")
        );
    }
}
