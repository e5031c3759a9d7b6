//! Whether a connection's first bytes look like MySQL: for choosing the
//! parser of a connection from what the kernel captured of its first
//! read or write.

use super::command::{
    COM_CHANGE_USER, COM_FIELD_LIST, COM_INIT_DB, COM_PING, COM_QUERY, COM_QUIT,
    COM_RESET_CONNECTION, COM_SET_OPTION, COM_STMT_BULK_EXECUTE, COM_STMT_CLOSE, COM_STMT_EXECUTE,
    COM_STMT_FETCH, COM_STMT_PREPARE, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA,
};

/// Whether `first` (the first bytes a server wrote on a connection) starts
/// with a protocol-10 greeting: sequence 0, version 10, a printable
/// version string starting with a digit.
pub fn looks_like_server_greeting(first: &[u8]) -> bool {
    let Some((len, 0, payload)) = header(first) else {
        return false;
    };
    let Some((&10, rest)) = payload.split_first() else {
        return false;
    };
    let version = match rest.iter().position(|&byte| byte == 0) {
        Some(end) => rest.get(..end).unwrap_or_default(),
        None if rest.len() < 64 => rest,
        None => return false,
    };
    (30..=1024).contains(&len)
        && version.len() <= 64
        && version.first().is_none_or(u8::is_ascii_digit)
        && version.iter().all(|&byte| byte.is_ascii_graphic())
}

/// Whether `first` (the first bytes a client wrote, or of any client
/// write) starts with a command packet: sequence 0, a known command whose
/// length fits it, and for a query, text.
pub fn looks_like_command(first: &[u8]) -> bool {
    let Some((len, 0, payload)) = header(first) else {
        return false;
    };
    let Some((&code, body)) = payload.split_first() else {
        return false;
    };
    match code {
        COM_QUIT | COM_PING | COM_RESET_CONNECTION | 0x09 | 0x0a | 0x0d => len == 1,
        COM_STMT_CLOSE | COM_STMT_RESET | 0x0c => len == 5,
        COM_STMT_FETCH => len == 9,
        COM_SET_OPTION => len == 3,
        COM_STMT_EXECUTE => len >= 10,
        COM_STMT_SEND_LONG_DATA | COM_STMT_BULK_EXECUTE => len >= 7,
        COM_QUERY => len >= 2 && looks_like_text(body),
        COM_INIT_DB | COM_FIELD_LIST | COM_STMT_PREPARE | COM_CHANGE_USER | 0x05 | 0x06 => len >= 2,
        _ => false,
    }
}

/// A packet header at the start of `bytes`: payload length, sequence id,
/// and the captured payload.
pub(super) fn header(bytes: &[u8]) -> Option<(u32, u8, &[u8])> {
    let (&[a, b, c, seq], payload) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes([a, b, c, 0]);
    Some((len, seq, payload))
}

/// COM_QUERY's first bytes: text (no control characters but white space),
/// or the query attributes of MySQL 8 (a count, then a set count of 1).
fn looks_like_text(body: &[u8]) -> bool {
    if let [count, 1, ..] = body {
        if *count < 0x20 && !count.is_ascii_whitespace() {
            return true;
        }
    }
    body.iter()
        .take(16)
        .all(|&byte| byte >= 0x20 || byte.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings() {
        let mut greeting = b"\x5b\0\0\0\x0a5.5.5-10.11.6-MariaDB\0\x08\0\0\0".to_vec();
        greeting.extend_from_slice(&[b'x'; 70]);
        assert!(looks_like_server_greeting(&greeting));
        assert!(looks_like_server_greeting(&greeting[..12]));
        assert!(!looks_like_server_greeting(b"\x5b\0\0\x01\x0a5.5"));
        assert!(!looks_like_server_greeting(b"HTTP/1.1 200 OK\r\n"));
        assert!(!looks_like_server_greeting(b"\x5b\0\0\0\x0b5.5"));
        assert!(!looks_like_server_greeting(b"\x5b\0\0"));
    }

    #[test]
    fn commands() {
        assert!(looks_like_command(b"\x09\0\0\0\x03SELECT 1"));
        assert!(looks_like_command(b"\x01\0\0\0\x0e"));
        assert!(looks_like_command(b"\x01\0\0\0\x01"));
        assert!(looks_like_command(b"\x05\0\0\0\x19\x01\0\0\0"));
        assert!(looks_like_command(b"\x0b\0\0\0\x03\0\x01SELECT 1"));
        assert!(!looks_like_command(b"\x02\0\0\0\x0e\0"));
        assert!(!looks_like_command(b"\x09\0\0\x01\x03SELECT 1"));
        assert!(!looks_like_command(b"\x09\0\0\0\x03\x16\x03\x01\0"));
        assert!(!looks_like_command(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_command(
            b"\x16\x03\x01\x02\0\x01\0\x01\xfc\x03\x03"
        ));
        assert!(!looks_like_command(b""));
    }
}
