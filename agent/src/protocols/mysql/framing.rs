//! One direction of a connection as MySQL messages. A packet is a 3-byte
//! length, a sequence id and the payload; a packet of 0xffffff bytes is
//! continued by the next one, and the reader joins them into one message.
//! Only a prefix of each message is kept; the rest is counted off by the
//! lengths, captured or not, so a 4 MiB row costs nothing.
//!
//! When a gap of uncaptured bytes covers a packet boundary the reader loses
//! its way; the [`Sink`] tells where a message starts again (the start of a
//! later chunk, or the end of one whose tail shows a reply's last packet).

use super::{
    super::chunk::Chunk,
    super::segments::{segments, Segment, Stamp},
};

/// The length of a packet that the next one continues.
pub(super) const CONTINUED: u32 = 0xff_ffff;

/// A complete message.
#[derive(Debug)]
pub(super) struct Message<'a> {
    /// Sequence id of its first packet.
    pub seq: u8,
    /// Payload bytes, all packets together.
    pub len: u64,
    /// Whether the first packet was continued (a message of 16 MiB or more).
    pub continued: bool,
    /// The first bytes of the payload, as many as the reader keeps and the
    /// kernel captured (a statement's text may be cut: it is normalized as
    /// it is).
    pub payload: &'a [u8],
    /// The chunks carrying the first and the last byte.
    pub first: Stamp,
    pub last: Stamp,
}

/// What the sink wants after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    /// The bytes that follow make no sense now: skip them until the sink
    /// finds a start again.
    Unsync,
    /// The stream is no longer MySQL (TLS): skip everything from now on.
    Off,
}

/// What a reader reports, in stream order.
pub(super) trait Sink {
    /// While out of sync: whether a message starts at the start of this
    /// chunk (`data` its captured bytes, `total_len` its length).
    fn starts_here(&mut self, data: &[u8], total_len: usize) -> bool;
    /// A message is complete.
    fn message(&mut self, message: &Message<'_>) -> Flow;
    /// Bytes went uncaptured over a packet boundary, in the chunk of `at`.
    fn lost(&mut self, at: Stamp);
    /// While out of sync: `tail` ends a chunk's payload; whether a message
    /// boundary is known to follow it.
    fn ends_here(&mut self, tail: &[u8], at: Stamp) -> bool;
    /// Bytes ignored while out of sync or off.
    fn skipped(&mut self, bytes: u64);
}

/// A direction's reader.
#[derive(Debug)]
pub(super) struct PacketReader {
    /// Payload bytes kept per message.
    keep: usize,
    state: State,
    message: Partial,
    /// While out of sync: the first bytes of the last chunks, too few to
    /// tell whether a message starts with them (a reader may read a 4-byte
    /// header, then the payload).
    probe: Vec<(Stamp, Vec<u8>)>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Header { bytes: [u8; 4], have: usize },
    Payload { left: u32, packet_len: u32 },
    Unsynced,
    Off,
}

/// Bytes enough to tell whether a message starts: a header and the first
/// bytes of its payload.
const PROBE: usize = 16;

const HEADER: State = State::Header {
    bytes: [0; 4],
    have: 0,
};

/// The message being read.
#[derive(Debug, Default)]
struct Partial {
    /// Sequence id and chunk of its first byte, once its first header began.
    first: Option<(u8, Stamp)>,
    len: u64,
    continued: bool,
    kept: Vec<u8>,
}

impl PacketReader {
    /// A reader keeping `keep` bytes of each message, out of sync until the
    /// sink finds a start.
    pub fn new(keep: usize) -> Self {
        Self {
            keep,
            state: State::Unsynced,
            message: Partial::default(),
            probe: Vec::new(),
        }
    }

    /// Back to the state of a new reader.
    pub fn reset(&mut self) {
        self.state = State::Unsynced;
        self.message = Partial::default();
        self.probe.clear();
    }

    /// Skip everything from now on.
    pub fn turn_off(&mut self) {
        self.state = State::Off;
        self.message = Partial::default();
    }

    /// The other direction spoke: bytes probed so far do not start a
    /// message with what comes next. Returns how many are dropped.
    pub fn forget_probe(&mut self) -> u64 {
        let probed: usize = self.probe.iter().map(|(_, bytes)| bytes.len()).sum();
        self.probe.clear();
        probed as u64
    }

    pub fn is_off(&self) -> bool {
        matches!(self.state, State::Off)
    }

    pub fn feed(&mut self, chunk: &Chunk<'_>, sink: &mut impl Sink) {
        let stamp = Stamp::of(chunk);
        for (index, segment) in segments(chunk).enumerate() {
            match segment {
                Segment::Bytes { bytes, payload_end } => {
                    let start = index == 0;
                    self.bytes(bytes, start, payload_end, chunk.total_len, stamp, sink);
                }
                Segment::Gap(missing) => self.gap(missing, stamp, sink),
            }
        }
    }

    fn bytes(
        &mut self,
        mut bytes: &[u8],
        start: bool,
        payload_end: bool,
        total_len: usize,
        stamp: Stamp,
        sink: &mut impl Sink,
    ) {
        if let State::Unsynced = self.state {
            if !start {
                sink.skipped(bytes.len() as u64);
                if payload_end && sink.ends_here(bytes, stamp) {
                    self.state = HEADER;
                }
                return;
            }
            if !self.probe(bytes, payload_end, total_len, stamp, sink) {
                return;
            }
        }
        while !bytes.is_empty() {
            match &mut self.state {
                State::Unsynced | State::Off => {
                    sink.skipped(bytes.len() as u64);
                    return;
                }
                State::Header {
                    bytes: header,
                    have,
                } => {
                    let take = (4 - *have).min(bytes.len());
                    let (head, rest) = bytes.split_at(take);
                    if let Some(slot) = header.get_mut(*have..*have + take) {
                        slot.copy_from_slice(head);
                    }
                    bytes = rest;
                    *have += take;
                    if *have == 4 {
                        let [a, b, c, seq] = *header;
                        let packet_len = u32::from_le_bytes([a, b, c, 0]);
                        self.message.first.get_or_insert((seq, stamp));
                        self.state = State::Payload {
                            left: packet_len,
                            packet_len,
                        };
                        if packet_len == 0 {
                            self.end_packet(packet_len, stamp, sink);
                        }
                    }
                }
                State::Payload { left, packet_len } => {
                    let packet_len = *packet_len;
                    let take = (*left as usize).min(bytes.len());
                    *left -= take as u32;
                    let left = *left;
                    let (body, rest) = bytes.split_at(take);
                    bytes = rest;
                    let room = self.keep.saturating_sub(self.message.kept.len());
                    self.message
                        .kept
                        .extend_from_slice(body.get(..room).unwrap_or(body));
                    self.message.len = self.message.len.saturating_add(take as u64);
                    if left == 0 {
                        self.end_packet(packet_len, stamp, sink);
                    }
                }
            }
        }
    }

    /// Out of sync at the start of a chunk: whether a message starts with
    /// the bytes probed so far and `bytes`. When it does, the probed bytes
    /// are read first and the reader is in sync.
    fn probe(
        &mut self,
        bytes: &[u8],
        payload_end: bool,
        total_len: usize,
        stamp: Stamp,
        sink: &mut impl Sink,
    ) -> bool {
        let probed: usize = self.probe.iter().map(|(_, bytes)| bytes.len()).sum();
        let mut joined: Vec<u8> = self
            .probe
            .iter()
            .flat_map(|(_, b)| b.iter().copied())
            .collect();
        joined.extend_from_slice(bytes.get(..PROBE).unwrap_or(bytes));
        if sink.starts_here(&joined, total_len.saturating_add(probed)) {
            self.state = HEADER;
            for (stamp, bytes) in std::mem::take(&mut self.probe) {
                self.bytes(&bytes, false, false, 0, stamp, sink);
            }
            return true;
        }
        if probed > 0 && sink.starts_here(bytes, total_len) {
            // The probed bytes were the end of something else.
            sink.skipped(probed as u64);
            self.probe.clear();
            self.state = HEADER;
            return true;
        }
        if payload_end && joined.len() < PROBE {
            self.probe.push((stamp, bytes.to_vec()));
            return false;
        }
        sink.skipped(probed.saturating_add(bytes.len()) as u64);
        self.probe.clear();
        false
    }

    fn gap(&mut self, missing: u64, stamp: Stamp, sink: &mut impl Sink) {
        match &mut self.state {
            State::Unsynced | State::Off => {
                let probed: usize = self.probe.iter().map(|(_, bytes)| bytes.len()).sum();
                self.probe.clear();
                sink.skipped(missing.saturating_add(probed as u64));
            }
            State::Header { .. } => {
                self.lose(stamp, sink);
                sink.skipped(missing);
            }
            State::Payload { left, packet_len } => {
                let packet_len = *packet_len;
                if missing < u64::from(*left) {
                    *left -= missing as u32;
                    self.message.len = self.message.len.saturating_add(missing);
                    return;
                }
                let rest = missing - u64::from(*left);
                self.message.len = self.message.len.saturating_add(u64::from(*left));
                *left = 0;
                self.end_packet(packet_len, stamp, sink);
                if rest > 0 {
                    if let State::Header { .. } = self.state {
                        self.lose(stamp, sink);
                    }
                    sink.skipped(rest);
                }
            }
        }
    }

    /// The current packet ended in the chunk of `stamp`.
    fn end_packet(&mut self, packet_len: u32, stamp: Stamp, sink: &mut impl Sink) {
        self.state = HEADER;
        if packet_len == CONTINUED {
            if self.message.len == u64::from(CONTINUED) {
                self.message.continued = true;
            }
            return;
        }
        let message = std::mem::take(&mut self.message);
        let Some((seq, first)) = message.first else {
            return;
        };
        let flow = sink.message(&Message {
            seq,
            len: message.len,
            continued: message.continued,
            payload: &message.kept,
            first,
            last: stamp,
        });
        // Keep the buffer's allocation for the next message.
        self.message.kept = message.kept;
        self.message.kept.clear();
        match flow {
            Flow::Continue => {}
            Flow::Unsync => self.state = State::Unsynced,
            Flow::Off => self.state = State::Off,
        }
    }

    fn lose(&mut self, stamp: Stamp, sink: &mut impl Sink) {
        self.state = State::Unsynced;
        self.message.first = None;
        self.message.len = 0;
        self.message.continued = false;
        self.message.kept.clear();
        sink.lost(stamp);
    }
}
