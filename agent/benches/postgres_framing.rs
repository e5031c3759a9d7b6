//! Framing throughput of the PostgreSQL parser: the recorded conversations
//! (`src/protocols/postgres/testdata/*.conv`), concatenated, fed through a
//! fresh connection each, over and over.
//!
//! Statements are not normalized here: `sql::Normalizer` is replaced by a
//! stub returning an empty statement, so that the number measures framing,
//! pairing and event building only (the normalizer's cost is its own).
//! Throughput is counted in captured bytes (what the parser reads); the
//! bytes the recordings stand for, uncaptured middles included, are
//! printed once too. Run with `cargo bench -p sonde-agent --bench
//! postgres_framing`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

// The agent is a binary crate: the parser is included as source, as in the
// fuzz targets. Its `expect`s (for items the agent does not use yet) find
// nothing to expect here.
#[path = "../src/protocols/chunk.rs"]
mod chunk;
#[allow(dead_code)]
#[path = "../src/protocols/db.rs"]
mod db;
#[allow(unfulfilled_lint_expectations, dead_code, unused_imports)]
#[path = "../src/protocols/postgres/mod.rs"]
mod postgres;
#[allow(dead_code, unused_imports)]
#[path = "../src/protocols/sql/mod.rs"]
mod real_sql;
#[allow(dead_code)]
#[path = "../src/protocols/segments.rs"]
mod segments;
// The recordings, read as the golden tests read them (with `--all-targets`
// the parser's tests are compiled here too, and use the rest).
#[allow(dead_code)]
#[path = "../src/protocols/testing/mod.rs"]
mod testing;

/// Framing only: the parser's normalizer, stubbed.
mod sql {
    pub use super::real_sql::{Dialect, Statement};

    #[derive(Debug, Default)]
    pub struct Normalizer;

    impl Normalizer {
        pub fn normalize(&mut self, _sql: &str, _dialect: Dialect) -> Statement {
            Statement::default()
        }
    }
}

use chunk::Chunk;
use postgres::PostgresConnection;
use testing::conv::{self, Record};

/// Feeds every conversation through a fresh connection; the events seen.
fn feed(conversations: &[Vec<Record>], events: &mut Vec<db::DbEvent>) -> usize {
    let mut seen = 0;
    for records in conversations {
        let mut connection = PostgresConnection::new();
        for (now, record) in records.iter().enumerate() {
            let chunk = Chunk {
                data: &record.data,
                total_len: record.total_len,
                tail: &record.tail,
                timestamp_ns: now as u64,
                tid: 1,
            };
            if record.client {
                connection.feed_client(&chunk, events);
            } else {
                connection.feed_server(&chunk, events);
            }
        }
        connection.close(records.len() as u64, events);
        seen += events.len();
        events.clear();
    }
    seen
}

fn framing(c: &mut Criterion) {
    let conversations: Vec<Vec<Record>> = conv::conversations("postgres", 1)
        .into_iter()
        .map(|(_, records)| records)
        .collect();
    let records = conversations.iter().flatten();
    let captured: usize = records.clone().map(|r| r.data.len() + r.tail.len()).sum();
    let wire: usize = records.map(|r| r.total_len).sum();
    println!(
        "postgres recordings: {} conversations, {captured} bytes captured, {wire} bytes on the wire",
        conversations.len()
    );
    let mut events = Vec::new();
    let mut group = c.benchmark_group("postgres");
    group.throughput(Throughput::Bytes(captured as u64));
    group.bench_function("framing_recordings", |b| {
        b.iter(|| black_box(feed(black_box(&conversations), &mut events)));
    });
    // Small messages only: the conversations captured whole, TLS aside.
    let small: Vec<Vec<Record>> = conversations
        .into_iter()
        .filter(|records| {
            records.iter().all(|r| r.total_len == r.data.len())
                && records.iter().any(|r| r.data.first() == Some(&b'Z'))
        })
        .collect();
    let captured: usize = small.iter().flatten().map(|r| r.data.len()).sum();
    group.throughput(Throughput::Bytes(captured as u64));
    group.bench_function("framing_small_messages", |b| {
        b.iter(|| black_box(feed(black_box(&small), &mut events)));
    });
    group.finish();
}

criterion_group!(benches, framing);
criterion_main!(benches);
