//! Table names in the summary: which tokens can be one, their quotes
//! removed, and the names of common table expressions, which are not
//! tables.

use super::{
    keyword::Keyword,
    lexer::{Kind, Token},
};

/// Names of common table expressions remembered per statement, so that
/// `WITH x AS (...) SELECT * FROM x` does not count `x` as a table.
const MAX_CTE_NAMES: usize = 16;

/// Where a common table expression list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Cte {
    #[default]
    Off,
    Name(u32),
    AfterName(u32),
    AfterAs(u32),
    Body(u32),
    AfterBody(u32),
}

/// The common table expressions of a statement (`WITH x AS (...)`).
#[derive(Debug, Default)]
pub(super) struct CteNames {
    state: Cte,
    names: Vec<String>,
}

impl CteNames {
    pub(super) fn clear(&mut self) {
        self.state = Cte::Off;
        self.names.clear();
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|cte| cte == name)
    }

    /// Follows `WITH a AS (...), b (x) AS (...)` at parenthesis `depth`.
    pub(super) fn track(&mut self, src: &str, token: Token, depth: u32) {
        self.state = match (self.state, token.kind) {
            (_, Kind::Word(Keyword::With)) => Cte::Name(depth),
            (Cte::Name(at), Kind::Word(Keyword::DdlModifier)) => Cte::Name(at),
            (Cte::Name(at), kind) if is_name(kind) => {
                if self.names.len() < MAX_CTE_NAMES {
                    let mut name = String::new();
                    push_unquoted(
                        &mut name,
                        src.get(token.start..token.end).unwrap_or_default(),
                    );
                    self.names.push(name);
                }
                Cte::AfterName(at)
            }
            (Cte::AfterName(at), Kind::Word(Keyword::As)) => Cte::AfterAs(at),
            (Cte::AfterName(at), _) => Cte::AfterName(at),
            (Cte::AfterAs(at), Kind::Open) => Cte::Body(at),
            (Cte::AfterAs(at), Kind::Word(_)) => Cte::AfterAs(at),
            (Cte::Body(at), Kind::Close) if depth == at.saturating_add(1) => Cte::AfterBody(at),
            (Cte::Body(at), _) => Cte::Body(at),
            (Cte::AfterBody(at), Kind::Comma) => Cte::Name(at),
            _ => Cte::Off,
        };
    }
}

/// Words between a keyword and the name it introduces: `INSERT IGNORE
/// INTO`, `FROM ONLY`, `TRUNCATE TABLE`, `DROP TABLE IF EXISTS`.
pub(super) fn skipped_before_name(keyword: Keyword) -> bool {
    matches!(
        keyword,
        Keyword::Into
            | Keyword::InsertModifier
            | Keyword::Only
            | Keyword::Lateral
            | Keyword::Table
            | Keyword::If
            | Keyword::Not
            | Keyword::Exists
            | Keyword::DdlModifier
    )
}

/// A token that can be (the first part of) a table's name.
pub(super) fn is_name(kind: Kind) -> bool {
    match kind {
        Kind::QuotedName => true,
        Kind::Word(keyword) => !matches!(
            keyword,
            Keyword::Select
                | Keyword::Insert
                | Keyword::Update
                | Keyword::Delete
                | Keyword::Merge
                | Keyword::With
                | Keyword::Values
                | Keyword::From
                | Keyword::Join
                | Keyword::In
                | Keyword::As
                | Keyword::On
                | Keyword::Using
                | Keyword::Set
                | Keyword::Returning
                | Keyword::Distinct
                | Keyword::Clause
                | Keyword::Create
                | Keyword::Alter
                | Keyword::Drop
                | Keyword::Truncate
        ),
        _ => false,
    }
}

/// Appends a name part without its quotes: `"a""b"` is `a"b`, `U&"x"` is
/// `x`, `` `t` `` is `t`.
pub(super) fn push_unquoted(out: &mut String, part: &str) {
    let part = part
        .strip_prefix("U&")
        .or_else(|| part.strip_prefix("u&"))
        .filter(|rest| rest.starts_with('"'))
        .unwrap_or(part);
    let quote = match part.chars().next() {
        Some(quote @ ('"' | '`')) => quote,
        _ => {
            out.push_str(part);
            return;
        }
    };
    let inner = part.get(1..).unwrap_or_default();
    let inner = inner.strip_suffix(quote).unwrap_or(inner);
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == quote && chars.peek() == Some(&quote) {
            chars.next();
        }
    }
}
