//! The chunked transfer coding (RFC 9112 §7.1), read from captured bytes and
//! gaps.
//!
//! Chunk sizes are parsed while they are captured, so a gap inside a chunk's
//! data costs nothing: it is counted off. A gap that runs past a chunk's
//! data hides the next size line, and the framing is lost; the reader then
//! looks for the body's end with the terminator heuristic of `resync.rs`.

use httparse::{Status, EMPTY_HEADER};

use super::{head::Kind, resync};

/// A chunk-size line longer than this is not one (extensions are small).
const MAX_SIZE_LINE: usize = 1024;
/// A trailer section longer than this is not one.
const MAX_TRAILERS_LEN: usize = 16 * 1024;
/// Trailer fields accepted.
const MAX_TRAILERS: usize = 64;
/// Bytes kept, once the framing is lost, to find a terminator split across
/// chunks.
const LOST_WINDOW: usize = 256;

/// Progress through one chunked body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ChunkedReader {
    state: State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line (what was read of it so far).
    Size(Vec<u8>),
    /// Inside a chunk's data.
    Data(u64),
    /// After a chunk's data: its `\r\n` (`true` once the `\r` was read).
    DataEnd(bool),
    /// After the last chunk: the trailer section, up to its empty line.
    Trailers(Vec<u8>),
    /// Framing lost: the last contiguous captured bytes, searched for the
    /// terminator. `region_start`: the window starts right after a gap.
    Lost { window: Vec<u8>, region_start: bool },
}

/// What became of the bytes given to [`ChunkedReader::bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// All consumed; the body goes on.
    More,
    /// The body ended after this many of them.
    Done(usize),
    /// Not chunked coding.
    Invalid,
}

impl ChunkedReader {
    pub fn new() -> Self {
        Self {
            state: State::Size(Vec::new()),
        }
    }

    /// Whether the framing was lost to a gap (the body's end is guessed).
    pub fn framing_lost(&self) -> bool {
        matches!(self.state, State::Lost { .. })
    }

    /// Reads captured bytes. `payload_end`: they end a syscall's payload.
    pub fn bytes(&mut self, bytes: &[u8], payload_end: bool, kind: Kind) -> Step {
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            match &mut self.state {
                State::Size(line) => {
                    let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
                        if line.len() + rest.len() > MAX_SIZE_LINE {
                            return Step::Invalid;
                        }
                        line.extend_from_slice(rest);
                        return Step::More;
                    };
                    if line.len() + newline + 1 > MAX_SIZE_LINE {
                        return Step::Invalid;
                    }
                    line.extend_from_slice(&rest[..=newline]);
                    at += newline + 1;
                    // httparse takes a line without digits for size 0.
                    if !line.first().is_some_and(u8::is_ascii_hexdigit) {
                        return Step::Invalid;
                    }
                    self.state = match httparse::parse_chunk_size(line) {
                        Ok(Status::Complete((_, 0))) => State::Trailers(Vec::new()),
                        Ok(Status::Complete((_, size))) => State::Data(size),
                        _ => return Step::Invalid,
                    };
                }
                State::Data(remaining) => {
                    let taken = (*remaining).min(rest.len() as u64);
                    *remaining -= taken;
                    at += taken as usize;
                    if *remaining == 0 {
                        self.state = State::DataEnd(false);
                    }
                }
                State::DataEnd(seen_cr) => match (*seen_cr, rest[0]) {
                    (false, b'\r') => {
                        *seen_cr = true;
                        at += 1;
                    }
                    (true, b'\n') => {
                        at += 1;
                        self.state = State::Size(Vec::new());
                    }
                    _ => return Step::Invalid,
                },
                State::Trailers(section) => {
                    let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
                        if section.len() + rest.len() > MAX_TRAILERS_LEN {
                            return Step::Invalid;
                        }
                        section.extend_from_slice(rest);
                        return Step::More;
                    };
                    if section.len() + newline + 1 > MAX_TRAILERS_LEN {
                        return Step::Invalid;
                    }
                    section.extend_from_slice(&rest[..=newline]);
                    at += newline + 1;
                    let mut fields = [EMPTY_HEADER; MAX_TRAILERS];
                    match httparse::parse_headers(section, &mut fields) {
                        Ok(Status::Complete(_)) => return Step::Done(at),
                        Ok(Status::Partial) => {}
                        Err(_) => return Step::Invalid,
                    }
                }
                State::Lost {
                    window,
                    region_start,
                } => {
                    let from = window.len();
                    window.extend_from_slice(rest);
                    if let Some(end) =
                        resync::chunked_terminator(kind, window, from, *region_start, payload_end)
                    {
                        return Step::Done(at + (end - from));
                    }
                    if window.len() > LOST_WINDOW {
                        window.drain(..window.len() - LOST_WINDOW);
                        *region_start = false;
                    }
                    return Step::More;
                }
            }
        }
        Step::More
    }

    /// Counts off `len` uncaptured bytes; they never end the body (the
    /// terminator must be seen).
    pub fn gap(&mut self, len: u64) {
        self.state = match self.state {
            State::Data(remaining) if len < remaining => State::Data(remaining - len),
            State::Data(remaining) if len == remaining => State::DataEnd(false),
            _ => State::Lost {
                window: Vec::new(),
                region_start: true,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `body` in pieces of `step` bytes; the body's end, if found.
    fn read(body: &[u8], step: usize) -> Result<Option<usize>, ()> {
        let mut reader = ChunkedReader::new();
        let mut at = 0;
        for piece in body.chunks(step) {
            match reader.bytes(piece, true, Kind::Response) {
                Step::More => at += piece.len(),
                Step::Done(used) => return Ok(Some(at + used)),
                Step::Invalid => return Err(()),
            }
        }
        Ok(None)
    }

    #[test]
    fn bodies_end_at_the_terminator_however_split() {
        let body = b"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\nNEXT";
        let with_trailers = b"3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\nNEXT";
        for step in 1..=body.len() {
            assert_eq!(read(body, step), Ok(Some(body.len() - 4)), "{step}");
            assert_eq!(
                read(with_trailers, step),
                Ok(Some(with_trailers.len() - 4)),
                "{step}"
            );
        }
        assert_eq!(read(b"5\r\nhel", 2), Ok(None));
    }

    #[test]
    fn broken_framing_is_invalid() {
        assert_eq!(read(b"x\r\n", 3), Err(()));
        assert_eq!(read(b"\r\n", 3), Err(()));
        assert_eq!(read(b"5\r\nhelloXX", 3), Err(()));
        assert_eq!(read(b"5\n", 3), Err(()));
        assert_eq!(read(b"11111111111111111\r\n", 3), Err(()));
        assert_eq!(read(&[b'1'; MAX_SIZE_LINE + 1], 7), Err(()));
        assert_eq!(read(b"0\r\nno colon\r\n\r\n", 3), Err(()));
    }

    #[test]
    fn a_gap_inside_chunk_data_keeps_the_framing() {
        let mut reader = ChunkedReader::new();
        assert_eq!(
            reader.bytes(b"10\r\nabc", false, Kind::Response),
            Step::More
        );
        reader.gap(10);
        assert!(!reader.framing_lost());
        assert_eq!(
            reader.bytes(b"xyz\r\n0\r\n\r\n", true, Kind::Response),
            Step::Done(10)
        );
        // Ending exactly at the chunk's end.
        let mut reader = ChunkedReader::new();
        reader.bytes(b"4\r\n", false, Kind::Response);
        reader.gap(4);
        assert_eq!(
            reader.bytes(b"\r\n0\r\n\r\n", true, Kind::Response),
            Step::Done(7)
        );
    }

    #[test]
    fn a_gap_past_chunk_data_loses_the_framing() {
        let mut reader = ChunkedReader::new();
        reader.bytes(b"4\r\nab", false, Kind::Response);
        reader.gap(100);
        assert!(reader.framing_lost());
        // The terminator in the captured tail ends the body.
        assert_eq!(
            reader.bytes(b"xx\r\n0\r\n\r\n", true, Kind::Response),
            Step::Done(9)
        );
        // Split across two chunks, the second fully captured.
        let mut reader = ChunkedReader::new();
        reader.gap(100);
        assert_eq!(reader.bytes(b"xx\r\n0\r", true, Kind::Response), Step::More);
        assert_eq!(reader.bytes(b"\n\r\n", true, Kind::Response), Step::Done(3));
        // Not ending the payload, not followed by a message: not the end.
        let mut reader = ChunkedReader::new();
        reader.gap(1);
        assert_eq!(
            reader.bytes(b"x\r\n0\r\n\r\n", false, Kind::Response),
            Step::More
        );
        assert_eq!(
            reader.bytes(b"\r\n0\r\n\r\nzz", true, Kind::Response),
            Step::More
        );
    }

    #[test]
    fn the_lost_window_is_bounded() {
        let mut reader = ChunkedReader::new();
        reader.gap(1);
        for _ in 0..100 {
            assert_eq!(
                reader.bytes(&[b'z'; 4096], true, Kind::Response),
                Step::More
            );
        }
        let State::Lost { window, .. } = &reader.state else {
            panic!("not lost");
        };
        assert!(window.len() <= LOST_WINDOW);
    }
}
