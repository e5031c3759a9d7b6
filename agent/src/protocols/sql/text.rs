//! `db.query.text`: the tokens written back with every literal as `?`, one
//! space where there was any whitespace or comment, `IN (?, ?, ?)` as
//! `IN (?)` and `VALUES (..), (..)` as its first tuple, so that a query
//! reads the same whatever the number of values. Capped at a token boundary.

use super::{
    keyword::Keyword,
    lexer::{Kind, Token},
    MAX_TEXT_BYTES, TRUNCATION_MARK,
};

/// Where the writer is in an `IN (...)` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InList {
    Outside,
    /// After `IN`: a `(` starts a list.
    AfterIn,
    /// After `IN (`: a value starts a list of values.
    Opened,
    /// After the first value: its `,` is held back.
    AfterFirst,
    /// A `,` held back: one more value is held back behind it.
    Comma(Token),
    /// `, value` held back: dropped if the list goes on or ends.
    Value(Token, Token),
}

/// Where the writer is in a `VALUES (...), (...)` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tuples {
    Outside,
    /// After `VALUES`: a `(` opens the first tuple.
    AfterValues,
    /// Inside the first tuple, at this depth (1 = its own parentheses).
    First(u32),
    /// After a tuple: a `,` is held back.
    AfterTuple,
    /// `,` held back: a `(` starts a tuple to drop.
    Comma(Token),
    /// Inside a dropped tuple, at this depth.
    Dropping(u32),
}

/// Writes `db.query.text` into a reused buffer.
pub(super) struct TextWriter<'a> {
    src: &'a str,
    out: &'a mut String,
    /// The longest written prefix that leaves room for the mark.
    fits: usize,
    truncated: bool,
    in_list: InList,
    tuples: Tuples,
}

impl<'a> TextWriter<'a> {
    pub(super) fn new(src: &'a str, out: &'a mut String) -> Self {
        out.clear();
        Self {
            src,
            out,
            fits: 0,
            truncated: false,
            in_list: InList::Outside,
            tuples: Tuples::Outside,
        }
    }

    pub(super) fn push(&mut self, token: Token) {
        if self.truncated {
            return;
        }
        if let Some(token) = self.values(token) {
            self.list(token);
        }
    }

    /// Flushes what is held back at the end of the statement.
    pub(super) fn finish(&mut self) {
        if let Tuples::Comma(comma) = self.tuples {
            self.list(comma);
        }
        self.tuples = Tuples::Outside;
        match self.in_list {
            InList::Comma(comma) => self.emit(comma),
            InList::Value(comma, value) => {
                self.emit(comma);
                self.emit(value);
            }
            _ => {}
        }
        self.in_list = InList::Outside;
    }

    /// `VALUES` tuples after the first are dropped; what passes is returned.
    fn values(&mut self, token: Token) -> Option<Token> {
        let kind = token.kind;
        let (next, pass) = match (self.tuples, kind) {
            (Tuples::Dropping(1), Kind::Close) => (Tuples::AfterTuple, None),
            (Tuples::Dropping(depth), Kind::Close) => (Tuples::Dropping(depth - 1), None),
            (Tuples::Dropping(depth), Kind::Open) => {
                (Tuples::Dropping(depth.saturating_add(1)), None)
            }
            (Tuples::Dropping(_), Kind::Semicolon) => (Tuples::Outside, Some(token)),
            (Tuples::Dropping(depth), _) => (Tuples::Dropping(depth), None),
            (Tuples::Comma(_), Kind::Open) => (Tuples::Dropping(1), None),
            (Tuples::Comma(comma), _) => {
                self.list(comma);
                (Tuples::Outside, Some(token))
            }
            (Tuples::AfterTuple, Kind::Comma) => (Tuples::Comma(token), None),
            (Tuples::AfterValues, Kind::Open) => (Tuples::First(1), Some(token)),
            (Tuples::First(1), Kind::Close) => (Tuples::AfterTuple, Some(token)),
            (Tuples::First(depth), Kind::Close) => (Tuples::First(depth - 1), Some(token)),
            (Tuples::First(depth), Kind::Open) => {
                (Tuples::First(depth.saturating_add(1)), Some(token))
            }
            (Tuples::First(_), Kind::Semicolon) => (Tuples::Outside, Some(token)),
            (Tuples::First(depth), _) => (Tuples::First(depth), Some(token)),
            _ => (Tuples::Outside, Some(token)),
        };
        self.tuples = match (next, kind) {
            (Tuples::Outside, Kind::Word(Keyword::Values | Keyword::Value)) => Tuples::AfterValues,
            _ => next,
        };
        pass
    }

    /// `IN (a, b, c)`: values after the first are dropped while the list
    /// holds only values (literals, placeholders).
    fn list(&mut self, token: Token) {
        let value = matches!(token.kind, Kind::Literal | Kind::Placeholder);
        let (next, write) = match (self.in_list, token.kind) {
            (InList::AfterIn, Kind::Open) => (InList::Opened, true),
            (InList::Opened, _) if value => (InList::AfterFirst, true),
            (InList::AfterFirst, Kind::Comma) => (InList::Comma(token), false),
            (InList::Comma(comma), _) if value => (InList::Value(comma, token), false),
            (InList::Comma(comma), _) => {
                self.emit(comma);
                (InList::Outside, true)
            }
            (InList::Value(..), Kind::Comma) => (InList::Comma(token), false),
            (InList::Value(..), Kind::Close) => (InList::Outside, true),
            (InList::Value(comma, value), _) => {
                self.emit(comma);
                self.emit(value);
                (InList::Outside, true)
            }
            _ => (InList::Outside, true),
        };
        self.in_list = match (next, token.kind) {
            (InList::Outside, Kind::Word(Keyword::In)) => InList::AfterIn,
            _ => next,
        };
        if write {
            self.emit(token);
        }
    }

    /// Appends a token, or cuts the text at the last boundary that leaves
    /// room for the mark when it does not fit.
    fn emit(&mut self, token: Token) {
        if self.truncated {
            return;
        }
        let text = match token.kind {
            Kind::Literal => "?",
            _ => self.src.get(token.start..token.end).unwrap_or_default(),
        };
        let space = token.spaced && !self.out.is_empty();
        let len = self.out.len() + usize::from(space) + text.len();
        if len > MAX_TEXT_BYTES {
            self.out.truncate(self.fits);
            self.out.push_str(TRUNCATION_MARK);
            self.truncated = true;
            return;
        }
        if space {
            self.out.push(' ');
        }
        self.out.push_str(text);
        if self.out.len() + TRUNCATION_MARK.len() <= MAX_TEXT_BYTES {
            self.fits = self.out.len();
        }
    }
}
