//! A captured chunk as the byte stream it stands for: captured bytes, a gap
//! of bytes the kernel did not copy, then the captured tail.
//!
//! The same bookkeeping as HTTP/1.x's (parsers share nothing but the
//! chunk): the one place that trusts `total_len`/`tail`, defensively — a
//! `total_len` below what was captured, or a tail overlapping the prefix,
//! must not count bytes twice or panic.

use super::super::chunk::Chunk;

/// One stretch of a direction's byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Segment<'a> {
    /// Bytes the kernel captured.
    Bytes(&'a [u8]),
    /// This many bytes went by uncaptured.
    Gap(u64),
}

/// The segments of `chunk`, in stream order; empty ones are left out.
pub(super) fn segments<'a>(chunk: &Chunk<'a>) -> impl Iterator<Item = Segment<'a>> {
    let data = chunk.data;
    let missing = chunk.total_len.saturating_sub(data.len());
    // A tail longer than what is missing overlaps the prefix: keep only the
    // bytes that follow it.
    let tail = &chunk.tail[chunk.tail.len().saturating_sub(missing)..];
    let gap = missing - tail.len();
    let data = (!data.is_empty()).then_some(Segment::Bytes(data));
    let gap = (gap > 0).then_some(Segment::Gap(gap as u64));
    let tail = (!tail.is_empty()).then_some(Segment::Bytes(tail));
    [data, gap, tail].into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all<'a>(data: &'a [u8], total_len: usize, tail: &'a [u8]) -> Vec<Segment<'a>> {
        let chunk = Chunk {
            data,
            total_len,
            tail,
            timestamp_ns: 0,
            tid: 0,
        };
        segments(&chunk).collect()
    }

    #[test]
    fn prefix_gap_and_tail() {
        assert_eq!(all(b"abc", 3, b""), [Segment::Bytes(b"abc")]);
        assert!(all(b"", 0, b"").is_empty());
        assert_eq!(
            all(b"abc", 10, b"xy"),
            [
                Segment::Bytes(b"abc"),
                Segment::Gap(5),
                Segment::Bytes(b"xy")
            ]
        );
        assert_eq!(
            all(b"abc", 10, b""),
            [Segment::Bytes(b"abc"), Segment::Gap(7)]
        );
    }

    #[test]
    fn inconsistent_lengths_are_tolerated() {
        assert_eq!(all(b"abc", 1, b"zz"), [Segment::Bytes(b"abc")]);
        assert_eq!(
            all(b"abc", 5, b"bcde"),
            [Segment::Bytes(b"abc"), Segment::Bytes(b"de")]
        );
    }
}
