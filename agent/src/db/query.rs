//! Which calls are an application's queries, and when two are the same.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use crate::protocols::db::{DbCall, DbSystem};

/// Statements that drivers and frameworks send on their own, around and
/// before an application's queries: transaction control (psycopg and
/// mysqlclient send BEGIN and COMMIT for Django's `atomic`), session
/// settings (`SET` at connect, autocommit toggles). Django's own count of
/// a request's queries leaves them out too. Savepoints are the
/// application's (Django runs them itself, and counts them).
const NOT_QUERIES: [&str; 6] = ["BEGIN", "START", "COMMIT", "END", "ABORT", "SET"];

/// Whether `call` on a `system` connection is one of the SQL queries a
/// request made: SQL, and neither transaction control nor a session
/// setting (a `ROLLBACK TO SAVEPOINT` is a query).
pub fn is_counted_query(system: DbSystem, call: &DbCall) -> bool {
    if system == DbSystem::Redis {
        return false;
    }
    // The normalized text starts with the statement's first keyword.
    let text = &call.statement.text;
    let Some(first) = text.split_whitespace().next() else {
        return false;
    };
    if first.eq_ignore_ascii_case("ROLLBACK") {
        return text.to_ascii_uppercase().contains(" TO ");
    }
    !NOT_QUERIES
        .iter()
        .any(|name| name.eq_ignore_ascii_case(first))
}

/// A key equal for calls of the same normalized statement (the N+1
/// signal: one statement run again and again with other values).
pub fn statement_key(system: DbSystem, call: &DbCall) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one((system, &call.statement.text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::sql::{Dialect, Normalizer};

    fn call(sql: &str) -> DbCall {
        DbCall {
            sequence: 0,
            statement: Normalizer::new().normalize(sql, Dialect::POSTGRESQL),
            start_ns: 0,
            tid: 1,
            end_ns: Some(1),
            rows: None,
            error: None,
        }
    }

    #[test]
    fn driver_statements_are_not_queries() {
        let pg = DbSystem::Postgresql;
        for sql in [
            "BEGIN",
            "begin",
            "COMMIT",
            "ROLLBACK",
            "START TRANSACTION",
            "SET autocommit=0",
            "SET TIME ZONE 'UTC'",
            "END",
        ] {
            assert!(!is_counted_query(pg, &call(sql)), "{sql}");
        }
        for sql in [
            "SELECT 1",
            "INSERT INTO t VALUES (1)",
            "SAVEPOINT s1",
            "RELEASE SAVEPOINT s1",
            "ROLLBACK TO SAVEPOINT s1",
            "UPDATE t SET a = 1",
            "SELECT 1; SELECT 2",
        ] {
            assert!(is_counted_query(pg, &call(sql)), "{sql}");
        }
        assert!(!is_counted_query(DbSystem::Redis, &call("GET")));
    }

    #[test]
    fn the_same_statement_with_other_values_has_one_key() {
        let pg = DbSystem::Postgresql;
        let a = call("SELECT * FROM c WHERE id = 1");
        let b = call("SELECT * FROM c WHERE id = 22");
        let c = call("SELECT * FROM d WHERE id = 1");
        assert_eq!(statement_key(pg, &a), statement_key(pg, &b));
        assert_ne!(statement_key(pg, &a), statement_key(pg, &c));
        assert_ne!(statement_key(pg, &a), statement_key(DbSystem::Mysql, &a));
    }
}
