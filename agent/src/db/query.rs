//! Which calls are the queries a request made, and when two are the same.
//!
//! The count is meant to equal what the application's own query log says
//! (Django's `connection.queries`): its statements and its transaction
//! boundaries (`BEGIN`, `COMMIT`, savepoints), but not what drivers and
//! frameworks say to the server about the session — settings (`SET NAMES`,
//! isolation levels), reads of server variables (`SELECT @@sql_mode`), and
//! autocommit toggles. MySQL drivers begin a transaction with `SET
//! autocommit=0` (which Django logs as `BEGIN`) and toggle autocommit off
//! and on again when they connect: [`AutocommitTracker`] tells the two
//! apart.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use crate::protocols::db::{DbCall, DbSystem};

/// What a call is, for the query count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// One of the application's queries (transaction control included).
    Query,
    /// About the session: never counted.
    Session,
    /// `SET autocommit=?`: a transaction's begin, or half of a toggle.
    Autocommit,
    /// A cache command (Redis): counted apart.
    Cache,
}

/// Redis commands about the connection, not the data: clients send them
/// when they connect (redis-py: `CLIENT SETINFO`).
const REDIS_SESSION: [&str; 5] = ["CLIENT", "HELLO", "AUTH", "SELECT", "RESET"];

/// What `call` on a `system` connection is.
pub fn call_kind(system: DbSystem, call: &DbCall) -> CallKind {
    if system == DbSystem::Redis {
        // The statement is the command's name (and subcommand's).
        let name = call
            .statement
            .text
            .split_whitespace()
            .next()
            .unwrap_or_default();
        let session = REDIS_SESSION
            .iter()
            .any(|command| command.eq_ignore_ascii_case(name));
        return if session {
            CallKind::Session
        } else {
            CallKind::Cache
        };
    }
    let statement = &call.statement;
    // The normalized text starts with the statement's first keyword.
    let text = &statement.text;
    let Some(first) = text.split_whitespace().next() else {
        return CallKind::Session;
    };
    if first.eq_ignore_ascii_case("SET") {
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        return if squeezed.eq_ignore_ascii_case("SETautocommit=?") {
            CallKind::Autocommit
        } else {
            CallKind::Session
        };
    }
    let reads_server_variables = first.eq_ignore_ascii_case("SELECT")
        && statement.collection.is_none()
        && text.contains("@@");
    if reads_server_variables {
        CallKind::Session
    } else {
        CallKind::Query
    }
}

/// Whether `call` ends a transaction (`COMMIT`, `ROLLBACK` but not to a
/// savepoint).
pub fn ends_transaction(call: &DbCall) -> bool {
    let text = &call.statement.text;
    let first = text.split_whitespace().next().unwrap_or_default();
    first.eq_ignore_ascii_case("COMMIT")
        || (first.eq_ignore_ascii_case("ROLLBACK") && !text.to_ascii_uppercase().contains(" TO "))
}

/// Per connection: the meaning of each `SET autocommit=?`, which the
/// normalized text alone does not give (its value is hidden).
///
/// - right after `COMMIT` or `ROLLBACK`: autocommit back on, not counted;
/// - followed at once by another `SET autocommit=?`: a toggle (drivers do
///   it when they connect), neither counted;
/// - else a transaction's begin: counted once the next call shows it.
#[derive(Debug)]
pub struct AutocommitTracker<T> {
    /// A begin waiting for the next call to confirm it.
    held: Option<T>,
    after_transaction_end: bool,
}

impl<T> Default for AutocommitTracker<T> {
    fn default() -> Self {
        Self {
            held: None,
            after_transaction_end: false,
        }
    }
}

impl<T> AutocommitTracker<T> {
    /// Takes in the next call of the connection (`kind`, `ends`: whether
    /// it ends a transaction; `item`: what to hand back once a held begin
    /// is confirmed). Returns whether this call counts now, and a held
    /// begin that the call just confirmed.
    pub fn next(&mut self, kind: CallKind, ends: bool, item: T) -> (bool, Option<T>) {
        let after_end = std::mem::replace(&mut self.after_transaction_end, ends);
        if kind == CallKind::Autocommit {
            if self.held.take().is_none() && !after_end {
                self.held = Some(item);
            }
            return (false, None);
        }
        (kind == CallKind::Query, self.held.take())
    }
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
            statement: Normalizer::new().normalize(sql, Dialect::MYSQL),
            start_ns: 0,
            tid: 1,
            end_ns: Some(1),
            rows: None,
            error: None,
        }
    }

    fn kind(sql: &str) -> CallKind {
        call_kind(DbSystem::Mysql, &call(sql))
    }

    #[test]
    fn session_statements_are_not_queries() {
        for sql in [
            "SET NAMES utf8mb4",
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "SET TIME ZONE 'UTC'",
            "SELECT VERSION(), @@sql_mode, @@default_storage_engine",
            "",
        ] {
            assert_eq!(kind(sql), CallKind::Session, "{sql}");
        }
        for sql in ["SET autocommit=0", "SET AUTOCOMMIT = 1", "set autocommit=1"] {
            assert_eq!(kind(sql), CallKind::Autocommit, "{sql}");
        }
        for sql in [
            "BEGIN",
            "COMMIT",
            "SELECT 1",
            "INSERT INTO t VALUES (1)",
            "SAVEPOINT s1",
            "ROLLBACK TO SAVEPOINT s1",
            "UPDATE t SET a = 1",
            "SELECT a FROM t WHERE b = '@@'",
        ] {
            assert_eq!(kind(sql), CallKind::Query, "{sql}");
        }
        assert_eq!(call_kind(DbSystem::Redis, &call("GET")), CallKind::Cache);
        assert!(ends_transaction(&call("COMMIT")));
        assert!(ends_transaction(&call("rollback")));
        assert!(!ends_transaction(&call("ROLLBACK TO SAVEPOINT s1")));
    }

    /// The counted statements of a connection's calls, in order.
    fn counted(statements: &[&str]) -> Vec<String> {
        let mut tracker = AutocommitTracker::default();
        let mut out = Vec::new();
        for sql in statements {
            let call = call(sql);
            let (counts, confirmed) = tracker.next(
                call_kind(DbSystem::Mysql, &call),
                ends_transaction(&call),
                sql.to_string(),
            );
            out.extend(confirmed);
            if counts {
                out.push(sql.to_string());
            }
        }
        out
    }

    #[test]
    fn autocommit_toggles_at_connect_are_not_a_transaction() {
        // mysqlclient connecting, then Django's atomic() with two writes.
        let calls = [
            "SET NAMES utf8mb4",
            "SET autocommit=0",
            "SET autocommit=1",
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "SELECT * FROM c",
            "SET autocommit=0",
            "INSERT INTO c VALUES (1)",
            "UPDATE n SET v = v + 1",
            "COMMIT",
            "SET autocommit=1",
            "SELECT 1",
        ];
        assert_eq!(
            counted(&calls),
            [
                "SELECT * FROM c",
                "SET autocommit=0",
                "INSERT INTO c VALUES (1)",
                "UPDATE n SET v = v + 1",
                "COMMIT",
                "SELECT 1"
            ]
        );
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
