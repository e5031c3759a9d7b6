//! SQL statement normalization: what leaves the parsers instead of the
//! statement text, so that no literal ever leaves the host.

/// A normalized SQL statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statement {
    /// `db.query.text`: the statement with every literal replaced by `?`.
    pub text: String,
    /// `db.query.summary`: e.g. `SELECT orders`.
    pub summary: String,
    /// `db.operation.name`: e.g. `SELECT`, when the statement is simple.
    pub operation: Option<String>,
    /// `db.collection.name`: the table, when the statement is simple.
    pub collection: Option<String>,
}

/// Normalizes `sql` (any bytes decoded lossily; never panics).
pub fn normalize(sql: &str) -> Statement {
    // Placeholder until the normalizer lands: keeps nothing of the text.
    let operation = sql.split_whitespace().next().map(str::to_ascii_uppercase);
    Statement {
        text: operation.clone().unwrap_or_default(),
        summary: operation.clone().unwrap_or_default(),
        operation,
        collection: None,
    }
}
