//! Database calls → Client spans and `db.client.operation.duration`.
//!
//! The parsers (`protocols::{postgres,mysql,redis}`) report each call with
//! its normalized statement; this module gives it the semantic-convention
//! attributes of a span, and says which calls count as a request's
//! queries.

mod query;
mod span;
mod texts;

pub use self::query::{call_kind, ends_transaction, statement_key, AutocommitTracker, CallKind};
pub use self::span::{db_span, DbContext};
pub use self::texts::{StatementTextCache, StatementTexts};
