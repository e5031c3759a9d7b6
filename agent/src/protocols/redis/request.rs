//! Commands from the client's tokens: an array of bulk strings, or an
//! inline line. Only the first words are kept (the name, and what may be a
//! subcommand or a protocol version); they never leave the parser.

use super::{
    super::segments::Stamp,
    commands::MAX_NAME,
    tokens::{parse_int, Kind, Token},
};

/// Words kept of a command.
const WORDS: usize = 3;

/// A command as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Request {
    /// Its first words, each cut to 32 bytes.
    pub words: Vec<Vec<u8>>,
    /// Whether the name was captured whole.
    pub name_whole: bool,
    /// How many arguments it has, the name included.
    pub args: u64,
    /// The chunks carrying its first and last byte.
    pub first: Stamp,
    pub last: Stamp,
}

impl Request {
    pub fn word(&self, index: usize) -> Option<&[u8]> {
        self.words.get(index).map(Vec::as_slice)
    }
}

/// What a token made of the command being read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Read {
    More,
    Done(Request),
    /// Not a command: the client broke the protocol (Redis answers with an
    /// error and closes).
    Malformed,
}

/// The command being read.
#[derive(Debug, Default)]
pub(super) struct RequestBuilder {
    building: Option<Building>,
}

#[derive(Debug)]
struct Building {
    left: u64,
    request: Request,
}

impl RequestBuilder {
    pub fn reset(&mut self) {
        self.building = None;
    }

    /// Whether a command was being read.
    pub fn in_progress(&self) -> bool {
        self.building.is_some()
    }

    pub fn token(&mut self, token: &Token<'_>) -> Read {
        match (&mut self.building, token.kind) {
            (None, Kind::Line(b'*')) => match parse_int(token.text) {
                // No command: Redis reads the next one.
                Some(count) if count <= 0 => Read::More,
                Some(count) => {
                    self.building = Some(Building {
                        left: count as u64,
                        request: Request {
                            words: Vec::new(),
                            name_whole: false,
                            args: count as u64,
                            first: token.first,
                            last: token.last,
                        },
                    });
                    Read::More
                }
                None => Read::Malformed,
            },
            (None, Kind::Inline) => {
                let words: Vec<Vec<u8>> = token
                    .text
                    .split(u8::is_ascii_whitespace)
                    .filter(|word| !word.is_empty())
                    .map(|word| word.get(..MAX_NAME).unwrap_or(word).to_vec())
                    .collect();
                if words.is_empty() {
                    return Read::More;
                }
                let args = words.len() as u64;
                Read::Done(Request {
                    name_whole: token.whole || words.len() > 1,
                    words: words.into_iter().take(WORDS).collect(),
                    args,
                    first: token.first,
                    last: token.last,
                })
            }
            (Some(building), Kind::Blob(b'$', Some(_))) => {
                let request = &mut building.request;
                if request.words.len() < WORDS {
                    let text = token.text.get(..MAX_NAME).unwrap_or(token.text);
                    if request.words.is_empty() {
                        request.name_whole = token.whole;
                    }
                    request.words.push(text.to_vec());
                }
                request.last = token.last;
                building.left -= 1;
                if building.left > 0 {
                    return Read::More;
                }
                match self.building.take() {
                    Some(building) => Read::Done(building.request),
                    None => Read::More,
                }
            }
            _ => {
                self.building = None;
                Read::Malformed
            }
        }
    }
}
