//! Finding our place again when framing is lost.
//!
//! Two heuristics, both needed because the kernel captures only the start
//! (and last bytes) of each syscall:
//!
//! - A message starts at the start of a syscall's payload. Clients write a
//!   request in one go and servers a response head in one go, so after the
//!   parser loses track (garbage, a head larger than what was captured, a
//!   message hidden in uncaptured bytes), the next chunk that *starts* with
//!   a complete request line (`METHOD SP target SP HTTP/1.x`, method in
//!   capitals) or a status line (`HTTP/1.x NNN`) is taken as the next
//!   message. Starts inside a chunk are not looked for: body bytes could
//!   contain anything.
//! - The end of a chunked body whose chunk sizes went uncaptured is the
//!   terminating `0\r\n` plus trailer section (`\r\n` without trailers),
//!   preceded by the `\r\n` that ends the last data chunk, found in the
//!   captured bytes (typically the 64-byte tail, where the writer's last
//!   bytes are). It is accepted only where it ends the syscall's payload, or
//!   is followed by what may be the next message's start: `0\r\n\r\n` inside
//!   data is then unlikely to be taken for the end.

use httparse::{Status, EMPTY_HEADER};

use super::head::Kind;

/// Trailer fields the terminator heuristic accepts; more is not a terminator.
const MAX_TRAILERS: usize = 16;

/// Whether a chunk whose payload starts with `data` starts a message.
pub(super) fn starts_message(kind: Kind, data: &[u8]) -> bool {
    match kind {
        Kind::Request => starts_request(data),
        Kind::Response => starts_response(data),
    }
}

/// A complete request line with a capitalised method.
fn starts_request(data: &[u8]) -> bool {
    let Some(end) = data.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let method_len = data.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if method_len == 0 || data.get(method_len) != Some(&b' ') {
        return false;
    }
    let mut headers = [EMPTY_HEADER; 0];
    let mut request = httparse::Request::new(&mut headers);
    // The line alone: valid so far means a valid request line.
    matches!(request.parse(&data[..=end]), Ok(Status::Partial))
}

/// `HTTP/1.x NNN` followed by a space or the end of the line.
fn starts_response(data: &[u8]) -> bool {
    let Some(rest) = data
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| data.strip_prefix(b"HTTP/1.0 "))
    else {
        return false;
    };
    rest.len() >= 4
        && rest[..3].iter().all(u8::is_ascii_digit)
        && matches!(rest[3], b' ' | b'\r' | b'\n')
}

/// Whether `bytes`, found right after a chunked terminator, may start the
/// next message (less is asked than of a chunk start: the message may be
/// cut by the end of the capture).
fn may_start_message(kind: Kind, bytes: &[u8]) -> bool {
    match kind {
        Kind::Request => {
            let method_len = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
            method_len > 0 && bytes.get(method_len) == Some(&b' ')
        }
        Kind::Response => bytes.starts_with(b"HTTP/1."),
    }
}

/// Where a chunked body ends in `window`, a stretch of contiguous captured
/// bytes read after the chunk framing was lost: the end (exclusive) of the
/// first acceptable terminator that ends after `from` (the terminators
/// ending before were looked at already).
///
/// `region_start`: the window's first byte follows a gap, so a terminator
/// may start there without the `\r\n` before it being seen. `payload_end`:
/// the window's last byte ends a syscall's payload.
pub(super) fn chunked_terminator(
    kind: Kind,
    window: &[u8],
    from: usize,
    region_start: bool,
    payload_end: bool,
) -> Option<usize> {
    let candidates = window
        .iter()
        .enumerate()
        .filter(|&(i, &b)| {
            b == b'0'
                && (if i == 0 {
                    region_start
                } else {
                    window[..i].ends_with(b"\r\n")
                })
        })
        .map(|(i, _)| i);
    for start in candidates {
        let Ok(Status::Complete((size_len, 0))) = httparse::parse_chunk_size(&window[start..])
        else {
            continue;
        };
        let mut trailers = [EMPTY_HEADER; MAX_TRAILERS];
        let Ok(Status::Complete((trailers_len, _))) =
            httparse::parse_headers(&window[start + size_len..], &mut trailers)
        else {
            continue;
        };
        let end = start + size_len + trailers_len;
        if end <= from {
            continue;
        }
        let accepted = if end == window.len() {
            payload_end
        } else {
            may_start_message(kind, &window[end..])
        };
        if accepted {
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_starts() {
        assert!(starts_message(
            Kind::Request,
            b"GET / HTTP/1.1\r\nHost: a\r\n"
        ));
        assert!(starts_message(Kind::Request, b"PROPFIND /x HTTP/1.0\n"));
        // The line must be complete and valid.
        assert!(!starts_message(Kind::Request, b"GET / HTTP/1.1"));
        assert!(!starts_message(Kind::Request, b"GET / HTTP/3\r\n"));
        assert!(!starts_message(Kind::Request, b"get / HTTP/1.1\r\n"));
        assert!(!starts_message(Kind::Request, b"GET  HTTP/1.1\r\n"));
        assert!(!starts_message(Kind::Request, b"\r\nGET / HTTP/1.1\r\n"));
        assert!(!starts_message(Kind::Request, b""));
        assert!(!starts_message(Kind::Request, b"HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn response_starts() {
        assert!(starts_message(Kind::Response, b"HTTP/1.1 200 OK\r\n"));
        assert!(starts_message(Kind::Response, b"HTTP/1.0 404\r\n"));
        assert!(!starts_message(Kind::Response, b"HTTP/1.1 20"));
        assert!(!starts_message(Kind::Response, b"HTTP/2 200 OK\r\n"));
        assert!(!starts_message(Kind::Response, b"GET / HTTP/1.1\r\n"));
    }

    fn end(window: &[u8], from: usize, region_start: bool, payload_end: bool) -> Option<usize> {
        chunked_terminator(Kind::Response, window, from, region_start, payload_end)
    }

    #[test]
    fn terminators_at_the_end_of_the_payload() {
        let body = b"abc\r\n0\r\n\r\n";
        assert_eq!(end(body, 0, false, true), Some(body.len()));
        // Not known to end the payload: bytes of the next message may be
        // missing after it.
        assert_eq!(end(body, 0, false, false), None);
        // With trailers and a zero-padded size with an extension.
        let body = b"xyz\r\n000;a=b\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n";
        assert_eq!(end(body, 0, false, true), Some(body.len()));
        // Right at the start of a region only when the region follows a gap.
        assert_eq!(end(b"0\r\n\r\n", 0, true, true), Some(5));
        assert_eq!(end(b"0\r\n\r\n", 0, false, true), None);
        // Incomplete.
        assert_eq!(end(b"abc\r\n0\r\n", 0, false, true), None);
        assert_eq!(end(b"abc\r\n0\r\nX-A: 1\r\n", 0, false, true), None);
    }

    #[test]
    fn terminators_followed_by_the_next_message() {
        let bytes = b"data\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n";
        assert_eq!(end(bytes, 0, false, false), Some(11));
        let bytes = b"data\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        assert_eq!(
            chunked_terminator(Kind::Request, bytes, 0, false, true),
            Some(11)
        );
        // Followed by anything else: body data that happens to look alike.
        assert_eq!(end(b"data\r\n0\r\n\r\nmore data", 0, false, true), None);
        // The first acceptable one wins.
        let bytes = b"a\r\n0\r\n\r\nxx\r\n0\r\n\r\n";
        assert_eq!(end(bytes, 0, false, true), Some(bytes.len()));
    }

    #[test]
    fn only_terminators_ending_after_from_count() {
        let bytes = b"a\r\n0\r\n\r\n";
        assert_eq!(end(bytes, bytes.len(), false, true), None);
        assert_eq!(end(bytes, bytes.len() - 1, false, true), Some(bytes.len()));
    }

    #[test]
    fn non_zero_sizes_are_not_terminators() {
        assert_eq!(end(b"a\r\n10\r\n\r\n", 0, false, true), None);
        assert_eq!(end(b"a\r\n0a\r\n\r\n", 0, false, true), None);
        assert_eq!(end(b"a\r\n0\r\nnot a field\r\n\r\n", 0, false, true), None);
    }
}
