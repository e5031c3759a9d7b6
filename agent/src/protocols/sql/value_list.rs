//! Lists of values in `db.query.text`: `IN (1, 2, 3)` reads `IN (?)`,
//! `IN ((1), (2))` reads `IN ((?))`, `ARRAY[1, 2]` reads `ARRAY[?]`, so
//! that a query reads the same whatever the number of values. Elements
//! after the first are held back while they hold only values, then dropped;
//! an element with anything else (a column, a sub-query) ends the list and
//! everything held is written.

use super::lexer::{Kind, Token};

/// Tokens held back for one element at most: a longer one is written.
pub(super) const MAX_HELD_TOKENS: usize = 64;

/// Where a list of values is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Outside,
    /// After `IN` or `ARRAY`: this token opens a list.
    Before {
        open: Kind,
    },
    /// Inside an element: the first (written) or a later one (held back).
    Element(Element),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Element {
    close: Kind,
    first: bool,
    /// Brackets open inside the element.
    depth: u32,
    /// Only values so far.
    values: bool,
    /// After `::`: a type name follows.
    cast: bool,
}

/// What to do with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Write it (after whatever is held back).
    Write,
    /// Hold it back.
    Hold,
    /// Drop what is held back (values only), write this token.
    DropHeldThenWrite,
    /// Drop what is held back, hold this token (the `,` of the next element).
    DropHeldThenHold,
}

impl State {
    /// The state after `token`, and what to do with it. `held` is how many
    /// tokens are held back.
    pub(super) fn next(
        self,
        token: Token,
        word_opens: Option<Kind>,
        held: usize,
    ) -> (Self, Action) {
        match self {
            State::Outside | State::Before { .. } => {
                let state = match self {
                    State::Before { open } if token.kind == open => State::Element(Element {
                        close: if open == Kind::Open {
                            Kind::Close
                        } else {
                            Kind::CloseBracket
                        },
                        first: true,
                        depth: 0,
                        values: true,
                        cast: false,
                    }),
                    _ => word_opens.map_or(State::Outside, |open| State::Before { open }),
                };
                (state, Action::Write)
            }
            State::Element(element) => element.next(token, held),
        }
    }
}

impl Element {
    fn next(mut self, token: Token, held: usize) -> (State, Action) {
        let kind = token.kind;
        if self.depth == 0 && (kind == Kind::Comma || kind == self.close) {
            let end = kind == self.close;
            let action = match (self.first, self.values, end) {
                // The first element is written; a list of values goes on.
                (true, true, false) => Action::Hold,
                (true, _, _) | (false, false, _) => Action::Write,
                (false, true, true) => Action::DropHeldThenWrite,
                (false, true, false) => Action::DropHeldThenHold,
            };
            let state = if end || !self.values {
                State::Outside
            } else {
                State::Element(Element {
                    first: false,
                    depth: 0,
                    values: true,
                    cast: false,
                    ..self
                })
            };
            return (state, action);
        }
        let cast = self.cast;
        self.cast = false;
        match kind {
            Kind::Literal | Kind::Placeholder | Kind::Comma => {}
            Kind::Open | Kind::OpenBracket => self.depth = self.depth.saturating_add(1),
            Kind::Close | Kind::CloseBracket => self.depth = self.depth.saturating_sub(1),
            Kind::Cast => self.cast = true,
            Kind::Word(_) if cast => {}
            Kind::Operator => {}
            _ => self.values = false,
        }
        if self.first {
            return (State::Element(self), Action::Write);
        }
        if !self.values || held >= MAX_HELD_TOKENS {
            // Not a value after all: written, and the list ends.
            return (State::Outside, Action::Write);
        }
        (State::Element(self), Action::Hold)
    }
}
