//! Splits a statement into tokens: one pass over the bytes, no allocation,
//! any UTF-8. Comments and whitespace are skipped (a token knows whether
//! some came before it); every kind of literal is one `Literal` token, and
//! whatever cannot be told apart from one is a literal too.

use super::{
    keyword::{classify, Keyword},
    Dialect,
};

/// What a token is, as far as the normalizer cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// An unquoted identifier or keyword.
    Word(Keyword),
    /// `"name"`, `` `name` ``, `U&"name"`: an identifier, kept.
    QuotedName,
    /// A string, number, bit or hex string, dollar-quoted string: never kept.
    Literal,
    /// `$1`, `?`, `%s`, `%(name)s`: kept as written.
    Placeholder,
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    /// `::` (PostgreSQL's cast).
    Cast,
    Comma,
    Semicolon,
    Dot,
    /// Any other character (operators, brackets, stray bytes).
    Operator,
}

/// A token: its kind and where it is in the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// Whitespace or a comment came between this token and the previous one.
    pub spaced: bool,
}

/// The tokens of one statement (or of several, separated by `;`).
pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    dialect: Dialect,
    /// What came before, to tell a `"quoted"` name from a MySQL string
    /// when the dialect does not say.
    prev: Option<Kind>,
    /// The keyword whose name the last tokens spell (`INTO a.b`).
    naming: Option<Keyword>,
    /// Parenthesis depth, and which of the first 64 levels are lists of
    /// names (`INSERT INTO t (a, b)`).
    depth: u32,
    name_lists: u64,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(src: &'a str, dialect: Dialect) -> Self {
        Self {
            src,
            pos: 0,
            dialect,
            prev: None,
            naming: None,
            depth: 0,
            name_lists: 0,
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(at).copied()
    }

    fn len(&self) -> usize {
        self.src.len()
    }

    /// Skips whitespace, control characters and comments; whether any.
    fn skip_space(&mut self) -> bool {
        let start = self.pos;
        while let Some(byte) = self.byte(self.pos) {
            let next = self.byte(self.pos + 1);
            let mysql = self.dialect.mysql_syntax;
            self.pos = match byte {
                0..=b' ' | 0x7f => self.pos + 1,
                b'-' if next == Some(b'-') => {
                    // MySQL wants a space after `--`; `--x` is `- -x`.
                    let spaced = self.byte(self.pos + 2).is_none_or(is_space);
                    match mysql {
                        Some(true) if !spaced => break,
                        None if !spaced => self.unsure_line_comment_end(self.pos + 2),
                        _ => self.line_end(self.pos),
                    }
                }
                b'#' => match mysql {
                    Some(false) => break,
                    Some(true) => self.line_end(self.pos),
                    None => self.unsure_line_comment_end(self.pos + 1),
                },
                b'/' if next == Some(b'*') => self.block_comment_end(self.pos),
                _ => break,
            };
        }
        self.pos > start
    }

    /// Past a line comment of one dialect that is code in the other
    /// (`from` is past its `#` or `--`): when that code could open a
    /// string, a name or a comment running past the line, the rest of the
    /// input. (A `#` or `--` in it would end with the line too.)
    fn unsure_line_comment_end(&self, from: usize) -> usize {
        let end = self.line_end(from);
        let line = self.src.as_bytes().get(from..end).unwrap_or_default();
        if line.iter().any(|&b| b"'\"`$/".contains(&b)) {
            self.len()
        } else {
            end
        }
    }

    /// Past a newline ending a `--` or `#` comment (end of input if none).
    fn line_end(&self, from: usize) -> usize {
        let bytes = self.src.as_bytes();
        bytes
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(self.len(), |at| from + at + 1)
    }

    /// Past a `/* */` comment: nested in PostgreSQL, not in MySQL, whose
    /// `/*! .. */` holds code. Unknown, a comment read differently (nested,
    /// or MySQL code that could hold a string) hides the rest of the input.
    fn block_comment_end(&self, from: usize) -> usize {
        if self.dialect.mysql_syntax == Some(false) {
            return self.nested_comment_end(from);
        }
        let bytes = self.src.as_bytes();
        let flat = bytes
            .get(from + 2..)
            .and_then(|rest| rest.windows(2).position(|pair| pair == b"*/"))
            .map_or(self.len(), |at| from + 2 + at + 2);
        let code = matches!(bytes.get(from + 2), Some(b'!'))
            || matches!(bytes.get(from + 2..from + 4), Some(b"M!"));
        let closed = bytes.get(flat.saturating_sub(2)..flat) == Some(b"*/") && flat >= from + 4;
        let content_end = if closed { flat - 2 } else { flat };
        let content = bytes.get(from + 2..content_end).unwrap_or_default();
        // Computed only when unsure: it may run to the end of the input.
        let unsure = self.dialect.mysql_syntax.is_none() && self.nested_comment_end(from) != flat;
        if unsure || (code && content.iter().any(|&b| OPENERS.contains(&b))) {
            self.len()
        } else {
            flat
        }
    }

    /// Past a nested `/* */` comment; end of input if open.
    fn nested_comment_end(&self, from: usize) -> usize {
        let bytes = self.src.as_bytes();
        let mut depth = 0u32;
        let mut at = from;
        while let Some(&byte) = bytes.get(at) {
            let next = bytes.get(at + 1).copied();
            match (byte, next) {
                (b'/', Some(b'*')) => {
                    depth = depth.saturating_add(1);
                    at += 2;
                }
                (b'*', Some(b'/')) => {
                    depth = depth.saturating_sub(1);
                    at += 2;
                    if depth == 0 {
                        return at;
                    }
                }
                _ => at += 1,
            }
        }
        self.len()
    }

    /// Past the string or quoted name whose opening `quote` is before
    /// `from`; end of input if it is not closed. With `escapes` unknown, a
    /// string that ends in a different place whether backslashes escape or
    /// not runs to the end of the input: both readings are then hidden.
    fn quoted_end(&self, from: usize, quote: u8, escapes: Option<bool>) -> usize {
        let plain = self.plain_end(from, quote);
        match escapes {
            Some(false) => plain.unwrap_or(self.len()),
            Some(true) => self.escaped_end(from, quote).unwrap_or(self.len()),
            None => {
                let limit = plain.unwrap_or(self.len());
                let content = self.src.as_bytes().get(from..limit).unwrap_or_default();
                if !content.contains(&b'\\') || self.escaped_end(from, quote) == plain {
                    limit
                } else {
                    self.len()
                }
            }
        }
    }

    /// The end of a quoted token where a doubled quote stands for itself.
    fn plain_end(&self, from: usize, quote: u8) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let mut at = from;
        loop {
            at += bytes.get(at..)?.iter().position(|&b| b == quote)?;
            if bytes.get(at + 1) == Some(&quote) {
                at += 2;
            } else {
                return Some(at + 1);
            }
        }
    }

    /// The same, a backslash also escaping the byte after it (MySQL).
    fn escaped_end(&self, from: usize, quote: u8) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let mut at = from;
        while let Some(&byte) = bytes.get(at) {
            if byte == b'\\' {
                at += 2;
            } else if byte == quote {
                if bytes.get(at + 1) == Some(&quote) {
                    at += 2;
                } else {
                    return Some(at + 1);
                }
            } else {
                at += 1;
            }
        }
        None
    }

    /// `"..."` at `start`: a quoted name, or a string (MySQL's default).
    fn double_quoted(&self, start: usize) -> (Kind, usize) {
        let as_name = self.plain_end(start + 1, b'"').unwrap_or(self.len());
        let is_name = self.dialect.double_quoted_names.unwrap_or_else(|| {
            self.prev == Some(Kind::Dot)
                || (self.byte(as_name) == Some(b'.')
                    && !self.byte(as_name + 1).is_some_and(|b| b.is_ascii_digit()))
                || matches!(self.prev, Some(Kind::Word(keyword)) if keyword.names_next())
                || (matches!(self.prev, Some(Kind::Open | Kind::Comma)) && self.in_name_list())
                || (self.prev == Some(Kind::Comma) && continues_list(self.naming))
        });
        if is_name {
            (Kind::QuotedName, as_name)
        } else {
            let end = self.quoted_end(start + 1, b'"', self.dialect.backslash_escapes);
            (Kind::Literal, end)
        }
    }

    fn in_name_list(&self) -> bool {
        let level = self.depth.wrapping_sub(1);
        level < 64 && self.name_lists & (1 << level) != 0
    }

    /// `$1`, a dollar-quoted string `$tag$...$tag$`, or a lone `$`
    /// (PostgreSQL); in MySQL, `$` starts an identifier. Unknown, a
    /// dollar-quoted string whose body MySQL could read as a string or a
    /// comment hides the rest of the input.
    fn dollar(&self, start: usize) -> (Kind, usize) {
        if self.dialect.mysql_syntax == Some(true) {
            return self.word(start);
        }
        let bytes = self.src.as_bytes();
        let after = start + 1;
        if bytes.get(after).is_some_and(u8::is_ascii_digit) {
            return (Kind::Placeholder, digits_end(bytes, after));
        }
        let tag_end = bytes
            .get(after..)
            .unwrap_or_default()
            .iter()
            .position(|&b| !is_word_byte(b) || b == b'$')
            .map_or(self.len(), |at| after + at);
        if bytes.get(tag_end) != Some(&b'$') {
            return (Kind::Operator, after);
        }
        let body = tag_end + 1;
        let delimiter = self.src.get(start..body).unwrap_or_default();
        let close = self
            .src
            .get(body..)
            .and_then(|rest| rest.find(delimiter))
            .map(|at| body + at);
        let content = bytes
            .get(body..close.unwrap_or(self.len()))
            .unwrap_or_default();
        let end = close.map_or(self.len(), |close| close + delimiter.len());
        if self.dialect.mysql_syntax.is_none() && content.iter().any(|&b| OPENERS.contains(&b)) {
            return (Kind::Literal, self.len());
        }
        (Kind::Literal, end)
    }

    /// A word, or a literal it prefixes (`E'..'`, `X'..'`, `_utf8mb4'..'`).
    fn word(&self, start: usize) -> (Kind, usize) {
        let bytes = self.src.as_bytes();
        let end = bytes
            .get(start..)
            .unwrap_or_default()
            .iter()
            .position(|&b| !is_word_byte(b))
            .map_or(self.len(), |at| start + at);
        let word = bytes.get(start..end).unwrap_or_default();
        match (word, bytes.get(end), bytes.get(end + 1)) {
            (b"E" | b"e", Some(b'\''), _) => {
                // PostgreSQL's escape string; in MySQL, `E` then a string.
                let escapes = match self.dialect.mysql_syntax {
                    Some(false) => Some(true),
                    _ => self.dialect.backslash_escapes,
                };
                (Kind::Literal, self.quoted_end(end + 1, b'\'', escapes))
            }
            (b"N" | b"n" | b"X" | b"x" | b"B" | b"b", Some(b'\''), _) => {
                let escapes = self.dialect.backslash_escapes;
                (Kind::Literal, self.quoted_end(end + 1, b'\'', escapes))
            }
            ([b'_', ..], Some(b'\''), _) => {
                let escapes = self.dialect.backslash_escapes;
                (Kind::Literal, self.quoted_end(end + 1, b'\'', escapes))
            }
            (b"U" | b"u", Some(b'&'), Some(b'\'')) => {
                let escapes = self.dialect.backslash_escapes;
                (Kind::Literal, self.quoted_end(end + 2, b'\'', escapes))
            }
            (b"U" | b"u", Some(b'&'), Some(b'"')) => (
                Kind::QuotedName,
                self.plain_end(end + 2, b'"').unwrap_or(self.len()),
            ),
            _ => (Kind::Word(classify(word)), end),
        }
    }

    /// A number: digits, letters, dots, underscores, and a sign after an
    /// exponent. Whatever it holds (`0x1F`, `1e-5`, `1_000`, `12abc`), it
    /// is one literal.
    fn number(&self, start: usize) -> usize {
        let bytes = self.src.as_bytes();
        let hex =
            bytes.get(start) == Some(&b'0') && matches!(bytes.get(start + 1), Some(b'x' | b'X'));
        let mut at = start;
        while let Some(&byte) = bytes.get(at) {
            let exponent_sign = matches!(byte, b'+' | b'-')
                && !hex
                && at > start
                && matches!(bytes.get(at - 1), Some(b'e' | b'E'));
            if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.' || exponent_sign {
                at += 1;
            } else {
                break;
            }
        }
        at
    }

    /// `%s`, `%(name)s`, or a lone `%`.
    fn percent(&self, start: usize) -> (Kind, usize) {
        let bytes = self.src.as_bytes();
        match bytes.get(start + 1) {
            Some(b's') => (Kind::Placeholder, start + 2),
            Some(b'(') => {
                let name = start + 2;
                let close = bytes
                    .get(name..)
                    .unwrap_or_default()
                    .iter()
                    .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
                    .map_or(self.len(), |at| name + at);
                if bytes.get(close) == Some(&b')') && bytes.get(close + 1) == Some(&b's') {
                    (Kind::Placeholder, close + 2)
                } else {
                    (Kind::Operator, start + 1)
                }
            }
            _ => (Kind::Operator, start + 1),
        }
    }

    /// Remembers what the guess about `"quoted"` tokens needs.
    fn track(&mut self, kind: Kind) {
        let naming = self.naming.take();
        match kind {
            Kind::Word(keyword) if keyword.names_next() => self.naming = Some(keyword),
            Kind::Word(Keyword::None) | Kind::QuotedName | Kind::Dot => self.naming = naming,
            Kind::Comma if continues_list(naming) => self.naming = naming,
            Kind::Open => {
                let names_list = match self.prev {
                    Some(Kind::Word(keyword)) if keyword.opens_name_list() => true,
                    Some(Kind::Word(Keyword::None) | Kind::QuotedName) => matches!(
                        naming,
                        Some(
                            Keyword::Into
                                | Keyword::Table
                                | Keyword::Exists
                                | Keyword::On
                                | Keyword::Using
                                | Keyword::References
                                | Keyword::ObjectKind
                        )
                    ),
                    _ => false,
                };
                if self.depth < 64 {
                    let bit = 1u64 << self.depth;
                    if names_list {
                        self.name_lists |= bit;
                    } else {
                        self.name_lists &= !bit;
                    }
                }
                self.depth = self.depth.saturating_add(1);
            }
            Kind::Close => self.depth = self.depth.saturating_sub(1),
            Kind::Semicolon => self.depth = 0,
            _ => {}
        }
        self.prev = Some(kind);
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let spaced = self.skip_space();
        let start = self.pos;
        let byte = self.byte(start)?;
        let next = self.byte(start + 1);
        let (kind, end) = match byte {
            b'\'' => {
                let escapes = self.dialect.backslash_escapes;
                (Kind::Literal, self.quoted_end(start + 1, b'\'', escapes))
            }
            b'"' => self.double_quoted(start),
            b'`' => (
                Kind::QuotedName,
                self.plain_end(start + 1, b'`').unwrap_or(self.len()),
            ),
            b'$' => self.dollar(start),
            b'0'..=b'9' => (Kind::Literal, self.number(start)),
            b'.' if next.is_some_and(|b| b.is_ascii_digit()) => (Kind::Literal, self.number(start)),
            b'.' => (Kind::Dot, start + 1),
            b'(' => (Kind::Open, start + 1),
            b')' => (Kind::Close, start + 1),
            b',' => (Kind::Comma, start + 1),
            b';' => (Kind::Semicolon, start + 1),
            b'?' => (Kind::Placeholder, start + 1),
            b'%' => self.percent(start),
            b':' if next == Some(b':') => (Kind::Cast, start + 2),
            b'[' => (Kind::OpenBracket, start + 1),
            b']' => (Kind::CloseBracket, start + 1),
            _ if is_word_start(byte) => self.word(start),
            _ => (Kind::Operator, start + 1),
        };
        // Never short of a byte, never inside a character.
        let mut end = end.clamp(start + 1, self.len());
        while !self.src.is_char_boundary(end) {
            end += 1;
        }
        self.pos = end;
        self.track(kind);
        Some(Token {
            kind,
            start,
            end,
            spaced,
        })
    }
}

/// After `FROM a, `, `TRUNCATE a, `: another name.
fn continues_list(naming: Option<Keyword>) -> bool {
    matches!(
        naming,
        Some(Keyword::From | Keyword::Truncate | Keyword::Table)
    )
}

/// Bytes that open a string, a name or a comment in one dialect or the
/// other: code read one way and hidden the other must hold none, or the
/// two readings could part for good.
const OPENERS: &[u8] = b"'\"`$#/-";

fn is_space(byte: u8) -> bool {
    byte <= b' ' || byte == 0x7f
}

fn digits_end(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .position(|b| !b.is_ascii_digit())
        .map_or(bytes.len(), |at| from + at)
}

/// A byte that can start an unquoted identifier (any non-ASCII one too).
fn is_word_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

/// A byte that can continue an unquoted identifier.
fn is_word_byte(byte: u8) -> bool {
    is_word_start(byte) || byte.is_ascii_digit() || byte == b'$'
}
