//! Skipping a message body by its framing, over captured bytes and gaps.
//!
//! Bodies are never kept: a `Content-Length` body is counted off (a gap is
//! as good as bytes), a chunked one is followed through its chunk sizes, and
//! one delimited by the close swallows everything.

use super::{
    chunked::{self, ChunkedReader},
    framing::Framing,
    head::Kind,
};

/// Progress through one body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum BodyReader {
    /// Bytes still to come.
    Length(u64),
    Chunked(ChunkedReader),
    UntilClose,
}

/// What became of bytes or a gap given to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// All consumed; the body goes on.
    More,
    /// The body ended after this many of them; the rest is the next message.
    Done(u64),
    /// The body's framing is broken.
    Invalid,
}

impl BodyReader {
    /// The reader for a framing with a body; None for the others.
    pub fn new(framing: Framing) -> Option<Self> {
        match framing {
            Framing::Length(length) => Some(Self::Length(length)),
            Framing::Chunked => Some(Self::Chunked(ChunkedReader::new())),
            Framing::UntilClose => Some(Self::UntilClose),
            Framing::None | Framing::Interim | Framing::Tunnel | Framing::Invalid => None,
        }
    }

    /// Whether the body's end is being guessed (chunk framing lost): then a
    /// chunk that starts a new message ends it.
    pub fn framing_lost(&self) -> bool {
        matches!(self, Self::Chunked(chunked) if chunked.framing_lost())
    }

    /// Whether the body lasts until the connection closes.
    pub fn until_close(&self) -> bool {
        matches!(self, Self::UntilClose)
    }

    /// Reads captured bytes; `payload_end`: they end a syscall's payload.
    pub fn bytes(&mut self, bytes: &[u8], payload_end: bool, kind: Kind) -> Step {
        match self {
            Self::Length(remaining) => count_off(remaining, bytes.len() as u64),
            Self::Chunked(chunked) => match chunked.bytes(bytes, payload_end, kind) {
                chunked::Step::More => Step::More,
                chunked::Step::Done(used) => Step::Done(used as u64),
                chunked::Step::Invalid => Step::Invalid,
            },
            Self::UntilClose => Step::More,
        }
    }

    /// Counts off `len` uncaptured bytes.
    pub fn gap(&mut self, len: u64) -> Step {
        match self {
            Self::Length(remaining) => count_off(remaining, len),
            Self::Chunked(chunked) => {
                chunked.gap(len);
                Step::More
            }
            Self::UntilClose => Step::More,
        }
    }
}

fn count_off(remaining: &mut u64, len: u64) -> Step {
    if len < *remaining {
        *remaining -= len;
        Step::More
    } else {
        let used = *remaining;
        *remaining = 0;
        Step::Done(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_counts_bytes_and_gaps() {
        let mut body = BodyReader::new(Framing::Length(10)).unwrap();
        assert_eq!(body.bytes(b"abc", false, Kind::Request), Step::More);
        assert_eq!(body.gap(5), Step::More);
        assert_eq!(body.bytes(b"xyNEXT", true, Kind::Request), Step::Done(2));
        let mut body = BodyReader::new(Framing::Length(10)).unwrap();
        assert_eq!(body.gap(1000), Step::Done(10));
    }

    #[test]
    fn until_close_never_ends() {
        let mut body = BodyReader::new(Framing::UntilClose).unwrap();
        assert!(body.until_close());
        assert_eq!(
            body.bytes(b"HTTP/1.1 200 OK\r\n\r\n", true, Kind::Response),
            Step::More
        );
        assert_eq!(body.gap(u64::MAX), Step::More);
    }

    #[test]
    fn framings_without_a_body_have_no_reader() {
        for framing in [
            Framing::None,
            Framing::Interim,
            Framing::Tunnel,
            Framing::Invalid,
        ] {
            assert_eq!(BodyReader::new(framing), None);
        }
    }

    #[test]
    fn chunked_bodies_report_lost_framing() {
        let mut body = BodyReader::new(Framing::Chunked).unwrap();
        assert!(!body.framing_lost());
        assert_eq!(body.bytes(b"3\r\nab", false, Kind::Response), Step::More);
        assert_eq!(body.gap(50), Step::More);
        assert!(body.framing_lost());
        assert_eq!(
            body.bytes(b"\r\n0\r\n\r\n", true, Kind::Response),
            Step::Done(7)
        );
    }
}
