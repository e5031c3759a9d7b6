//! The statements a connection prepared, by statement id, so that each
//! execute reports its statement. Bounded: the oldest are forgotten first.

use std::collections::VecDeque;

use super::super::sql::Statement;

/// Statements remembered at most per connection.
pub(super) const MAX_STATEMENTS: usize = 256;
/// Bytes of normalized text remembered at most per connection.
pub(super) const MAX_STATEMENT_BYTES: usize = 256 * 1024;

/// Prepared statements by id, oldest first.
#[derive(Debug, Default)]
pub(super) struct Statements {
    entries: VecDeque<(u32, Statement)>,
    bytes: usize,
}

impl Statements {
    pub fn insert(&mut self, id: u32, statement: Statement) {
        self.remove(id);
        self.bytes = self.bytes.saturating_add(size(&statement));
        self.entries.push_back((id, statement));
        while self.entries.len() > MAX_STATEMENTS || self.bytes > MAX_STATEMENT_BYTES {
            let Some((_, oldest)) = self.entries.pop_front() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(size(&oldest));
        }
    }

    pub fn get(&self, id: u32) -> Option<&Statement> {
        self.entries
            .iter()
            .find(|(known, _)| *known == id)
            .map(|(_, statement)| statement)
    }

    pub fn remove(&mut self, id: u32) {
        if let Some(index) = self.entries.iter().position(|(known, _)| *known == id) {
            if let Some((_, statement)) = self.entries.remove(index) {
                self.bytes = self.bytes.saturating_sub(size(&statement));
            }
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

fn size(statement: &Statement) -> usize {
    statement.text.len() + statement.summary.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(text: &str) -> Statement {
        Statement {
            text: text.into(),
            ..Statement::default()
        }
    }

    #[test]
    fn the_oldest_are_forgotten_first() {
        let mut statements = Statements::default();
        for id in 0..=MAX_STATEMENTS as u32 {
            statements.insert(id, statement("SELECT ?"));
        }
        assert!(statements.get(0).is_none());
        assert_eq!(statements.get(1), Some(&statement("SELECT ?")));
        statements.insert(7, statement("DELETE"));
        assert_eq!(statements.get(7), Some(&statement("DELETE")));
        statements.remove(7);
        assert!(statements.get(7).is_none());
        let big = "x".repeat(MAX_STATEMENT_BYTES / 2 + 1);
        statements.insert(1000, statement(&big));
        statements.insert(1001, statement(&big));
        assert!(statements.get(1000).is_none());
        assert!(statements.get(1001).is_some());
    }
}
