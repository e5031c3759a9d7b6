//! Statements with secret literals, built from a stream of bytes (a seeded
//! generator in the tests, the fuzzer's input in `fuzz/fuzz_targets/sql.rs`):
//! the pieces are whole tokens, separated by whitespace, so that each
//! secret is inside a literal under the dialect's real reading. What is
//! checked: no secret comes out of the normalizer.

use std::fmt::Write as _;

/// The dialect the statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// PostgreSQL (`standard_conforming_strings` on: backslashes are
    /// plain characters in `'..'`).
    Postgresql,
    /// MySQL with the default `sql_mode`.
    Mysql,
    /// Either: PostgreSQL's and MySQL's strings mixed, no `".."` string.
    Either,
}

/// A generated statement and the secrets it hides in literals.
#[derive(Debug, Default)]
pub struct Generated {
    pub sql: String,
    pub secrets: Vec<String>,
}

/// Bytes to draw from; zeros once used up.
pub struct Entropy<'a> {
    bytes: &'a [u8],
}

impl<'a> Entropy<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((&byte, rest)) => {
                self.bytes = rest;
                byte
            }
            None => 0,
        }
    }

    fn pick<'s>(&mut self, choices: &[&'s str]) -> &'s str {
        let index = usize::from(self.byte()) % choices.len().max(1);
        choices.get(index).copied().unwrap_or_default()
    }

    fn exhausted(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Code around the literals: whole tokens and comments that hide nothing.
const CODE: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "INSERT INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "IN",
    "LIKE",
    "JOIN",
    "ON",
    "LIMIT",
    "t",
    "app_item",
    "x1",
    "t.col",
    "(",
    ")",
    ",",
    ";",
    "=",
    "<>",
    "+",
    "-",
    "*",
    "/",
    "||",
    "::",
    "::text",
    "$1",
    "?",
    "%s",
    "%(name)s",
    "`quoted`",
    "/* comment */",
    "-- comment\n",
    "NULL",
    "TRUE",
    "é",
    "U&",
    "IN (",
    "VALUES (",
    "# comment\n",
    "@",
    "\\",
    "E",
    "N",
    "_utf8mb4",
    "x",
];

const SPACE: &[&str] = &[" ", "  ", "\n", "\t", "\r\n"];

/// A statement of up to `pieces` pieces for `flavour`.
pub fn generate(entropy: &mut Entropy, flavour: Flavour, pieces: usize) -> Generated {
    let mut out = Generated::default();
    for _ in 0..pieces {
        if entropy.exhausted() {
            break;
        }
        match entropy.byte() % 3 {
            0 => literal(entropy, flavour, &mut out),
            _ => out.sql.push_str(entropy.pick(CODE)),
        }
        out.sql.push_str(entropy.pick(SPACE));
    }
    out
}

/// A secret: letters and digits found nowhere else.
fn secret(entropy: &mut Entropy, out: &mut Generated) -> String {
    let number = u32::from_le_bytes([entropy.byte(), entropy.byte(), entropy.byte(), 0]);
    let secret = format!("Qz{:07}", number % 10_000_000);
    out.secrets.push(secret.clone());
    secret
}

/// Digits only, for numbers.
fn secret_digits(entropy: &mut Entropy, out: &mut Generated) -> String {
    let number = u32::from_le_bytes([entropy.byte(), entropy.byte(), entropy.byte(), 0]);
    let secret = format!("{}", 1_000_000 + number % 8_000_000);
    out.secrets.push(secret.clone());
    secret
}

/// Characters around the secret inside a string, with the quote and the
/// escapes the flavour reads inside `quote`.
fn content(
    entropy: &mut Entropy,
    flavour: Flavour,
    quote: char,
    escapes: bool,
    out: &mut Generated,
) -> String {
    let mut text = String::new();
    let doubled = format!("{quote}{quote}");
    let escaped_quote = format!("\\{quote}");
    for _ in 0..usize::from(entropy.byte() % 4) + 1 {
        let piece = match entropy.byte() % 12 {
            0 => secret(entropy, out),
            1 => doubled.clone(),
            2 if escapes => escaped_quote.clone(),
            3 if escapes => "\\\\".to_owned(),
            4 if flavour == Flavour::Postgresql && !escapes => "\\".to_owned(),
            5 => "-- /* */ # $$ ; ".to_owned(),
            6 => "\"`'".chars().filter(|&c| c != quote).collect(),
            7 => "Zoë 🎉 \u{202e} \u{feff}".to_owned(),
            8 => format!("user.{}@example.com", secret(entropy, out)),
            9 => "\n\t".to_owned(),
            _ => format!(" {} ", secret(entropy, out)),
        };
        text.push_str(&piece);
    }
    text
}

fn literal(entropy: &mut Entropy, flavour: Flavour, out: &mut Generated) {
    // Under `Either`, a string is written as PostgreSQL or MySQL reads it.
    let mysql_strings = match flavour {
        Flavour::Postgresql => false,
        Flavour::Mysql => true,
        Flavour::Either => entropy.byte() & 1 == 0,
    };
    let string_flavour = if mysql_strings {
        Flavour::Mysql
    } else {
        Flavour::Postgresql
    };
    let postgresql = flavour != Flavour::Mysql;
    let sql_len = out.sql.len();
    match entropy.byte() % 10 {
        0 => {
            let digits = secret_digits(entropy, out);
            let shape = entropy.pick(&["{}", "{}.5", "0.{}", "{}e-3", "-{}", "{}E+10"]);
            out.sql.push_str(&shape.replace("{}", &digits));
        }
        1 => {
            let digits = secret_digits(entropy, out);
            let _ = write!(out.sql, "0x{digits}");
        }
        2 if postgresql => {
            let text = content(entropy, Flavour::Postgresql, '\'', true, out);
            let _ = write!(out.sql, "E'{text}'");
        }
        3 if postgresql => {
            let tag = entropy.pick(&["", "tag", "x_1"]);
            let body = content(entropy, Flavour::Postgresql, '\'', false, out).replace('$', "");
            let _ = write!(out.sql, "${tag}${body}${tag}$");
        }
        4 if flavour == Flavour::Mysql => {
            let text = content(entropy, Flavour::Mysql, '"', true, out);
            let _ = write!(out.sql, "\"{text}\"");
        }
        5 => {
            let prefix = entropy.pick(&["N", "_utf8mb4", "_binary", "X", "B"]);
            let text = content(entropy, string_flavour, '\'', mysql_strings, out);
            let _ = write!(out.sql, "{prefix}'{text}'");
        }
        _ => {
            let text = content(entropy, string_flavour, '\'', mysql_strings, out);
            let _ = write!(out.sql, "'{text}'");
        }
    }
    if out.sql.len() == sql_len {
        out.sql.push_str("'-'");
    }
}
