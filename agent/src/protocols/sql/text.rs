//! `db.query.text`: the tokens written back with every literal as `?`, one
//! space where there was any whitespace or comment, lists of values as
//! their first value (`value_list.rs`) and `VALUES (..), (..)` as its first
//! tuple, so that a query reads the same whatever the number of values.
//! Capped at a token boundary.

use super::{
    keyword::Keyword,
    lexer::{Kind, Token},
    value_list::{Action, State},
    MAX_TEXT_BYTES, TRUNCATION_MARK,
};

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
    list: State,
    /// The list element held back (its tokens, from its `,`).
    held: &'a mut Vec<Token>,
    tuples: Tuples,
}

impl<'a> TextWriter<'a> {
    pub(super) fn new(src: &'a str, out: &'a mut String, held: &'a mut Vec<Token>) -> Self {
        out.clear();
        held.clear();
        Self {
            src,
            out,
            fits: 0,
            truncated: false,
            list: State::Outside,
            held,
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
        self.write_held();
        self.list = State::Outside;
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

    /// Lists of values: what `value_list.rs` says to do with the token.
    fn list(&mut self, token: Token) {
        let opens = match token.kind {
            Kind::Word(Keyword::In) => Some(Kind::Open),
            Kind::Word(Keyword::Array) => Some(Kind::OpenBracket),
            _ => None,
        };
        let (state, action) = self.list.next(token, opens, self.held.len());
        self.list = state;
        match action {
            Action::Write => {
                self.write_held();
                self.emit(token);
            }
            Action::Hold => self.held.push(token),
            Action::DropHeldThenWrite => {
                self.held.clear();
                self.emit(token);
            }
            Action::DropHeldThenHold => {
                self.held.clear();
                self.held.push(token);
            }
        }
    }

    fn write_held(&mut self) {
        let held = std::mem::take(self.held);
        for &token in &held {
            self.emit(token);
        }
        *self.held = held;
        self.held.clear();
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
        // `--` and `/*` would read back as comments (MySQL's `--x` is
        // `- -x`): kept apart.
        let glued = matches!(
            (self.out.as_bytes().last(), text.as_bytes().first()),
            (Some(b'-'), Some(b'-')) | (Some(b'/'), Some(b'*'))
        );
        let space = (token.spaced || glued) && !self.out.is_empty();
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
