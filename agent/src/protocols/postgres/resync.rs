//! Finding a lost stream's message boundaries again.
//!
//! - Client side: a message starts at the start of a syscall's payload
//!   (libpq and psycopg write whole messages), so the next chunk whose
//!   first bytes are sane message headers (`classify.rs`) is read.
//! - Server side: servers flush at a ReadyForQuery, but a large result is
//!   written in 8 KiB pieces that cut messages anywhere, so chunk starts
//!   are not trusted. The reader scans the captured bytes for a
//!   ReadyForQuery (`Z`, length 5, status `I`, `T` or `E`) that ends the
//!   captured bytes or is followed by a backend message's type byte: after
//!   it, messages are aligned again. The message ending right before it —
//!   a CommandComplete or ErrorResponse, typically in a large result's
//!   captured tail — is recovered too, so that a call still gets its rows
//!   or its error.
//! - A connection picked up mid-conversation: the client's first chunk
//!   starts a message; the server's first chunk is read if it starts with
//!   sane messages (the connection was idle: the previous answer ended
//!   with a ReadyForQuery and a flush), otherwise the server side waits for
//!   a ReadyForQuery as above, which then answers something sent before
//!   the capture started.

use super::messages::{backend, be_u32, is_backend_tag};

/// Bytes of a lost stream kept from one segment to the next, so that a
/// ReadyForQuery, and the message before it, cut by a syscall boundary
/// are still found.
pub(super) const CARRY: usize = 256;

/// Where a ReadyForQuery lies in a scanned window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ready {
    pub start: usize,
    pub end: usize,
}

/// Whether a client's payload starts with a TLS handshake record (a
/// direct TLS connection, or TLS after an accepted SSLRequest).
pub(super) fn starts_tls(data: &[u8]) -> bool {
    data.len() >= 3 && data[0] == 0x16 && data[1] == 0x03
}

/// The first acceptable ReadyForQuery in `window` that ends after
/// `from` (the bytes before were scanned already).
pub(super) fn find_ready_for_query(window: &[u8], from: usize) -> Option<Ready> {
    let first_start = from.saturating_sub(5);
    let mut start = first_start;
    while let Some(offset) = window
        .get(start..)?
        .iter()
        .position(|&b| b == backend::READY_FOR_QUERY)
    {
        let at = start + offset;
        let end = at + 6;
        let message = window.get(at..end)?;
        let followed = window.get(end).is_none_or(|&next| is_backend_tag(next));
        if message[1..5] == [0, 0, 0, 5] && matches!(message[5], b'I' | b'T' | b'E') && followed {
            return Some(Ready { start: at, end });
        }
        start = at + 1;
    }
    None
}

/// A CommandComplete, EmptyQueryResponse or ErrorResponse ending right
/// at `end` in `window`: its type byte and body.
pub(super) fn message_before(window: &[u8], end: usize) -> Option<(u8, &[u8])> {
    let lowest = end.saturating_sub(CARRY);
    for start in (lowest..end.saturating_sub(4)).rev() {
        let tag = window[start];
        if !matches!(
            tag,
            backend::COMMAND_COMPLETE | backend::EMPTY_QUERY_RESPONSE | backend::ERROR_RESPONSE
        ) {
            continue;
        }
        if be_u32(window, start + 1).and_then(|len| usize::try_from(len).ok())
            != Some(end - start - 1)
        {
            continue;
        }
        let body = &window[start + 5..end];
        let sane = match tag {
            backend::EMPTY_QUERY_RESPONSE => body.is_empty(),
            // A tag: printable, NUL-terminated.
            backend::COMMAND_COMPLETE => body.split_last().is_some_and(|(&nul, text)| {
                nul == 0 && !text.is_empty() && text.iter().all(|b| (0x20..0x7f).contains(b))
            }),
            // Fields, each NUL-terminated, then a NUL.
            _ => body.ends_with(&[0, 0]) && body.first().is_some_and(u8::is_ascii_uppercase),
        };
        if sane {
            return Some((tag, body));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_for_query_is_found_where_it_may_end_a_write() {
        let bytes = b"xxxxC\0\0\0\x10SELECT 1500\0Z\0\0\0\x05I";
        let ready = find_ready_for_query(bytes, 0).unwrap();
        assert_eq!(ready.end, bytes.len());
        assert_eq!(
            message_before(bytes, ready.start),
            Some((b'C', &b"SELECT 1500\0"[..]))
        );
        // Followed by a backend message (an asynchronous notification).
        assert!(find_ready_for_query(b"Z\0\0\0\x05IA\0\0\0\x19", 0).is_some());
        // Followed by anything else: data that looks alike.
        assert!(find_ready_for_query(b"Z\0\0\0\x05Ixyz", 0).is_none());
        assert!(find_ready_for_query(b"Z\0\0\0\x05X", 0).is_none());
        assert!(find_ready_for_query(b"Z\0\0\0\x05", 0).is_none());
        // Only those ending after `from`.
        assert!(find_ready_for_query(b"Z\0\0\0\x05I", 6).is_none());
        assert!(find_ready_for_query(b"Z\0\0\0\x05I", 5).is_some());
    }

    #[test]
    fn messages_before_are_recovered_only_when_they_fit() {
        let error = b"..E\0\0\0\x13SERROR\0C42P01\0\0";
        assert_eq!(
            message_before(error, error.len()),
            Some((b'E', &b"SERROR\0C42P01\0\0"[..]))
        );
        assert_eq!(message_before(b"I\0\0\0\x04", 5), Some((b'I', &b""[..])));
        assert_eq!(message_before(b"C\0\0\0\x06\x01\0", 7), None);
        assert_eq!(message_before(b"xxxxxxxx", 8), None);
        assert_eq!(message_before(b"", 0), None);
    }

    #[test]
    fn tls_records() {
        assert!(starts_tls(b"\x16\x03\x01\x02\0"));
        assert!(!starts_tls(b"\x16\x03"));
        assert!(!starts_tls(b"Q\0\0\0\x05"));
    }
}
