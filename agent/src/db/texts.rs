//! The attribute texts of recent statements, shared by their spans.
//!
//! A service runs the same few normalized statements over and over: a span
//! takes the texts of its statement from here (reference counts) instead of
//! copying the statement's text, summary, operation and table into new
//! allocations, six per span.

use std::collections::HashMap;

use crate::events::Text;
use crate::protocols::sql::Statement;

/// Distinct statements kept; beyond, the cache starts over.
const MAX_STATEMENTS: usize = 4096;
/// Bytes of statement text kept; beyond, the cache starts over.
const MAX_BYTES: usize = 4 << 20;

/// A statement's texts as span attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementTexts {
    pub text: Text,
    pub summary: Text,
    pub operation: Option<Text>,
    pub collection: Option<Text>,
}

impl StatementTexts {
    fn of(statement: &Statement) -> StatementTexts {
        StatementTexts {
            text: Text::copied(&statement.text),
            summary: Text::copied(&statement.summary),
            operation: statement.operation.as_deref().map(Text::copied),
            collection: statement.collection.as_deref().map(Text::copied),
        }
    }
}

/// Texts by statement, bounded in entries and bytes. Keyed by every field,
/// each prefixed with its length (the key is built in a reused buffer): a
/// statement's texts are never another's. Statements are normalized (no literals), so what a remote
/// peer controls cannot make many keys; the std hasher is seeded anyway.
#[derive(Default)]
pub struct StatementTextCache {
    texts: HashMap<Box<str>, StatementTexts>,
    bytes: usize,
    key: String,
}

impl StatementTextCache {
    /// The texts of `statement`, shared with earlier spans of it.
    pub fn texts(&mut self, statement: &Statement) -> StatementTexts {
        self.key.clear();
        for part in [
            statement.text.as_str(),
            &statement.summary,
            statement.operation.as_deref().unwrap_or(""),
            statement.collection.as_deref().unwrap_or(""),
        ] {
            self.key.push_str(itoa::Buffer::new().format(part.len()));
            self.key.push(':');
            self.key.push_str(part);
        }
        if let Some(texts) = self.texts.get(self.key.as_str()) {
            return texts.clone();
        }
        if self.texts.len() >= MAX_STATEMENTS || self.bytes + self.key.len() > MAX_BYTES {
            self.texts.clear();
            self.bytes = 0;
        }
        let texts = StatementTexts::of(statement);
        self.bytes += self.key.len();
        self.texts.insert(self.key.as_str().into(), texts.clone());
        texts
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.texts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::sql::normalize;

    #[test]
    fn one_statement_is_one_entry_whatever_its_literals() {
        let mut cache = StatementTextCache::default();
        let first = cache.texts(&normalize(
            "SELECT abalance FROM pgbench_accounts WHERE aid = 1",
        ));
        let second = cache.texts(&normalize(
            "SELECT abalance FROM pgbench_accounts WHERE aid = 2",
        ));
        assert_eq!(cache.len(), 1);
        assert_eq!(first, second);
        assert_eq!(
            first.text.as_str(),
            "SELECT abalance FROM pgbench_accounts WHERE aid = ?"
        );
        assert_eq!(first.summary.as_str(), "SELECT pgbench_accounts");
        assert_eq!(first.operation.as_ref().map(Text::as_str), Some("SELECT"));
        assert_eq!(
            first.collection.as_ref().map(Text::as_str),
            Some("pgbench_accounts")
        );
    }

    #[test]
    fn statements_differing_in_any_part_keep_their_own_texts() {
        let mut cache = StatementTextCache::default();
        let base = normalize("SELECT a FROM t");
        let mut other = base.clone();
        other.collection = None;
        let mut moved = base.clone();
        moved.text = format!("{}4:", base.text);
        assert_eq!(
            cache.texts(&base).collection.map(|t| t.to_string()),
            Some("t".into())
        );
        assert_eq!(cache.texts(&other).collection, None);
        cache.texts(&moved);
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn the_cache_starts_over_when_full() {
        let mut cache = StatementTextCache::default();
        for i in 0..MAX_STATEMENTS + 10 {
            cache.texts(&normalize(&format!("SELECT a FROM t{i}")));
        }
        assert_eq!(cache.len(), 10);
        let mut big = normalize("SELECT a FROM t");
        big.text = "x".repeat(MAX_BYTES / 2);
        cache.texts(&big);
        big.summary = "other".into();
        cache.texts(&big);
        assert_eq!(cache.len(), 1, "over the byte budget");
    }
}
