//! Replies from the server's tokens: values of every RESP2/RESP3 type,
//! aggregates nested up to a bound, attributes skipped. Of each top-level
//! value sonde keeps its type, its element count, its error's first word,
//! and what tells pub/sub messages and confirmations apart (the first
//! element's name, the third element's integer).

use super::{
    super::segments::Stamp,
    tokens::{parse_int, Kind, Token},
};

/// Aggregates nested at most; deeper is taken for garbage.
pub(super) const MAX_DEPTH: usize = 32;
/// Bytes of a first element kept (`message`, `psubscribe`...).
const NAME_KEEP: usize = 16;

/// A complete top-level value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Value {
    /// Its type byte (`+`, `-`, `*`, `>`...).
    pub kind: u8,
    /// Elements of an array, set or push, entries of a map; None for a
    /// null or a scalar.
    pub count: Option<u64>,
    /// The first word of an error.
    pub error: Option<String>,
    /// An aggregate's first element when a string, lowercased.
    pub first_element: Option<Vec<u8>>,
    /// An aggregate's third element when an integer.
    pub third_integer: Option<i64>,
    /// The chunks carrying its first and last byte.
    pub first: Stamp,
    pub last: Stamp,
}

impl Value {
    /// A pub/sub (un)subscription confirmation: its kind and how many
    /// subscriptions remain.
    pub fn confirmation(&self) -> Option<(&[u8], i64)> {
        let name = self.first_element.as_deref()?;
        let confirms = matches!(self.kind, b'*' | b'>')
            && self.count == Some(3)
            && matches!(
                name,
                b"subscribe"
                    | b"psubscribe"
                    | b"ssubscribe"
                    | b"unsubscribe"
                    | b"punsubscribe"
                    | b"sunsubscribe"
            );
        Some((name, self.third_integer?)).filter(|_| confirms)
    }

    /// A RESP2 pub/sub message (an array naming its kind first).
    pub fn is_message(&self) -> bool {
        self.kind == b'*'
            && matches!(
                self.first_element.as_deref(),
                Some(b"message" | b"pmessage" | b"smessage")
            )
    }
}

/// What a token made of the value being read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Built {
    More,
    Value(Value),
    /// Not RESP, or nested too deep.
    Malformed,
}

/// The value being read.
#[derive(Debug, Default)]
pub(super) struct ReplyBuilder {
    stack: Vec<Frame>,
    top: Option<Value>,
    /// The first byte of the value (attributes before it included).
    first: Option<Stamp>,
    /// Direct elements of the top-level aggregate begun so far.
    elements: u64,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    left: u64,
    attribute: bool,
}

impl ReplyBuilder {
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    pub fn token(&mut self, token: &Token<'_>) -> Built {
        if self.stack.is_empty() {
            self.first.get_or_insert(token.first);
        }
        match token.kind {
            Kind::Inline => Built::Malformed,
            Kind::Line(kind @ (b'*' | b'~' | b'>' | b'%' | b'|')) => {
                let Some(count) = parse_int(token.text) else {
                    return Built::Malformed;
                };
                let attribute = kind == b'|';
                if !attribute {
                    self.begin(kind, token, u64::try_from(count).ok());
                }
                let elements = match u64::try_from(count) {
                    Ok(count) if matches!(kind, b'%' | b'|') => count.saturating_mul(2),
                    Ok(count) => count,
                    // A null aggregate.
                    Err(_) if !attribute => return self.element_done(token.last),
                    Err(_) => return Built::Malformed,
                };
                if elements == 0 {
                    return if attribute {
                        Built::More
                    } else {
                        self.element_done(token.last)
                    };
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Built::Malformed;
                }
                self.stack.push(Frame {
                    left: elements,
                    attribute,
                });
                Built::More
            }
            Kind::Line(kind) | Kind::Blob(kind, _) => {
                self.begin(kind, token, None);
                self.element_done(token.last)
            }
        }
    }

    /// A value of `kind` begins with `token` (`count`: an aggregate's).
    fn begin(&mut self, kind: u8, token: &Token<'_>, count: Option<u64>) {
        if self.stack.iter().any(|frame| frame.attribute) {
            return;
        }
        match self.stack.len() {
            0 => {
                let error = matches!(kind, b'-' | b'!').then(|| error_prefix(token.text));
                self.top = Some(Value {
                    kind,
                    count,
                    error,
                    first_element: None,
                    third_integer: None,
                    first: self.first.unwrap_or(token.first),
                    last: token.last,
                });
                self.elements = 0;
            }
            1 => {
                let Some(top) = &mut self.top else {
                    return;
                };
                match (self.elements, kind) {
                    (0, b'+' | b'$') => {
                        let name = token.text.get(..NAME_KEEP).unwrap_or(token.text);
                        top.first_element = Some(name.to_ascii_lowercase());
                    }
                    (2, b':') => top.third_integer = parse_int(token.text),
                    _ => {}
                }
                self.elements += 1;
            }
            _ => {}
        }
    }

    /// An element ended in the chunk of `last`.
    fn element_done(&mut self, last: Stamp) -> Built {
        loop {
            let Some(frame) = self.stack.last_mut() else {
                let value = self.top.take().map(|value| Value { last, ..value });
                self.first = None;
                return value.map_or(Built::More, Built::Value);
            };
            frame.left -= 1;
            if frame.left > 0 {
                return Built::More;
            }
            let done = *frame;
            self.stack.pop();
            if done.attribute {
                // Not an element: the value it describes follows.
                return Built::More;
            }
        }
    }
}

/// The first word of an error (`WRONGTYPE`, `NOAUTH`): upper-case letters,
/// digits and `_`, as Redis's error codes are; anything else is reported
/// as `ERR`, for a script's error may quote data.
pub(super) fn error_prefix(text: &[u8]) -> String {
    let word = text.split(|&b| b == b' ').next().unwrap_or_default();
    let code = (1..=32).contains(&word.len())
        && word
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_');
    if code {
        String::from_utf8_lossy(word).into_owned()
    } else {
        "ERR".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_prefixes() {
        assert_eq!(
            error_prefix(b"WRONGTYPE Operation against a key"),
            "WRONGTYPE"
        );
        assert_eq!(error_prefix(b"ERR unknown command 'FOO'"), "ERR");
        assert_eq!(error_prefix(b"NOAUTH Authentication required."), "NOAUTH");
        assert_eq!(error_prefix(b"my secret error"), "ERR");
        assert_eq!(error_prefix(b""), "ERR");
    }
}
