//! Statements normalized per second on one core, for the mix a Django app
//! sends (every statement recorded in the golden files, schema changes
//! included), and bytes per second for one 4 MiB statement.
//!
//! `cargo bench -p sonde-agent --bench sql_normalize`; the goal is at least
//! 200,000 Django statements per second per core.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

// The agent is a binary crate: the normalizer is included as source (with
// its test modules when built for `cargo test --benches`, hence the allows).
#[allow(dead_code, unused_imports)]
#[path = "../src/protocols/sql/mod.rs"]
mod sql;

use sql::{Dialect, Normalizer};

const DJANGO_POSTGRESQL: &str = include_str!("../src/protocols/sql/testdata/django_postgresql.sql");
const DJANGO_MYSQL: &str = include_str!("../src/protocols/sql/testdata/django_mysql.sql");

/// The statements of a golden file (see `golden.rs` for its format).
fn statements(golden: &str) -> Vec<String> {
    let mut statements: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in golden.lines() {
        if line.starts_with("=== ") {
            statements.extend(current.take());
            current = Some(String::new());
        } else if line.starts_with(">>> ") {
            statements.extend(current.take());
        } else if let Some(statement) = current.as_mut() {
            statement.push_str(line);
            statement.push('\n');
        }
    }
    statements.extend(current);
    statements
}

fn django(c: &mut Criterion) {
    let mut group = c.benchmark_group("django");
    for (name, golden, dialect) in [
        ("postgresql", DJANGO_POSTGRESQL, Dialect::POSTGRESQL),
        ("mysql", DJANGO_MYSQL, Dialect::MYSQL),
        (
            "postgresql_dialect_unknown",
            DJANGO_POSTGRESQL,
            Dialect::UNKNOWN,
        ),
    ] {
        let statements = statements(golden);
        group.throughput(Throughput::Elements(statements.len() as u64));
        let mut normalizer = Normalizer::new();
        group.bench_function(name, |b| {
            b.iter(|| {
                for statement in &statements {
                    black_box(normalizer.normalize(black_box(statement), dialect));
                }
            })
        });
    }
    group.finish();
}

fn large(c: &mut Criterion) {
    let row = "(42, 'a string of some length', 3.14, NULL, '2024-01-01 00:00:00'), ";
    let statement = format!(
        "INSERT INTO t (a, b, c, d, e) VALUES {}(0, '', 0, NULL, '')",
        row.repeat((4 << 20) / row.len())
    );
    let mut group = c.benchmark_group("large");
    group.throughput(Throughput::Bytes(statement.len() as u64));
    group.sample_size(10);
    let mut normalizer = Normalizer::new();
    group.bench_function("insert_4mib", |b| {
        b.iter(|| black_box(normalizer.normalize(black_box(&statement), Dialect::MYSQL)))
    });
    group.finish();
}

criterion_group!(benches, django, large);
criterion_main!(benches);
