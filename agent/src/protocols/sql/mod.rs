//! SQL statement normalization for PostgreSQL and MySQL/MariaDB: what
//! leaves the parsers instead of the statement text, so that no literal
//! ever leaves the host.
//!
//! One pass of a lexer (`lexer.rs`, keywords in `keyword.rs`) feeds two
//! readers: the text writer (`text.rs`, lists of values in
//! `value_list.rs`: `db.query.text`) and the summarizer (`summary.rs`,
//! table names in `names.rs`: `db.query.summary`, `db.operation.name`,
//! `db.collection.name`). No parse tree, no recursion, no allocation per
//! token: linear in the input, bounded output, whatever the bytes.
//!
//! What is kept and what is not:
//! - every literal becomes `?`: strings (`'..'`, `E'..'`, `N'..'`,
//!   `_utf8mb4'..'`, `U&'..'`, MySQL's `".."`), numbers (`42`, `1.5e-3`,
//!   `0x1F`, `0b01`), bit and hex strings (`B'01'`, `X'1F'`), dollar-quoted
//!   strings (`$tag$..$tag$`). An unterminated one runs to the end.
//!   `TRUE`, `FALSE` and `NULL` are keywords, kept.
//! - placeholders are kept as written: `$1`, `?`, `%s`, `%(name)s`.
//! - identifiers and keywords are kept as written (case too), quotes
//!   included; comments (`--`, `#`, `/* */`, nested) are dropped; any run
//!   of whitespace and comments is one space.
//! - `IN (?, ?, ?)` is `IN (?)`, `VALUES (?, ?), (?, ?)` is `VALUES (?, ?)`.
//! - the text is cut at a token boundary to [`MAX_TEXT_BYTES`], ending
//!   with [`TRUNCATION_MARK`]; the summary is cut between parts to
//!   [`MAX_SUMMARY_BYTES`].
//!
//! Where the dialects differ, the [`Dialect`] says how to read the
//! statement; unknown, the normalizer takes the reading that hides more.

mod keyword;
mod lexer;
mod names;
mod summary;
mod text;
mod value_list;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod no_literal;
#[cfg(test)]
mod scenarios;
#[cfg(test)]
pub(crate) mod statement_gen;

use lexer::Lexer;
use summary::Summarizer;
use text::TextWriter;

/// Bytes of `db.query.text` at most, the truncation mark included: enough
/// for the queries an ORM writes, short enough for a span attribute.
pub const MAX_TEXT_BYTES: usize = 2048;

/// Ends a text cut to [`MAX_TEXT_BYTES`].
pub const TRUNCATION_MARK: &str = " …";

/// Bytes of `db.query.summary` at most (the semantic conventions' 255
/// characters), cut between its parts.
pub const MAX_SUMMARY_BYTES: usize = 255;

/// A normalized SQL statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statement {
    /// `db.query.text`: the statement with every literal replaced by `?`.
    pub text: String,
    /// `db.query.summary`: e.g. `SELECT orders`; empty when no operation
    /// was recognised.
    pub summary: String,
    /// `db.operation.name`: e.g. `SELECT`, when the input is one statement
    /// whose operations are all the same (`SELECT` with a sub-`SELECT`).
    pub operation: Option<String>,
    /// `db.collection.name`: the table, when exactly one is named
    /// (schema-qualified as written, quotes removed).
    pub collection: Option<String>,
}

/// How the server reads what the dialects disagree on. A `None` is the
/// reading that hides more: a statement the normalizer cannot read both
/// ways alike is hidden from that point on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// `"x"` is an identifier (PostgreSQL, MySQL's `ANSI_QUOTES`) or a
    /// string (MySQL's default). `None`: a name where a name must stand
    /// (`FROM "t"`, `"t"."c"`, `INSERT INTO t ("a")`), else a string.
    pub double_quoted_names: Option<bool>,
    /// A backslash escapes the next character in `'..'` (MySQL's default,
    /// PostgreSQL's `standard_conforming_strings = off`). `None`: a string
    /// that ends elsewhere when read the other way runs to the end.
    pub backslash_escapes: Option<bool>,
    /// MySQL's comments and `$` (`#` comments, `--` followed by a space,
    /// `/* */` not nested, `$` in identifiers) or PostgreSQL's (`#` an
    /// operator, `--` comments, nested `/* */`, `$1` and `$tag$..$tag$`).
    /// `None`: where the two readings part and one could open a string,
    /// the rest of the statement is hidden.
    pub mysql_syntax: Option<bool>,
}

impl Dialect {
    /// Nothing known: what [`normalize`] uses.
    pub const UNKNOWN: Self = Self {
        double_quoted_names: None,
        backslash_escapes: None,
        mysql_syntax: None,
    };
    /// PostgreSQL. Backslashes stay unknown: `standard_conforming_strings`
    /// is on by default, but a session can turn it off.
    pub const POSTGRESQL: Self = Self {
        double_quoted_names: Some(true),
        backslash_escapes: None,
        mysql_syntax: Some(false),
    };
    /// MySQL and MariaDB with the default `sql_mode` (backslash escapes,
    /// no `ANSI_QUOTES`). A server in `NO_BACKSLASH_ESCAPES` mode says so
    /// in its status flags: use `backslash_escapes: None` then.
    pub const MYSQL: Self = Self {
        double_quoted_names: Some(false),
        backslash_escapes: Some(true),
        mysql_syntax: Some(true),
    };
}

/// Normalizes statements; reuse one to keep its buffers.
#[derive(Debug, Default)]
pub struct Normalizer {
    text: String,
    summary: String,
    held: Vec<lexer::Token>,
}

impl Normalizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Normalizes `sql` read as `dialect`. Never panics; linear time.
    pub fn normalize(&mut self, sql: &str, dialect: Dialect) -> Statement {
        let mut text = TextWriter::new(sql, &mut self.text, &mut self.held);
        let mut summary = Summarizer::new(sql, &mut self.summary);
        for token in Lexer::new(sql, dialect) {
            text.push(token);
            summary.push(token);
        }
        text.finish();
        let found = summary.finish();
        Statement {
            text: self.text.clone(),
            summary: self.summary.clone(),
            operation: found.operation,
            collection: found.collection,
        }
    }
}

/// Normalizes `sql` (any bytes decoded lossily; never panics), the dialect
/// unknown: see [`Dialect::UNKNOWN`].
pub fn normalize(sql: &str) -> Statement {
    Normalizer::new().normalize(sql, Dialect::UNKNOWN)
}
