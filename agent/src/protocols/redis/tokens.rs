//! One direction of a connection as RESP tokens: lines (`+OK`, `:1`, `*3`,
//! ...) and bulk strings (`$5\r\nhello\r\n`), or, from a client, inline
//! commands (`PING\r\n`). Only a prefix of each is kept; bulk payloads are
//! counted off by their lengths, captured or not, so a 4 MiB value costs
//! nothing.
//!
//! Nesting is not the tokenizer's business: the sink builds commands and
//! replies from the tokens. When uncaptured bytes hide where a token starts,
//! or bytes stop making sense as RESP, the tokenizer is out of sync until
//! the sink finds a start at the start of a later chunk.

use super::{
    super::chunk::Chunk,
    super::segments::{segments, Segment, Stamp},
};

/// Bytes of a line kept (its text beyond is counted, not kept).
pub(super) const LINE_KEEP: usize = 64;
/// The longest line read (Redis's own limit on inline commands); a longer
/// one is not RESP.
pub(super) const MAX_LINE: u64 = 64 * 1024;
/// Bytes enough to tell whether a command or reply starts.
const PROBE: usize = 16;
/// The longest length or count line: a sign, 20 digits.
const MAX_NUMBER_LINE: u64 = 24;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A line after its type byte: `+`, `-`, `:`, `*`, `%`, `~`, `>`, `|`,
    /// `_`, `#`, `,`, `(`.
    Line(u8),
    /// A blob after its type byte (`$`, `!`, `=`) and length; None for a
    /// null (`$-1`).
    Blob(u8, Option<u64>),
    /// A client's inline command line.
    Inline,
}

/// A complete token.
#[derive(Debug)]
pub(super) struct Token<'a> {
    pub kind: Kind,
    /// The line's text (without its type byte and line end), or the blob's
    /// first bytes: as many as kept and captured.
    pub text: &'a [u8],
    /// Whether `text` is all of it.
    pub whole: bool,
    /// The chunks carrying the first and the last byte.
    pub first: Stamp,
    pub last: Stamp,
}

/// What the sink wants after a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    /// The bytes that follow make no sense now: skip them until the sink
    /// finds a start again.
    Unsync,
}

/// What a tokenizer reports, in stream order.
pub(super) trait Sink {
    /// While out of sync: whether a command or reply starts at the start of
    /// this chunk.
    fn starts_here(&mut self, data: &[u8]) -> bool;
    fn token(&mut self, token: &Token<'_>) -> Flow;
    /// Sync was lost in the chunk of `at` (bytes uncaptured, or not RESP).
    fn lost(&mut self, at: Stamp);
    /// Bytes ignored while out of sync.
    fn skipped(&mut self, bytes: u64);
}

/// A direction's tokenizer.
#[derive(Debug)]
pub(super) struct Tokenizer {
    /// Inline commands are read (the client's direction).
    inline: bool,
    /// Blob bytes kept.
    keep: usize,
    state: State,
    kept: Vec<u8>,
    gapped: bool,
    first: Option<Stamp>,
    /// While out of sync: the first bytes of the last chunks, too few to
    /// tell whether a command or reply starts with them.
    probe: Vec<(Stamp, Vec<u8>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between tokens.
    Start,
    /// A line of `kind` (None: inline), `len` bytes read.
    Line {
        kind: Option<u8>,
        len: u64,
    },
    /// A blob's payload and its `\r\n`: `left` bytes to go.
    Blob {
        kind: u8,
        len: u64,
        left: u64,
    },
    Unsynced,
}

impl Tokenizer {
    /// A tokenizer of the client's direction (`inline`: with inline
    /// commands) keeping `keep` bytes of each blob, out of sync until the
    /// sink finds a start.
    pub fn new(inline: bool, keep: usize) -> Self {
        Self {
            inline,
            keep,
            state: State::Unsynced,
            kept: Vec::new(),
            gapped: false,
            first: None,
            probe: Vec::new(),
        }
    }

    pub fn reset(&mut self) {
        self.state = State::Unsynced;
        self.clear();
        self.probe.clear();
    }

    /// The other direction spoke: bytes probed so far do not start a
    /// command or reply with what comes next. Returns how many are dropped.
    pub fn forget_probe(&mut self) -> u64 {
        let probed: usize = self.probe.iter().map(|(_, bytes)| bytes.len()).sum();
        self.probe.clear();
        probed as u64
    }

    pub fn feed(&mut self, chunk: &Chunk<'_>, sink: &mut impl Sink) {
        let stamp = Stamp::of(chunk);
        for (index, segment) in segments(chunk).enumerate() {
            match segment {
                Segment::Bytes { bytes, payload_end } => {
                    if self.state == State::Unsynced {
                        let synced = if index == 0 {
                            self.probe(bytes, payload_end, stamp, sink)
                        } else {
                            sink.skipped(bytes.len() as u64);
                            false
                        };
                        if !synced {
                            continue;
                        }
                    }
                    self.bytes(bytes, stamp, sink);
                }
                Segment::Gap(missing) => {
                    let probed = self.forget_probe();
                    sink.skipped(probed);
                    self.gap(missing, stamp, sink);
                }
            }
        }
    }

    /// Out of sync at the start of a chunk: whether a command or reply
    /// starts with the bytes probed so far and `bytes`. When it does, the
    /// probed bytes are read first and the tokenizer is in sync; when they
    /// are too few to tell, they are kept for the next chunk.
    fn probe(
        &mut self,
        bytes: &[u8],
        payload_end: bool,
        stamp: Stamp,
        sink: &mut impl Sink,
    ) -> bool {
        let mut joined: Vec<u8> = self
            .probe
            .iter()
            .flat_map(|(_, b)| b.iter().copied())
            .collect();
        let probed = joined.len();
        joined.extend_from_slice(bytes.get(..PROBE).unwrap_or(bytes));
        if sink.starts_here(&joined) {
            self.state = State::Start;
            for (stamp, bytes) in std::mem::take(&mut self.probe) {
                self.bytes(&bytes, stamp, sink);
            }
            return true;
        }
        if probed > 0 && sink.starts_here(bytes) {
            // The probed bytes were the end of something else.
            sink.skipped(self.forget_probe());
            self.state = State::Start;
            return true;
        }
        if payload_end && joined.len() < PROBE {
            // Counted as skipped if dropped later.
            self.probe.push((stamp, bytes.to_vec()));
            return false;
        }
        let dropped = self.forget_probe();
        sink.skipped(dropped.saturating_add(bytes.len() as u64));
        false
    }

    fn bytes(&mut self, mut bytes: &[u8], stamp: Stamp, sink: &mut impl Sink) {
        while let Some((&byte, rest)) = bytes.split_first() {
            match self.state {
                State::Unsynced => {
                    sink.skipped(bytes.len() as u64);
                    return;
                }
                State::Start => {
                    self.first = Some(stamp);
                    if byte == b'\r' || byte == b'\n' {
                        // Empty lines between commands: Redis skips them.
                        bytes = rest;
                        continue;
                    }
                    let kind = match byte {
                        b'+' | b'-' | b':' | b'*' | b'%' | b'~' | b'>' | b'|' | b'_' | b'#'
                        | b',' | b'(' | b'$' | b'!' | b'=' => Some(byte),
                        _ if self.inline => None,
                        _ => {
                            self.lose(stamp, sink);
                            continue;
                        }
                    };
                    if kind.is_some() {
                        bytes = rest;
                    }
                    self.state = State::Line { kind, len: 0 };
                }
                State::Line { kind, len } => {
                    let end = bytes.iter().position(|&b| b == b'\n');
                    let line = end.and_then(|end| bytes.get(..end)).unwrap_or(bytes);
                    let room = LINE_KEEP.saturating_sub(self.kept.len());
                    self.kept
                        .extend_from_slice(line.get(..room).unwrap_or(line));
                    let len = len.saturating_add(line.len() as u64);
                    let limit = match kind {
                        Some(b'$' | b'!' | b'=' | b'*' | b'%' | b'~' | b'>' | b'|') => {
                            MAX_NUMBER_LINE
                        }
                        _ => MAX_LINE,
                    };
                    if len > limit {
                        self.lose(stamp, sink);
                        continue;
                    }
                    let Some(end) = end else {
                        self.state = State::Line { kind, len };
                        return;
                    };
                    bytes = bytes.get(end + 1..).unwrap_or_default();
                    if self.kept.last() == Some(&b'\r') {
                        self.kept.pop();
                    }
                    let whole = len <= LINE_KEEP as u64 + 1;
                    if self.line_done(kind, whole, stamp, sink) == Flow::Unsync {
                        self.state = State::Unsynced;
                    }
                }
                State::Blob { kind, len, left } => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    let (body, rest) = bytes.split_at(take);
                    // The payload, then its line end.
                    let payload_left = left.saturating_sub(2);
                    let payload = body
                        .get(
                            ..usize::try_from(payload_left)
                                .unwrap_or(usize::MAX)
                                .min(take),
                        )
                        .unwrap_or(body);
                    let room = self.keep.saturating_sub(self.kept.len());
                    self.kept
                        .extend_from_slice(payload.get(..room).unwrap_or(payload));
                    bytes = rest;
                    let left = left - take as u64;
                    self.state = State::Blob { kind, len, left };
                    if left == 0 {
                        self.blob_done(kind, len, stamp, sink);
                    }
                }
            }
        }
    }

    fn gap(&mut self, missing: u64, stamp: Stamp, sink: &mut impl Sink) {
        match self.state {
            State::Unsynced => sink.skipped(missing),
            State::Start | State::Line { .. } => {
                self.lose(stamp, sink);
                sink.skipped(missing);
            }
            State::Blob { kind, len, left } => {
                self.gapped = true;
                if missing < left {
                    self.state = State::Blob {
                        kind,
                        len,
                        left: left - missing,
                    };
                    return;
                }
                self.blob_done(kind, len, stamp, sink);
                let rest = missing - left;
                if rest > 0 {
                    if self.state == State::Start {
                        self.lose(stamp, sink);
                    }
                    sink.skipped(rest);
                }
            }
        }
    }

    /// A line ended in the chunk of `stamp`.
    fn line_done(
        &mut self,
        kind: Option<u8>,
        whole: bool,
        stamp: Stamp,
        sink: &mut impl Sink,
    ) -> Flow {
        self.state = State::Start;
        let first = self.first.unwrap_or(stamp);
        let kind = match kind {
            Some(kind @ (b'$' | b'!' | b'=')) => {
                let Some(len) = parse_int(&self.kept) else {
                    self.lose(stamp, sink);
                    return Flow::Continue;
                };
                self.clear();
                match u64::try_from(len) {
                    Ok(len) => {
                        self.first = Some(first);
                        self.state = State::Blob {
                            kind,
                            len,
                            left: len.saturating_add(2),
                        };
                        return Flow::Continue;
                    }
                    Err(_) if len == -1 => Kind::Blob(kind, None),
                    Err(_) => {
                        self.lose(stamp, sink);
                        return Flow::Continue;
                    }
                }
            }
            Some(kind) => Kind::Line(kind),
            None => Kind::Inline,
        };
        let flow = sink.token(&Token {
            kind,
            text: &self.kept,
            whole,
            first,
            last: stamp,
        });
        self.clear();
        flow
    }

    /// A blob's payload and line end were read, the last byte in the chunk
    /// of `stamp`.
    fn blob_done(&mut self, kind: u8, len: u64, stamp: Stamp, sink: &mut impl Sink) {
        self.state = State::Start;
        let whole = !self.gapped && self.kept.len() as u64 == len;
        let flow = sink.token(&Token {
            kind: Kind::Blob(kind, Some(len)),
            text: &self.kept,
            whole,
            first: self.first.unwrap_or(stamp),
            last: stamp,
        });
        self.clear();
        if flow == Flow::Unsync {
            self.state = State::Unsynced;
        }
    }

    fn lose(&mut self, stamp: Stamp, sink: &mut impl Sink) {
        self.state = State::Unsynced;
        self.clear();
        sink.lost(stamp);
    }

    fn clear(&mut self) {
        self.kept.clear();
        self.gapped = false;
        self.first = None;
    }
}

/// A RESP integer (`-1`, `42`); None unless all digits and in range.
pub(super) fn parse_int(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', digits)) => (true, digits),
        Some((b'+', digits)) => (false, digits),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut value: i64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value
            .checked_mul(10)?
            .checked_add(i64::from(digit - b'0'))?;
    }
    Some(if negative { -value } else { value })
}
