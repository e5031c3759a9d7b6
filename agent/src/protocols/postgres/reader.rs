//! One direction of a connection cut into messages: a type byte (none for
//! the untyped packets a client starts with) and a length that counts
//! itself, then the body.
//!
//! Bodies are skipped by their length — through bytes the kernel did not
//! capture too — and kept (up to [`MAX_KEPT`] bytes) only for the messages
//! the parser reads. When a header falls in uncaptured bytes or makes no
//! sense, the reader is lost and finds its way back by the rules of
//! `resync.rs`.

use std::mem;

use super::super::chunk::Chunk;
use super::{
    super::segments::{segments, Segment, Stamp},
    classify,
    messages::{
        be_u32, fixed_len, frontend, is_backend_tag, is_frontend_tag, MAX_MESSAGE_LEN,
        MAX_STARTUP_LEN,
    },
    resync,
};

/// Body bytes kept of a message the parser reads (a query's text, a
/// CommandComplete tag, an ErrorResponse's fields...). Longer bodies are
/// read from their first bytes: the capture keeps 4 KiB of a syscall anyway.
pub(super) const MAX_KEPT: usize = 16 * 1024;

/// A message read from the stream.
#[derive(Debug, Clone, Copy)]
pub(super) struct Message<'a> {
    /// The type byte; 0 for an untyped startup packet (whose body starts
    /// with its 4-byte code).
    pub tag: u8,
    /// The body as kept: empty for messages the parser does not read; its
    /// first bytes only when the rest was not captured or is over the cap
    /// (the decoders in `messages.rs` read what there is).
    pub body: &'a [u8],
    /// The body's length as announced.
    pub len: u64,
    /// The chunks carrying the message's first and last bytes.
    pub first: Stamp,
    pub last: Stamp,
}

/// What a reader reports, in stream order.
#[derive(Debug, Clone, Copy)]
pub(super) enum Frame<'a> {
    Message(Message<'a>),
    /// The one byte a server answers an SSLRequest or a GSSENCRequest with.
    Answer(u8),
    /// The framing was lost: what follows is skipped until the reader finds
    /// its way back.
    Lost,
    /// (server) A ReadyForQuery was found by scanning the bytes of a lost
    /// stream; it follows, maybe after the message found right before it.
    /// `pickup`: the stream was being joined mid-conversation, so the
    /// ReadyForQuery answers something sent before the capture started.
    Rejoined {
        pickup: bool,
    },
}

/// Which end of the connection wrote the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Client,
    Server,
}

/// A direction's reader.
#[derive(Debug)]
pub(super) struct Reader {
    side: Side,
    mode: Mode,
    /// Body bytes of the current message, when kept and not read in place.
    kept: Vec<u8>,
    /// (server, lost) The last bytes scanned, for patterns across segments.
    carry: Vec<u8>,
    /// Bytes ignored while lost or encrypted.
    pub skipped: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// (client) Before a startup packet: the next chunk's first byte tells
    /// an untyped packet (0), TLS, or — for a connection picked up
    /// mid-conversation — a typed message.
    Start,
    /// (server) Joining mid-conversation: a first chunk that starts with
    /// messages is read; otherwise the reader waits for a ReadyForQuery.
    Pickup,
    /// (server) The next byte answers an SSLRequest or GSSENCRequest.
    Answer,
    Header(Header),
    Body(Body),
    Lost {
        pickup: bool,
    },
    /// TLS or GSSAPI encryption: nothing is readable any more.
    Encrypted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    bytes: [u8; 5],
    have: u8,
    untyped: bool,
    first: Option<Stamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Body {
    tag: u8,
    len: u64,
    remaining: u64,
    keep: bool,
    /// Every body byte so far was captured and kept.
    whole: bool,
    first: Stamp,
}

impl Header {
    fn new(untyped: bool) -> Self {
        Self {
            bytes: [0; 5],
            have: 0,
            untyped,
            first: None,
        }
    }

    fn size(&self) -> usize {
        if self.untyped {
            4
        } else {
            5
        }
    }
}

impl Reader {
    pub fn new(side: Side) -> Self {
        Self {
            side,
            mode: Self::initial_mode(side),
            kept: Vec::new(),
            carry: Vec::new(),
            skipped: 0,
        }
    }

    fn initial_mode(side: Side) -> Mode {
        match side {
            Side::Client => Mode::Start,
            Side::Server => Mode::Pickup,
        }
    }

    /// Back to the start of a connection.
    pub fn reset(&mut self) {
        self.mode = Self::initial_mode(self.side);
        self.kept = Vec::new();
        self.carry = Vec::new();
    }

    /// (server) The client started a session: the server's messages start
    /// now, aligned.
    pub fn session_started(&mut self) {
        self.kept.clear();
        self.carry.clear();
        self.mode = Mode::Header(Header::new(false));
    }

    /// (server) The client asked for encryption: one byte answers.
    pub fn expect_answer(&mut self) {
        self.kept.clear();
        self.carry.clear();
        self.mode = Mode::Answer;
    }

    /// Nothing more is readable: the connection is encrypted.
    pub fn encrypt(&mut self) {
        self.kept = Vec::new();
        self.carry = Vec::new();
        self.mode = Mode::Encrypted;
    }

    pub fn encrypted(&self) -> bool {
        self.mode == Mode::Encrypted
    }

    /// (client) A session may start: the next packet is untyped (after a
    /// refused SSLRequest).
    fn expect_startup(&mut self) {
        self.mode = Mode::Start;
    }

    pub fn feed(&mut self, chunk: &Chunk<'_>, emit: &mut impl FnMut(Frame<'_>)) {
        let stamp = Stamp::of(chunk);
        if !chunk.data.is_empty() {
            self.chunk_start(chunk.data, emit);
        }
        for segment in segments(chunk) {
            match segment {
                Segment::Bytes { bytes, .. } => self.bytes(bytes, stamp, emit),
                Segment::Gap(len) => self.gap(len, stamp, emit),
            }
        }
    }

    /// Decisions taken where a syscall's payload starts: writes start at
    /// message boundaries (see `resync.rs`).
    fn chunk_start(&mut self, data: &[u8], emit: &mut impl FnMut(Frame<'_>)) {
        match self.mode {
            Mode::Start => {
                self.mode = if data.first() == Some(&0) {
                    Mode::Header(Header::new(true))
                } else if resync::starts_tls(data) {
                    Mode::Encrypted
                } else if classify::starts_frontend_message(data) {
                    Mode::Header(Header::new(false))
                } else {
                    emit(Frame::Lost);
                    Mode::Lost { pickup: true }
                };
            }
            Mode::Pickup => {
                self.mode = if classify::starts_backend_message(data) {
                    Mode::Header(Header::new(false))
                } else {
                    emit(Frame::Lost);
                    Mode::Lost { pickup: true }
                };
            }
            Mode::Lost { .. }
                if self.side == Side::Client && classify::starts_frontend_message(data) =>
            {
                self.mode = Mode::Header(Header::new(false));
            }
            _ => {}
        }
    }

    fn bytes(&mut self, mut bytes: &[u8], stamp: Stamp, emit: &mut impl FnMut(Frame<'_>)) {
        while !bytes.is_empty() {
            match self.mode {
                Mode::Encrypted => {
                    self.skip(bytes.len() as u64);
                    return;
                }
                // Only bytes after a gap get here (a chunk start decides):
                // not a place where a message starts.
                Mode::Start | Mode::Pickup => self.lose(emit),
                Mode::Lost { pickup } => match self.side {
                    Side::Client => {
                        self.skip(bytes.len() as u64);
                        return;
                    }
                    Side::Server => match self.scan(bytes, pickup, stamp, emit) {
                        Some(used) => bytes = &bytes[used..],
                        None => return,
                    },
                },
                Mode::Answer => {
                    let answer = bytes[0];
                    emit(Frame::Answer(answer));
                    match answer {
                        b'S' | b'G' => self.mode = Mode::Encrypted,
                        b'N' => self.mode = Mode::Header(Header::new(false)),
                        // Not an answer: an old server's ErrorResponse.
                        _ => {
                            self.mode = Mode::Header(Header::new(false));
                            continue;
                        }
                    }
                    bytes = &bytes[1..];
                }
                Mode::Header(header) => {
                    if header.have == 0 && !header.untyped {
                        bytes = self.whole_messages(bytes, stamp, emit);
                        if bytes.is_empty() {
                            return;
                        }
                    }
                    bytes = self.header(header, bytes, stamp, emit);
                }
                Mode::Body(body) => bytes = self.body(body, bytes, stamp, emit),
            }
        }
    }

    /// The fast path: typed messages lying whole in `bytes`, read in place
    /// without going through the state machine. Returns the bytes from
    /// the first message that does not (or whose header is not sane).
    fn whole_messages<'b>(
        &mut self,
        mut bytes: &'b [u8],
        stamp: Stamp,
        emit: &mut impl FnMut(Frame<'_>),
    ) -> &'b [u8] {
        while let (Some(&tag), Some(len)) = (bytes.first(), be_u32(bytes, 1)) {
            if !self.sane(tag, len) {
                break;
            }
            let body_len = (len - 4) as usize;
            let Some(body) = bytes.get(5..5 + body_len) else {
                break;
            };
            let kept = if self.keeps(tag) {
                &body[..body.len().min(MAX_KEPT)]
            } else {
                &[]
            };
            emit(Frame::Message(Message {
                tag,
                body: kept,
                len: body_len as u64,
                first: stamp,
                last: stamp,
            }));
            bytes = &bytes[5 + body_len..];
        }
        bytes
    }

    /// Reads header bytes; returns the bytes after those used.
    fn header<'b>(
        &mut self,
        mut header: Header,
        bytes: &'b [u8],
        stamp: Stamp,
        emit: &mut impl FnMut(Frame<'_>),
    ) -> &'b [u8] {
        let size = header.size();
        let have = usize::from(header.have);
        let taken = (size - have).min(bytes.len());
        header.bytes[have..have + taken].copy_from_slice(&bytes[..taken]);
        header.have += taken as u8;
        let first = *header.first.get_or_insert(stamp);
        if usize::from(header.have) < size {
            self.mode = Mode::Header(header);
            return &[];
        }
        let rest = &bytes[taken..];
        let (tag, len) = if header.untyped {
            (0, be_u32(&header.bytes, 0).unwrap_or(0))
        } else {
            (header.bytes[0], be_u32(&header.bytes, 1).unwrap_or(0))
        };
        if !self.sane(tag, len) {
            self.skip(size as u64);
            self.lose(emit);
            return rest;
        }
        let body = Body {
            tag,
            len: u64::from(len - 4),
            remaining: u64::from(len - 4),
            keep: self.keeps(tag),
            whole: true,
            first,
        };
        self.kept.clear();
        if body.remaining == 0 {
            self.end(body, &[], stamp, emit);
            return rest;
        }
        self.mode = Mode::Body(body);
        rest
    }

    /// Reads body bytes; returns the bytes after the body.
    fn body<'b>(
        &mut self,
        mut body: Body,
        bytes: &'b [u8],
        stamp: Stamp,
        emit: &mut impl FnMut(Frame<'_>),
    ) -> &'b [u8] {
        let taken = usize::try_from(body.remaining)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let (mine, rest) = bytes.split_at(taken);
        body.remaining -= taken as u64;
        let started_here = body.remaining + taken as u64 == body.len;
        if body.remaining == 0 && body.keep && started_here {
            // The whole body is here: read it in place.
            let kept = &mine[..mine.len().min(MAX_KEPT)];
            self.end(body, kept, stamp, emit);
            return rest;
        }
        if body.keep && body.whole {
            let room = MAX_KEPT - self.kept.len().min(MAX_KEPT);
            self.kept.extend_from_slice(&mine[..mine.len().min(room)]);
            body.whole = mine.len() <= room;
        }
        if body.remaining == 0 {
            let kept = mem::take(&mut self.kept);
            self.end(body, &kept, stamp, emit);
            self.kept = kept;
            self.kept.clear();
        } else {
            self.mode = Mode::Body(body);
        }
        rest
    }

    /// The current message ended in `last`.
    fn end(&mut self, body: Body, kept: &[u8], last: Stamp, emit: &mut impl FnMut(Frame<'_>)) {
        self.mode = Mode::Header(Header::new(false));
        if body.tag == 0 {
            // A refused SSLRequest is followed by another untyped packet.
            if matches!(
                be_u32(kept, 0),
                Some(super::messages::SSL_REQUEST | super::messages::GSSENC_REQUEST)
            ) {
                self.expect_startup();
            }
        }
        emit(Frame::Message(Message {
            tag: body.tag,
            body: if body.keep { kept } else { &[] },
            len: body.len,
            first: body.first,
            last,
        }));
    }

    fn gap(&mut self, len: u64, stamp: Stamp, emit: &mut impl FnMut(Frame<'_>)) {
        match self.mode {
            Mode::Encrypted => self.skip(len),
            Mode::Lost { .. } => {
                self.carry.clear();
                self.skip(len);
            }
            Mode::Start | Mode::Pickup | Mode::Answer => {
                self.lose(emit);
                self.skip(len);
            }
            // A header in uncaptured bytes.
            Mode::Header(header) => {
                self.skip(u64::from(header.have).saturating_add(len));
                self.lose(emit);
            }
            Mode::Body(mut body) => {
                body.whole = false;
                if len < body.remaining {
                    body.remaining -= len;
                    self.mode = Mode::Body(body);
                    return;
                }
                let beyond = len - body.remaining;
                body.remaining = 0;
                let kept = mem::take(&mut self.kept);
                self.end(body, &kept, stamp, emit);
                self.kept = kept;
                self.kept.clear();
                if beyond > 0 {
                    self.skip(beyond);
                    self.lose(emit);
                }
            }
        }
    }

    /// Scans a lost server stream for a ReadyForQuery; returns how many of
    /// `bytes` it used when one was found (the reader reads on after it).
    fn scan(
        &mut self,
        bytes: &[u8],
        pickup: bool,
        stamp: Stamp,
        emit: &mut impl FnMut(Frame<'_>),
    ) -> Option<usize> {
        let carried = self.carry.len();
        let mut window = mem::take(&mut self.carry);
        window.extend_from_slice(bytes);
        let found = resync::find_ready_for_query(&window, carried);
        let used = match found {
            Some(ready) => {
                emit(Frame::Rejoined { pickup });
                let message = |tag, body, len| {
                    Frame::Message(Message {
                        tag,
                        body,
                        len,
                        first: stamp,
                        last: stamp,
                    })
                };
                if let Some((tag, body)) = resync::message_before(&window, ready.start) {
                    emit(message(tag, body, body.len() as u64));
                }
                emit(message(
                    super::messages::backend::READY_FOR_QUERY,
                    &window[ready.start + 5..ready.end],
                    1,
                ));
                self.mode = Mode::Header(Header::new(false));
                window.clear();
                let used = ready.end - carried;
                self.skip(used.saturating_sub(6) as u64);
                Some(used)
            }
            None => {
                let keep_from = window.len().saturating_sub(resync::CARRY);
                window.drain(..keep_from);
                self.skip(bytes.len() as u64);
                None
            }
        };
        self.carry = window;
        used
    }

    fn lose(&mut self, emit: &mut impl FnMut(Frame<'_>)) {
        let pickup = matches!(self.mode, Mode::Start | Mode::Pickup);
        self.kept.clear();
        self.carry.clear();
        self.mode = Mode::Lost { pickup };
        emit(Frame::Lost);
    }

    fn skip(&mut self, len: u64) {
        self.skipped = self.skipped.saturating_add(len);
    }

    /// Whether a header announcing a message of `len` bytes with `tag` is
    /// possible on this side.
    fn sane(&self, tag: u8, len: u32) -> bool {
        if tag == 0 {
            return self.side == Side::Client && (8..=MAX_STARTUP_LEN).contains(&len);
        }
        let frontend = self.side == Side::Client;
        let known = if frontend {
            is_frontend_tag(tag)
        } else {
            is_backend_tag(tag)
        };
        known
            && (4..=MAX_MESSAGE_LEN).contains(&len)
            && fixed_len(tag, frontend).is_none_or(|fixed| fixed == len)
    }

    /// Whether the parser reads the body of messages with `tag`.
    fn keeps(&self, tag: u8) -> bool {
        use super::messages::backend;
        match self.side {
            Side::Client => matches!(
                tag,
                0 | frontend::QUERY
                    | frontend::PARSE
                    | frontend::BIND
                    | frontend::EXECUTE
                    | frontend::CLOSE
            ),
            Side::Server => matches!(
                tag,
                backend::COMMAND_COMPLETE | backend::ERROR_RESPONSE | backend::READY_FOR_QUERY
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(data: &[u8], total_len: usize) -> Chunk<'_> {
        Chunk {
            data,
            total_len,
            tail: &[],
            timestamp_ns: 1,
            tid: 1,
        }
    }

    /// Feeds `chunks`; the messages' tags and kept body lengths.
    fn read(reader: &mut Reader, chunks: &[Chunk<'_>]) -> Vec<(u8, usize)> {
        let mut seen = Vec::new();
        for chunk in chunks {
            reader.feed(chunk, &mut |frame| {
                if let Frame::Message(message) = frame {
                    seen.push((message.tag, message.body.len()));
                }
            });
        }
        seen
    }

    #[test]
    fn a_4_mib_data_row_is_never_buffered() {
        let mut reader = Reader::new(Side::Server);
        reader.session_started();
        let len = 4u32 << 20;
        let mut header = vec![b'D'];
        header.extend_from_slice(&(len + 4).to_be_bytes());
        let body = vec![b'r'; 65_536];
        let mut chunks = vec![chunk(&header, header.len())];
        for _ in 0..64 {
            chunks.push(chunk(&body, body.len()));
        }
        let ready = b"Z\0\0\0\x05I";
        chunks.push(chunk(ready, ready.len()));
        assert_eq!(read(&mut reader, &chunks), [(b'D', 0), (b'Z', 1)]);
        assert_eq!(reader.kept.capacity(), 0);
    }

    #[test]
    fn a_kept_body_is_capped() {
        let mut reader = Reader::new(Side::Client);
        let text = vec![b'x'; 3 * MAX_KEPT];
        let mut query = vec![b'Q'];
        query.extend_from_slice(&(text.len() as u32 + 5).to_be_bytes());
        query.extend_from_slice(&text);
        query.push(0);
        // In one piece, read in place; in pieces, copied up to the cap.
        let whole = read(&mut reader, &[chunk(&query, query.len())]);
        assert_eq!(whole, [(b'Q', MAX_KEPT)]);
        let pieces: Vec<_> = query.chunks(1000).map(|c| chunk(c, c.len())).collect();
        assert_eq!(read(&mut reader, &pieces), [(b'Q', MAX_KEPT)]);
        assert!(reader.kept.capacity() <= 2 * MAX_KEPT);
    }

    #[test]
    fn a_header_in_a_gap_loses_the_stream() {
        let mut reader = Reader::new(Side::Server);
        reader.session_started();
        let mut frames = Vec::new();
        let data = b"C\0\0\0\x0dSELECT 1\0";
        reader.feed(&chunk(data, data.len() + 100), &mut |frame| {
            frames.push(format!("{frame:?}").chars().take(12).collect::<String>());
        });
        assert_eq!(frames, ["Message(Mess", "Lost"]);
        assert_eq!(reader.skipped, 100);
    }
}
