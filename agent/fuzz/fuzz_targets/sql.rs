//! The SQL normalizer against any text, in every dialect, and against
//! generated statements with secrets in their literals.
//!
//! Input: a mode byte, then the rest. Mode bit 0 clear: the rest is any
//! bytes (decoded lossily, as the parsers do); the output must be bounded
//! and hold no literal, i.e. normalizing it again changes nothing (a kept
//! literal would become `?`). Bit 0 set: the rest drives the statement
//! generator (bits 1-2 pick the flavour); no secret may come out.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The agent is a binary crate: the normalizer is included as source. It is
// pure and depends on nothing else in the agent. Its `expect(dead_code)`s
// (for items the agent does not use yet) find nothing dead here.
#[allow(unfulfilled_lint_expectations)]
#[path = "../../src/protocols/sql/mod.rs"]
mod sql;
#[path = "../../src/protocols/sql/statement_gen.rs"]
mod statement_gen;

use sql::{Dialect, Normalizer, Statement, MAX_SUMMARY_BYTES, MAX_TEXT_BYTES};
use statement_gen::{generate, Entropy, Flavour};

const DIALECTS: [Dialect; 3] = [Dialect::UNKNOWN, Dialect::POSTGRESQL, Dialect::MYSQL];

fuzz_target!(|input: &[u8]| run(input));

fn run(input: &[u8]) {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let mut normalizer = Normalizer::new();
    if mode & 1 == 0 {
        let sql = String::from_utf8_lossy(rest);
        assert_eq!(
            sql::normalize(&sql),
            normalizer.normalize(&sql, Dialect::UNKNOWN)
        );
        for dialect in DIALECTS {
            let statement = normalizer.normalize(&sql, dialect);
            check_bounds(&statement);
            let again = normalizer.normalize(&statement.text, dialect);
            assert_eq!(again.text, statement.text, "{dialect:?}: not a fixed point");
        }
    } else {
        let (flavour, dialect) = match (mode >> 1) % 4 {
            0 => (Flavour::Postgresql, Dialect::POSTGRESQL),
            1 => (Flavour::Postgresql, Dialect::UNKNOWN),
            2 => (Flavour::Mysql, Dialect::MYSQL),
            _ => (Flavour::Either, Dialect::UNKNOWN),
        };
        let generated = generate(&mut Entropy::new(rest), flavour, 64);
        let statement = normalizer.normalize(&generated.sql, dialect);
        check_bounds(&statement);
        for secret in &generated.secrets {
            for output in [
                &statement.text,
                &statement.summary,
                statement.operation.as_ref().unwrap_or(&String::new()),
                statement.collection.as_ref().unwrap_or(&String::new()),
            ] {
                assert!(
                    !output.contains(secret.as_str()),
                    "{secret} kept ({flavour:?} read as {dialect:?}):\n{}\n{statement:?}",
                    generated.sql
                );
            }
        }
    }
}

fn check_bounds(statement: &Statement) {
    assert!(statement.text.len() <= MAX_TEXT_BYTES);
    assert!(statement.summary.len() <= MAX_SUMMARY_BYTES);
}
