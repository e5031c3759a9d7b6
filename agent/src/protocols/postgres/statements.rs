//! Prepared statements and portals of one connection: what an Execute
//! runs. Statements are kept normalized (the text never is), by name, and
//! shared with the portals bound to them and the calls that run them.

use std::{collections::HashMap, sync::Arc};

use super::super::sql::Statement;

/// Named statements kept, at most (and the unnamed one). psycopg 3
/// keeps up to 100 prepared statements per connection by default; beyond
/// this, the oldest is forgotten and its Executes report an unknown
/// statement.
pub(super) const MAX_STATEMENTS: usize = 256;
/// Bytes of normalized text (query text and summary) held by the kept
/// statements, at most.
pub(super) const MAX_STATEMENT_BYTES: usize = 512 * 1024;
/// Named portals kept, at most (and the unnamed one); they are rare.
pub(super) const MAX_PORTALS: usize = 16;
/// Longer names are not kept (the server truncates names at 63 bytes).
const MAX_NAME: usize = 256;

/// The prepared statements and portals of a connection. The unnamed ones,
/// used by most clients for every query, have fields of their own: no
/// hashing on the common path.
#[derive(Debug, Default)]
pub(super) struct Statements {
    unnamed_statement: Option<Arc<Statement>>,
    unnamed_portal: Option<Arc<Statement>>,
    statements: HashMap<Vec<u8>, Kept>,
    portals: HashMap<Vec<u8>, Option<Arc<Statement>>>,
    bytes: usize,
    /// Insertion counter, to forget the oldest statement first.
    clock: u64,
}

#[derive(Debug)]
struct Kept {
    statement: Arc<Statement>,
    inserted: u64,
}

/// Bytes a statement holds, for the caps.
pub(super) fn statement_bytes(statement: &Statement) -> usize {
    statement.text.len() + statement.summary.len()
}

impl Statements {
    /// Parse: `name` is `statement` now (the unnamed statement is replaced
    /// on each Parse).
    pub fn parse(&mut self, name: &[u8], statement: Arc<Statement>) {
        self.close_statement(name);
        let bytes = statement_bytes(&statement);
        if name.is_empty() {
            self.unnamed_statement = (bytes <= MAX_STATEMENT_BYTES).then_some(statement);
            return;
        }
        if name.len() > MAX_NAME || bytes > MAX_STATEMENT_BYTES {
            return;
        }
        while self.statements.len() >= MAX_STATEMENTS
            || self.bytes.saturating_add(bytes) > MAX_STATEMENT_BYTES
        {
            if !self.forget_oldest() {
                break;
            }
        }
        self.clock += 1;
        self.bytes += bytes;
        self.statements.insert(
            name.to_vec(),
            Kept {
                statement,
                inserted: self.clock,
            },
        );
    }

    /// Bind: `portal` runs the statement named `statement` (unknown when
    /// it was prepared before the capture started, or forgotten).
    pub fn bind(&mut self, portal: &[u8], statement: &[u8]) {
        let statement = if statement.is_empty() {
            self.unnamed_statement.clone()
        } else {
            self.statements
                .get(statement)
                .map(|kept| Arc::clone(&kept.statement))
        };
        if portal.is_empty() {
            self.unnamed_portal = statement;
        } else if let Some(slot) = self.portals.get_mut(portal) {
            *slot = statement;
        } else if self.portals.len() < MAX_PORTALS && portal.len() <= MAX_NAME {
            self.portals.insert(portal.to_vec(), statement);
        }
    }

    /// What an Execute of `portal` runs, when known.
    pub fn portal(&self, portal: &[u8]) -> Option<Arc<Statement>> {
        if portal.is_empty() {
            return self.unnamed_portal.clone();
        }
        self.portals.get(portal).cloned().flatten()
    }

    pub fn close_statement(&mut self, name: &[u8]) {
        if name.is_empty() {
            self.unnamed_statement = None;
        } else if let Some(kept) = self.statements.remove(name) {
            self.bytes -= statement_bytes(&kept.statement);
        }
    }

    pub fn close_portal(&mut self, name: &[u8]) {
        if name.is_empty() {
            self.unnamed_portal = None;
        } else {
            self.portals.remove(name);
        }
    }

    /// A simple Query destroys the unnamed statement and portal.
    pub fn simple_query(&mut self) {
        self.close_statement(b"");
        self.close_portal(b"");
    }

    fn forget_oldest(&mut self) -> bool {
        let oldest = self
            .statements
            .iter()
            .min_by_key(|(_, kept)| kept.inserted)
            .map(|(name, _)| name.clone());
        match oldest {
            Some(name) => {
                self.close_statement(&name);
                true
            }
            None => false,
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.statements.len() + usize::from(self.unnamed_statement.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(text: &str) -> Arc<Statement> {
        Arc::new(Statement {
            text: text.into(),
            ..Statement::default()
        })
    }

    fn text(statements: &Statements, portal: &[u8]) -> Option<String> {
        statements.portal(portal).map(|s| s.text.clone())
    }

    #[test]
    fn portals_run_the_statements_bound_to_them() {
        let mut statements = Statements::default();
        statements.parse(b"", statement("one"));
        statements.parse(b"s1", statement("named"));
        statements.bind(b"", b"");
        assert_eq!(text(&statements, b"").as_deref(), Some("one"));
        // The unnamed statement is replaced; the portal keeps what it ran.
        statements.parse(b"", statement("two"));
        assert_eq!(text(&statements, b"").as_deref(), Some("one"));
        statements.bind(b"", b"s1");
        assert_eq!(text(&statements, b"").as_deref(), Some("named"));
        statements.close_statement(b"s1");
        statements.bind(b"", b"s1");
        assert_eq!(text(&statements, b""), None);
        statements.bind(b"p", b"");
        statements.close_portal(b"p");
        assert_eq!(text(&statements, b"p"), None);
    }

    #[test]
    fn statements_and_portals_are_bounded() {
        let mut statements = Statements::default();
        for i in 0..MAX_STATEMENTS + 10 {
            statements.parse(format!("s{i}").as_bytes(), statement("x"));
        }
        assert_eq!(statements.len(), MAX_STATEMENTS);
        // The oldest went first.
        statements.bind(b"", b"s0");
        assert_eq!(text(&statements, b""), None);
        statements.bind(b"", format!("s{}", MAX_STATEMENTS + 9).as_bytes());
        assert_eq!(text(&statements, b"").as_deref(), Some("x"));
        for i in 0..MAX_PORTALS + 10 {
            statements.bind(format!("p{i}").as_bytes(), b"s300");
        }
        assert!(statements.portals.len() <= MAX_PORTALS);
        // Large statements: bounded in bytes.
        let big = "y".repeat(MAX_STATEMENT_BYTES / 4);
        for i in 0..10 {
            statements.parse(format!("b{i}").as_bytes(), statement(&big));
        }
        assert!(statements.bytes <= MAX_STATEMENT_BYTES);
        statements.parse(b"huge", statement(&"z".repeat(MAX_STATEMENT_BYTES + 1)));
        statements.bind(b"", b"huge");
        assert_eq!(text(&statements, b""), None);
    }
}
