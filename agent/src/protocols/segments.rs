//! A captured chunk as the byte stream it stands for: captured bytes, a gap
//! of bytes the kernel did not copy, then the captured tail; and the stamp
//! (time, thread) every parser puts on what it reads of a chunk.
//!
//! Every parser reads chunks through [`segments`], so the one place that
//! trusts the kernel's `total_len`/`tail` bookkeeping is here, and it is
//! defensive: a `total_len` below what was captured, or a tail overlapping
//! the prefix, must not make a parser count bytes twice or panic.

use super::chunk::Chunk;

/// When and on which thread a chunk was carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    pub ns: u64,
    pub tid: u32,
}

impl Stamp {
    pub fn of(chunk: &Chunk<'_>) -> Self {
        Self {
            ns: chunk.timestamp_ns,
            tid: chunk.tid,
        }
    }
}

/// One stretch of a direction's byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Segment<'a> {
    /// Bytes the kernel captured. `payload_end`: they end the syscall's
    /// payload (nothing of it follows), which the parsers' end-of-message
    /// heuristics rely on (HTTP/1.x's chunked terminator, for one).
    Bytes { bytes: &'a [u8], payload_end: bool },
    /// This many bytes went by uncaptured.
    Gap(u64),
}

/// The segments of `chunk`, in stream order; empty ones are left out.
pub(super) fn segments<'a>(chunk: &Chunk<'a>) -> impl Iterator<Item = Segment<'a>> {
    let data = chunk.data;
    let missing = chunk.total_len.saturating_sub(data.len());
    // A tail longer than what is missing overlaps the prefix: keep only the
    // bytes that follow it (so the tail is never longer than `missing`).
    let tail = &chunk.tail[chunk.tail.len().saturating_sub(missing)..];
    let gap = missing - tail.len();
    let data = (!data.is_empty()).then_some(Segment::Bytes {
        bytes: data,
        payload_end: missing == 0,
    });
    let gap = (gap > 0).then_some(Segment::Gap(gap as u64));
    let tail = (!tail.is_empty()).then_some(Segment::Bytes {
        bytes: tail,
        payload_end: true,
    });
    [data, gap, tail].into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk<'a>(data: &'a [u8], total_len: usize, tail: &'a [u8]) -> Chunk<'a> {
        Chunk {
            data,
            total_len,
            tail,
            timestamp_ns: 0,
            tid: 0,
        }
    }

    fn all(chunk: Chunk<'_>) -> Vec<Segment<'_>> {
        segments(&chunk).collect()
    }

    #[test]
    fn a_fully_captured_chunk_is_one_segment() {
        assert_eq!(
            all(chunk(b"abc", 3, b"")),
            [Segment::Bytes {
                bytes: b"abc",
                payload_end: true
            }]
        );
        assert!(all(chunk(b"", 0, b"")).is_empty());
    }

    #[test]
    fn prefix_gap_and_tail() {
        assert_eq!(
            all(chunk(b"abc", 10, b"xy")),
            [
                Segment::Bytes {
                    bytes: b"abc",
                    payload_end: false
                },
                Segment::Gap(5),
                Segment::Bytes {
                    bytes: b"xy",
                    payload_end: true
                },
            ]
        );
        // No tail captured: the gap runs to the end.
        assert_eq!(
            all(chunk(b"abc", 10, b"")),
            [
                Segment::Bytes {
                    bytes: b"abc",
                    payload_end: false
                },
                Segment::Gap(7),
            ]
        );
    }

    #[test]
    fn inconsistent_lengths_are_tolerated() {
        // total_len below what was captured: the capture wins.
        assert_eq!(
            all(chunk(b"abc", 1, b"zz")),
            [Segment::Bytes {
                bytes: b"abc",
                payload_end: true
            }]
        );
        // A tail overlapping the prefix: only the bytes after the prefix.
        assert_eq!(
            all(chunk(b"abc", 5, b"bcde")),
            [
                Segment::Bytes {
                    bytes: b"abc",
                    payload_end: false
                },
                Segment::Bytes {
                    bytes: b"de",
                    payload_end: true
                },
            ]
        );
    }
}
