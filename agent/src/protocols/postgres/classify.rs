//! Whether captured bytes look like the start of PostgreSQL messages: to
//! find a message boundary again at the start of a syscall's payload.
//! (Connections are classified in the kernel: sonde_common::classify.)

use super::messages::{
    be_u32, fixed_len, frontend, is_backend_tag, is_frontend_tag, MAX_MESSAGE_LEN,
};

/// Messages checked after the first one, when captured whole.
const MESSAGES_CHECKED: usize = 4;

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
