//! The input of the parsers' fuzz targets: a sequence of operations on
//! both sides of a connection, closes included.
//!
//! Each operation starts with an op byte: `0x1f` in its low five bits
//! closes the connection; otherwise bit 0 picks the side (client, server),
//! bit 1 makes the chunk only partly captured, bit 2 lets its `total_len`
//! be inconsistent, bit 3 makes it as large as can be; the top three bits
//! advance the clock. Then a little-endian u16 length (capped at 4096, the
//! kernel's capture) and that many data bytes; for a partly captured chunk,
//! a u32 of uncaptured bytes, a tail length byte (up to 64) and the tail.
//! Bytes past the end of the input read as zeros.

use super::chunk::Chunk;

/// One operation.
pub enum Op<'a> {
    /// A chunk the client (`client`) or the server wrote; its thread is 0
    /// for the client, 1 for the server.
    Chunk { client: bool, chunk: Chunk<'a> },
    /// The connection closes at `now`.
    Close { now: u64 },
}

/// The operations of an input, in order.
pub struct Ops<'a> {
    input: &'a [u8],
    now: u64,
    fed: u64,
}

impl<'a> Ops<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            now: 0,
            fed: 0,
        }
    }

    /// The clock: when the last operation happened (it only moves forward).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The bytes the chunks so far stood for: at most what a parser can
    /// have skipped.
    pub fn fed(&self) -> u64 {
        self.fed
    }

    fn take(&mut self, len: usize) -> &'a [u8] {
        let (taken, rest) = self.input.split_at(len.min(self.input.len()));
        self.input = rest;
        taken
    }

    fn take_u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    fn take_u16(&mut self) -> u16 {
        u16::from_le_bytes([self.take_u8(), self.take_u8()])
    }

    fn take_u32(&mut self) -> u32 {
        u32::from_le_bytes([
            self.take_u8(),
            self.take_u8(),
            self.take_u8(),
            self.take_u8(),
        ])
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Op<'a>;

    fn next(&mut self) -> Option<Op<'a>> {
        let op = *self.take(1).first()?;
        self.now += u64::from(op >> 5);
        if op & 0x1f == 0x1f {
            return Some(Op::Close { now: self.now });
        }
        let len = usize::from(self.take_u16()).min(4096);
        let data = self.take(len);
        let (total_len, tail) = if op & 2 != 0 {
            let missing = if op & 8 != 0 {
                usize::MAX - data.len()
            } else {
                self.take_u32() as usize
            };
            let tail_len = usize::from(self.take_u8() % 65);
            let tail = self.take(tail_len);
            let total_len = if op & 4 != 0 {
                missing % (data.len() + 1)
            } else {
                data.len() + missing
            };
            (total_len, tail)
        } else {
            (data.len(), &[][..])
        };
        self.fed = self.fed.saturating_add(total_len.max(data.len()) as u64);
        Some(Op::Chunk {
            client: op & 1 == 0,
            chunk: Chunk {
                data,
                total_len,
                tail,
                timestamp_ns: self.now,
                tid: u32::from(op & 1),
            },
        })
    }
}
