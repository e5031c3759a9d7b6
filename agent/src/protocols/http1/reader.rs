//! One direction of a connection: a sequence of messages (head, then body)
//! read from chunks, with the resynchronisation rules of `resync.rs`.
//!
//! The reader knows framing, not pairing: it reports heads, body progress,
//! ends and failures to a [`Sink`], which decides (for a response, from the
//! request it pairs it with) how the body is framed.

use super::{
    super::segments::{segments, Segment, Stamp},
    body::{self, BodyReader},
    framing::Framing,
    head::{self, Head, Kind, Parsed},
    resync,
    types::Chunk,
};

/// Head bytes buffered at most. Heads are a few hundred bytes; one larger
/// than this (or than what the kernel captured) is given up on.
pub(super) const MAX_HEAD: usize = 16 * 1024;

/// What a reader reports, in stream order.
pub(super) trait Sink {
    /// A head is complete: `first` carried its first byte, `last` its last.
    /// Returns how the message's body is framed.
    fn head(&mut self, head: Head, first: Stamp, last: Stamp) -> Framing;
    /// The current message's body reached `body_bytes`, the latest in `last`.
    fn progress(&mut self, body_bytes: u64, last: Stamp);
    /// The current message ended in `last`.
    fn end(&mut self, last: Stamp, body_bytes: u64);
    /// The current message's body stopped making sense.
    fn abandoned(&mut self);
    /// A message whose head could not be read (garbage, too large, not
    /// captured) began in `first`.
    fn unreadable(&mut self, first: Stamp);
    /// Bytes ignored while out of sync.
    fn skipped(&mut self, bytes: u64);
}

/// A direction's reader.
#[derive(Debug)]
pub(super) struct MessageReader {
    kind: Kind,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Between messages or inside a head.
    Head(HeadBuffer),
    Body(Body),
    /// Out of sync: waiting for a chunk that starts with a message.
    Lost,
    /// Not HTTP/1.x any more: everything is skipped.
    Tunnel,
}

/// A head being read.
#[derive(Debug, Default)]
struct HeadBuffer {
    bytes: Vec<u8>,
    /// The chunk that carried the first byte; None while empty.
    first: Option<Stamp>,
    /// Whether the start line is complete.
    has_line: bool,
}

/// A body being read.
#[derive(Debug)]
struct Body {
    reader: BodyReader,
    bytes: u64,
    /// The chunk that carried the latest byte of the message.
    last: Stamp,
    /// The request announced `Expect: 100-continue`.
    expect_continue: bool,
}

/// What became of bytes given to a head.
enum Pushed {
    /// All consumed; the head goes on.
    Partial,
    /// The head, whose first byte came in `first`, ended after this many
    /// of the bytes.
    Complete {
        head: Head,
        first: Stamp,
        used: usize,
    },
    /// Not a head: it began in `first`, and `discarded` bytes of it were
    /// buffered before these.
    Invalid { first: Stamp, discarded: usize },
}

impl MessageReader {
    pub fn new(kind: Kind) -> Self {
        Self {
            kind,
            state: State::Head(HeadBuffer::default()),
        }
    }

    /// Back to the start of a message, as on a fresh connection.
    pub fn reset(&mut self) {
        self.state = State::Head(HeadBuffer::default());
    }

    /// Stops reading: the connection speaks another protocol now.
    pub fn enter_tunnel(&mut self) {
        self.state = State::Tunnel;
    }

    pub fn feed(&mut self, chunk: &Chunk<'_>, sink: &mut impl Sink) {
        let stamp = Stamp::of(chunk);
        self.chunk_start(chunk.data, sink);
        for segment in segments(chunk) {
            match segment {
                Segment::Bytes { bytes, payload_end } => {
                    self.bytes(bytes, payload_end, stamp, sink);
                }
                Segment::Gap(len) => self.gap(len, stamp, sink),
            }
        }
    }

    /// The connection closed: a body delimited by the close ends at
    /// `closed_ns`. Returns whether one did.
    pub fn close(&mut self, closed_ns: u64, sink: &mut impl Sink) -> bool {
        let State::Body(body) = &self.state else {
            return false;
        };
        if !body.reader.until_close() {
            return false;
        }
        let last = Stamp {
            ns: closed_ns.max(body.last.ns),
            tid: body.last.tid,
        };
        sink.end(last, body.bytes);
        self.reset();
        true
    }

    /// A chunk starting with a message ends what cannot be going on any
    /// more: being lost, a broken head, a body whose end is guessed, or a
    /// body the client never sent after `Expect: 100-continue`.
    fn chunk_start(&mut self, data: &[u8], sink: &mut impl Sink) {
        let restart = match &self.state {
            State::Lost => true,
            // A start line where the head's fields should be: the buffered
            // head was broken off.
            State::Head(head) if head.has_line => true,
            State::Body(body) => {
                body.reader.framing_lost() || (body.expect_continue && body.bytes == 0)
            }
            State::Head(_) | State::Tunnel => false,
        };
        if !restart || !resync::starts_message(self.kind, data) {
            return;
        }
        match &self.state {
            State::Head(head) => {
                if let Some(first) = head.first {
                    sink.unreadable(first);
                    sink.skipped(head.bytes.len() as u64);
                }
            }
            State::Body(body) => sink.end(body.last, body.bytes),
            State::Lost | State::Tunnel => {}
        }
        self.reset();
    }

    fn bytes(&mut self, mut bytes: &[u8], payload_end: bool, stamp: Stamp, sink: &mut impl Sink) {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Lost | State::Tunnel => {
                    sink.skipped(bytes.len() as u64);
                    return;
                }
                State::Head(head) => match head.push(self.kind, bytes, stamp) {
                    Pushed::Partial => return,
                    Pushed::Complete { head, first, used } => {
                        bytes = &bytes[used..];
                        self.start_body(head, first, stamp, sink);
                    }
                    Pushed::Invalid { first, discarded } => {
                        sink.unreadable(first);
                        self.state = State::Lost;
                        sink.skipped((discarded + bytes.len()) as u64);
                        return;
                    }
                },
                State::Body(body) => match body.reader.bytes(bytes, payload_end, self.kind) {
                    body::Step::More => {
                        body.bytes = body.bytes.saturating_add(bytes.len() as u64);
                        body.last = stamp;
                        sink.progress(body.bytes, stamp);
                        return;
                    }
                    body::Step::Done(used) => {
                        if used > 0 {
                            body.bytes = body.bytes.saturating_add(used);
                            body.last = stamp;
                        }
                        sink.end(body.last, body.bytes);
                        self.reset();
                        bytes = &bytes[used as usize..];
                    }
                    body::Step::Invalid => {
                        sink.abandoned();
                        self.state = State::Lost;
                        sink.skipped(bytes.len() as u64);
                        return;
                    }
                },
            }
        }
    }

    fn gap(&mut self, len: u64, stamp: Stamp, sink: &mut impl Sink) {
        match &mut self.state {
            State::Lost | State::Tunnel => sink.skipped(len),
            // Part of a head, or a whole message, went uncaptured.
            State::Head(head) => {
                sink.unreadable(head.first.unwrap_or(stamp));
                sink.skipped((head.bytes.len() as u64).saturating_add(len));
                self.state = State::Lost;
            }
            State::Body(body) => match body.reader.gap(len) {
                body::Step::More => {
                    body.bytes = body.bytes.saturating_add(len);
                    body.last = stamp;
                    sink.progress(body.bytes, stamp);
                }
                body::Step::Done(used) => {
                    body.bytes = body.bytes.saturating_add(used);
                    body.last = stamp;
                    sink.end(stamp, body.bytes);
                    self.reset();
                    if len > used {
                        self.gap(len - used, stamp, sink);
                    }
                }
                body::Step::Invalid => {
                    sink.abandoned();
                    self.state = State::Lost;
                    sink.skipped(len);
                }
            },
        }
    }

    /// After a head that ended in `last`: its body, or the next message.
    fn start_body(&mut self, head: Head, first: Stamp, last: Stamp, sink: &mut impl Sink) {
        let expect_continue = match &head {
            Head::Request { body, .. } => body.expect_continue,
            Head::Response { .. } => false,
        };
        let framing = sink.head(head, first, last);
        self.state = match framing {
            Framing::None => {
                sink.end(last, 0);
                State::Head(HeadBuffer::default())
            }
            Framing::Interim => State::Head(HeadBuffer::default()),
            Framing::Tunnel => {
                sink.end(last, 0);
                State::Tunnel
            }
            // The sink accounted for the message.
            Framing::Invalid => State::Lost,
            Framing::Length(_) | Framing::Chunked | Framing::UntilClose => {
                match BodyReader::new(framing) {
                    Some(reader) => State::Body(Body {
                        reader,
                        bytes: 0,
                        last,
                        expect_continue,
                    }),
                    None => State::Lost,
                }
            }
        };
    }
}

impl HeadBuffer {
    /// Adds bytes to the head and reads it when it may be complete.
    fn push(&mut self, kind: Kind, bytes: &[u8], stamp: Stamp) -> Pushed {
        // Blank lines before a message are ignored (RFC 9112 §2.2); skip
        // them here so the message's first byte is a real one.
        let skipped = if self.bytes.is_empty() {
            bytes
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count()
        } else {
            0
        };
        let bytes = &bytes[skipped..];
        if bytes.is_empty() {
            return Pushed::Partial;
        }
        let first = *self.first.get_or_insert(stamp);
        let before = self.bytes.len();
        let taken = bytes.len().min(MAX_HEAD - before);
        let bytes = &bytes[..taken];
        if before == 0 {
            // Most heads come whole in one chunk: read them in place.
            match head::parse(kind, bytes) {
                Parsed::Complete { head, len } => {
                    *self = Self::default();
                    return Pushed::Complete {
                        head,
                        first,
                        used: skipped + len,
                    };
                }
                Parsed::Partial => {}
                Parsed::Invalid => {
                    *self = Self::default();
                    return Pushed::Invalid {
                        first,
                        discarded: 0,
                    };
                }
            }
        }
        self.bytes.extend_from_slice(bytes);
        let line_done = !self.has_line && bytes.contains(&b'\n');
        self.has_line |= line_done;
        // Reading the head again is skipped unless something was learnt:
        // the start line is checked once complete (garbage is seen early),
        // the rest when a blank line may have ended the head. This keeps a
        // head arriving a byte at a time linear.
        let check = before > 0 && (line_done || may_end_head(&self.bytes, before));
        if check {
            match head::parse(kind, &self.bytes) {
                Parsed::Complete { head, len } => {
                    *self = Self::default();
                    return Pushed::Complete {
                        head,
                        first,
                        // The head ends in these bytes: it did not before.
                        used: skipped + len.saturating_sub(before).min(taken),
                    };
                }
                Parsed::Partial => {}
                Parsed::Invalid => {
                    *self = Self::default();
                    return Pushed::Invalid {
                        first,
                        discarded: before,
                    };
                }
            }
        }
        if self.bytes.len() >= MAX_HEAD {
            *self = Self::default();
            return Pushed::Invalid {
                first,
                discarded: before,
            };
        }
        Pushed::Partial
    }
}

/// Whether the bytes from `from` on may complete an empty line.
fn may_end_head(bytes: &[u8], from: usize) -> bool {
    let window = &bytes[from.saturating_sub(3)..];
    window.windows(2).any(|pair| pair == b"\n\n") || window.windows(3).any(|w| w == b"\n\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what the reader reports, with a fixed framing choice for
    /// responses' requests.
    #[derive(Default)]
    struct Log {
        lines: Vec<String>,
        skipped: u64,
    }

    impl Sink for Log {
        fn head(&mut self, head: Head, first: Stamp, last: Stamp) -> Framing {
            let (label, framing) = match &head {
                Head::Request { head, body } => (
                    format!("{} {}", head.method, head.target),
                    super::super::framing::request(body),
                ),
                Head::Response { status, body } => (
                    status.to_string(),
                    super::super::framing::response(*status, body, Some("GET")),
                ),
            };
            self.lines
                .push(format!("head {label} {}..{}", first.ns, last.ns));
            framing
        }
        fn progress(&mut self, _: u64, _: Stamp) {}
        fn end(&mut self, last: Stamp, body_bytes: u64) {
            self.lines.push(format!("end {} {body_bytes}", last.ns));
        }
        fn abandoned(&mut self) {
            self.lines.push("abandoned".into());
        }
        fn unreadable(&mut self, first: Stamp) {
            self.lines.push(format!("unreadable {}", first.ns));
        }
        fn skipped(&mut self, bytes: u64) {
            self.skipped += bytes;
        }
    }

    fn chunk(data: &[u8], ns: u64) -> Chunk<'_> {
        Chunk {
            data,
            total_len: data.len(),
            tail: b"",
            timestamp_ns: ns,
            tid: 1,
        }
    }

    fn run(kind: Kind, chunks: &[Chunk<'_>]) -> Log {
        let mut reader = MessageReader::new(kind);
        let mut log = Log::default();
        for chunk in chunks {
            reader.feed(chunk, &mut log);
        }
        log
    }

    #[test]
    fn a_head_a_byte_at_a_time() {
        let request =
            b"\r\nPOST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /y HTTP/1.1\r\n\r\n";
        let chunks: Vec<_> = request
            .iter()
            .enumerate()
            .map(|(i, b)| chunk(std::slice::from_ref(b), i as u64))
            .collect();
        let log = run(Kind::Request, &chunks);
        assert_eq!(
            log.lines,
            [
                "head POST /x 2..40",
                "end 43 3",
                "head GET /y 44..62",
                "end 62 0"
            ]
        );
    }

    #[test]
    fn garbage_then_resync_at_a_chunk_start() {
        let log = run(
            Kind::Request,
            &[
                chunk(b"\x16\x03\x01garbage", 1),
                chunk(b"more GET / HTTP/1.1\r\n\r\n", 2),
                chunk(b"GET /ok HTTP/1.1\r\n\r\n", 3),
            ],
        );
        assert_eq!(log.lines, ["unreadable 1", "head GET /ok 3..3", "end 3 0"]);
        assert_eq!(log.skipped, 10 + 23);
    }

    #[test]
    fn a_broken_off_head_is_unreadable() {
        let log = run(
            Kind::Request,
            &[
                chunk(b"GET /a HTTP/1.1\r\nHost: x", 1),
                chunk(b"GET /b HTTP/1.1\r\n\r\n", 2),
            ],
        );
        assert_eq!(log.lines, ["unreadable 1", "head GET /b 2..2", "end 2 0"]);
    }

    #[test]
    fn an_oversized_head_is_unreadable() {
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        while head.len() <= MAX_HEAD {
            head.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        head.extend_from_slice(b"\r\n");
        let chunks: Vec<_> = head.chunks(4096).map(|piece| chunk(piece, 1)).collect();
        let log = run(Kind::Request, &chunks);
        assert_eq!(log.lines, ["unreadable 1"]);
    }

    #[test]
    fn an_uncaptured_head_is_unreadable() {
        let head = b"GET / HTTP/1.1\r\nCookie: aaaa";
        let log = run(
            Kind::Request,
            &[
                Chunk {
                    data: head,
                    total_len: 10_000_000,
                    tail: b"aaa\r\n\r\n",
                    timestamp_ns: 1,
                    tid: 1,
                },
                chunk(b"aaaaaaaaaaaaaaaaaaaaaa", 2),
                chunk(b"GET /next HTTP/1.1\r\n\r\n", 3),
            ],
        );
        assert_eq!(
            log.lines,
            ["unreadable 1", "head GET /next 3..3", "end 3 0"]
        );
    }

    #[test]
    fn a_gap_ends_a_content_length_body() {
        let log = run(
            Kind::Request,
            &[
                Chunk {
                    data: b"POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\nabc",
                    total_len: 1_000 + 41,
                    tail: b"xyz",
                    timestamp_ns: 1,
                    tid: 1,
                },
                chunk(b"GET / HTTP/1.1\r\n\r\n", 2),
            ],
        );
        assert_eq!(
            log.lines,
            [
                "head POST / 1..1",
                "end 1 1000",
                "head GET / 2..2",
                "end 2 0"
            ]
        );
    }

    #[test]
    fn broken_chunked_framing_is_abandoned() {
        let log = run(
            Kind::Response,
            &[chunk(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                1,
            )],
        );
        assert_eq!(log.lines, ["head 200 1..1", "abandoned"]);
    }

    #[test]
    fn a_body_until_close_ends_at_close() {
        let mut reader = MessageReader::new(Kind::Response);
        let mut log = Log::default();
        reader.feed(&chunk(b"HTTP/1.0 200 OK\r\n\r\nabc", 1), &mut log);
        reader.feed(&chunk(b"HTTP/1.1 200 OK\r\n\r\n", 2), &mut log);
        assert!(reader.close(5, &mut log));
        assert_eq!(log.lines, ["head 200 1..1", "end 5 22"]);
        assert!(!reader.close(6, &mut log));
    }

    #[test]
    fn tunnels_skip_everything() {
        let log = run(
            Kind::Response,
            &[
                chunk(b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x05hello", 1),
                chunk(b"HTTP/1.1 200 OK\r\n\r\n", 2),
            ],
        );
        assert_eq!(log.lines, ["head 101 1..1", "end 1 0"]);
        assert_eq!(log.skipped, 7 + 19);
    }
}
