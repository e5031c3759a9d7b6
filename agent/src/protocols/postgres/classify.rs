//! Whether captured bytes look like the start of PostgreSQL messages: to
//! classify a connection from its first client bytes, and to find a
//! message boundary again at the start of a syscall's payload.

use super::messages::{
    be_u32, fixed_len, frontend, is_backend_tag, is_frontend_tag, CANCEL_REQUEST, GSSENC_REQUEST,
    MAX_MESSAGE_LEN, MAX_STARTUP_LEN, PROTOCOL_3, SSL_REQUEST,
};

/// Messages checked after the first one, when captured whole.
const MESSAGES_CHECKED: usize = 4;

/// Whether `first_bytes`, the first bytes a client sent on a connection,
/// look like PostgreSQL: a StartupMessage (protocol 3), an SSLRequest, a
/// GSSENCRequest or a CancelRequest, or — for a connection opened before
/// the capture started — a Query or Parse message with a sane length and
/// text.
pub fn looks_like_client_start(first_bytes: &[u8]) -> bool {
    starts_startup_packet(first_bytes) || starts_query_or_parse(first_bytes)
}

/// An untyped packet a client starts a connection with.
pub(super) fn starts_startup_packet(data: &[u8]) -> bool {
    let (Some(len), Some(code)) = (be_u32(data, 0), be_u32(data, 4)) else {
        return false;
    };
    match code {
        SSL_REQUEST | GSSENC_REQUEST => len == 8,
        // 16 bytes in protocol 3.0; longer keys since 3.2.
        CANCEL_REQUEST => (16..=264).contains(&len),
        _ => {
            code >> 16 == PROTOCOL_3
                && (9..=MAX_STARTUP_LEN).contains(&len)
                // The first parameter name, when there is one, is text.
                && data
                    .get(8)
                    .is_none_or(|&b| b == 0 || b.is_ascii_lowercase() || b == b'_')
        }
    }
}

/// A Query or Parse message.
fn starts_query_or_parse(data: &[u8]) -> bool {
    match data.first() {
        Some(&frontend::QUERY) | Some(&frontend::PARSE) => starts_frontend_message(data),
        _ => false,
    }
}

/// Whether a client syscall's payload starting with `data` starts a
/// message: the first message's header is sane, and so are those of the
/// messages that follow it in `data`.
pub(super) fn starts_frontend_message(data: &[u8]) -> bool {
    starts_messages(data, true)
}

/// [`starts_frontend_message`] for a server's payload.
pub(super) fn starts_backend_message(data: &[u8]) -> bool {
    starts_messages(data, false)
}

fn starts_messages(data: &[u8], frontend: bool) -> bool {
    let mut rest = data;
    for index in 0..=MESSAGES_CHECKED {
        if rest.is_empty() && index > 0 {
            return true;
        }
        let Some(len) = sane_header(rest, frontend) else {
            return false;
        };
        let body = rest.get(5..).unwrap_or_default();
        let body_len = (len - 4) as usize;
        if frontend && !sane_frontend_body(rest[0], &body[..body.len().min(body_len)]) {
            return false;
        }
        match rest.get(1 + len as usize..) {
            Some(next) => rest = next,
            // The message runs past what was captured.
            None => return true,
        }
    }
    true
}

/// The length field of the message header at the start of `data`, when
/// its tag and length are possible.
fn sane_header(data: &[u8], frontend: bool) -> Option<u32> {
    let (&tag, _) = data.split_first()?;
    let known = if frontend {
        is_frontend_tag(tag)
    } else {
        is_backend_tag(tag)
    };
    let len = be_u32(data, 1)?;
    let sane = known
        && (4..=MAX_MESSAGE_LEN).contains(&len)
        && fixed_len(tag, frontend).is_none_or(|fixed| fixed == len);
    sane.then_some(len)
}

/// Whether the captured part of a Query's or Parse's body is text where
/// text is expected: a statement name and SQL have no control characters
/// but whitespace, and a Query is one string.
fn sane_frontend_body(tag: u8, body: &[u8]) -> bool {
    let text = |bytes: &[u8]| {
        bytes
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r'))
    };
    match tag {
        frontend::QUERY => match body.iter().position(|&b| b == 0) {
            Some(end) => end + 1 == body.len() && text(&body[..end]),
            None => text(body),
        },
        frontend::PARSE => {
            let Some(name_end) = body.iter().position(|&b| b == 0) else {
                return text(body);
            };
            let rest = &body[name_end + 1..];
            let sql_end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            text(&body[..name_end]) && text(&rest[..sql_end])
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_packets() {
        assert!(looks_like_client_start(b"\0\0\0\x08\x04\xd2\x16/"));
        assert!(looks_like_client_start(b"\0\0\0\x08\x04\xd2\x160"));
        assert!(looks_like_client_start(
            b"\0\0\0:\0\x03\0\0user\0sonde\0database\0shop\0\0"
        ));
        assert!(looks_like_client_start(
            b"\0\0\0\x10\x04\xd2\x16.\0\0\0\x01\0\0\0\x02"
        ));
        // Protocol 2, a huge startup, a bad SSLRequest length.
        assert!(!looks_like_client_start(b"\0\0\0:\0\x02\0\0user\0a\0\0"));
        assert!(!looks_like_client_start(b"\0\x01\0\0\0\x03\0\0user\0a\0\0"));
        assert!(!looks_like_client_start(b"\0\0\0\x09\x04\xd2\x16/"));
        assert!(!looks_like_client_start(b"\0\0\0"));
    }

    #[test]
    fn queries_and_parses() {
        assert!(looks_like_client_start(b"Q\0\0\0\rSELECT 1\0"));
        assert!(looks_like_client_start(b"Q\0\0\x10\0SELECT * FROM t WHERE"));
        assert!(looks_like_client_start(
            b"P\0\0\0\x1a\0SELECT $1::int\0\0\x01\0\0\0\x15B\0\0\0\x16"
        ));
        // Text with a NUL inside, control bytes, a length too short or huge.
        assert!(!looks_like_client_start(b"Q\0\0\0\rSEL\0CT 1\0"));
        assert!(!looks_like_client_start(b"Q\0\0\0\x0d\x01\x02\x03"));
        assert!(!looks_like_client_start(b"Q\0\0\0\x03"));
        assert!(!looks_like_client_start(b"Q\x7f\0\0\0SELECT"));
        // Other messages, HTTP, TLS.
        assert!(!looks_like_client_start(b"S\0\0\0\x04"));
        assert!(!looks_like_client_start(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_client_start(
            b"\x16\x03\x01\x02\0\x01\0\x01\xfc\x03\x03"
        ));
        assert!(!looks_like_client_start(b""));
    }

    #[test]
    fn message_starts_check_what_follows() {
        assert!(starts_backend_message(
            b"1\0\0\0\x042\0\0\0\x04n\0\0\0\x04C\0\0\0\rUPDATE 1\0Z\0\0\0\x05I"
        ));
        assert!(starts_backend_message(b"D\0\0\x10\0\0\x01"));
        // A sane first header followed by garbage.
        assert!(!starts_backend_message(b"1\0\0\0\x04\xff\xff"));
        assert!(!starts_backend_message(b"Z\0\0\0\x06I"));
        assert!(starts_frontend_message(b"S\0\0\0\x04"));
        assert!(!starts_frontend_message(b"Z\0\0\0\x05I"));
    }
}
