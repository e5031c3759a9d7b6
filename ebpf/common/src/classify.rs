//! Which protocol a connection speaks, and which side of it the observed
//! process is, from the first 8 bytes of one read or write.
//!
//! The kernel programs run this on a connection's first payloads and copy
//! payloads only for the protocols it names. It is deliberately strict: a
//! false positive costs a copy per syscall of that connection for its life,
//! a false negative only that connection's telemetry. The agent's parsers
//! check far more (`agent/src/protocols/*/classify.rs`).
//!
//! Database protocols are classified on the client side only: sonde
//! reports the calls an application makes, and a database server's own
//! connections are left alone. Connections opened before the capture
//! started are recognised by the commands a client sends on them. One
//! ambiguity remains: a Redis server picked up mid-connection whose first
//! payload seen is an array reply it sends reads as a client's command.

use crate::event::{
    DIRECTION_RECEIVED, DIRECTION_SENT, PROTOCOL_HTTP1, PROTOCOL_MYSQL, PROTOCOL_OTHER,
    PROTOCOL_POSTGRES, PROTOCOL_REDIS, ROLE_CLIENT, ROLE_SERVER,
};

/// Whether the payloads of connections of `protocol` are captured.
#[inline(always)]
pub fn is_captured(protocol: u32) -> bool {
    protocol == PROTOCOL_HTTP1
        || protocol == PROTOCOL_POSTGRES
        || protocol == PROTOCOL_MYSQL
        || protocol == PROTOCOL_REDIS
}

/// What a payload says about its connection: `(PROTOCOL_*, ROLE_*)`.
pub type Classification = (u32, u32);

/// Classifies a payload of `len` bytes starting with `first` (bytes past
/// `len` are garbage) read or written in `direction` on a connection whose
/// side is `known_role` (`ROLE_*`, 0 when its opening was not seen). `None`
/// when it is not recognisable (yet); `(PROTOCOL_OTHER, ROLE_SERVER)` for
/// the server's side of a database connection, which is left alone.
#[inline(always)]
pub fn classify(
    first: &[u8; 8],
    len: u32,
    direction: u32,
    known_role: u32,
) -> Option<Classification> {
    if let Some(classification) = http1(first, direction) {
        return Some(classification);
    }
    let client_message = |first, len| {
        if postgres_client_message(first, len) {
            Some(PROTOCOL_POSTGRES)
        } else if mysql_command(first, len) {
            Some(PROTOCOL_MYSQL)
        } else if redis_command(first, len) {
            Some(PROTOCOL_REDIS)
        } else {
            None
        }
    };
    const DATABASE_SERVER: Option<Classification> = Some((PROTOCOL_OTHER, ROLE_SERVER));
    let protocol = if direction == DIRECTION_SENT {
        if mysql_greeting(first, len) {
            return DATABASE_SERVER;
        }
        client_message(first, len)?
    } else if direction == DIRECTION_RECEIVED {
        // A PostgreSQL or MySQL client message read: the server's side. A
        // Redis array read may be a command or an array reply: undecided,
        // unless the connection is known to be an accepted one.
        match client_message(first, len) {
            Some(PROTOCOL_REDIS) if known_role != ROLE_SERVER => return None,
            Some(_) => return DATABASE_SERVER,
            None => {}
        }
        if !mysql_greeting(first, len) {
            return None;
        }
        PROTOCOL_MYSQL
    } else {
        return None;
    };
    if known_role == ROLE_SERVER {
        // An accepted connection: a reply that looks like a command.
        return DATABASE_SERVER;
    }
    Some((protocol, ROLE_CLIENT))
}

#[inline(always)]
fn starts_with(bytes: &[u8; 8], prefix: &[u8]) -> bool {
    let mut i = 0;
    while i < prefix.len() && i < 8 {
        if bytes[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A request line received (server) or sent (client), or a status line
/// sent (server) or received (client).
#[inline(always)]
fn http1(first: &[u8; 8], direction: u32) -> Option<Classification> {
    let request = starts_with(first, b"GET /")
        || starts_with(first, b"POST /")
        || starts_with(first, b"PUT /")
        || starts_with(first, b"HEAD /")
        || starts_with(first, b"DELETE /")
        || starts_with(first, b"PATCH /")
        || starts_with(first, b"OPTIONS ");
    let response = starts_with(first, b"HTTP/1.");
    if !request && !response {
        return None;
    }
    let server =
        (request && direction == DIRECTION_RECEIVED) || (response && direction == DIRECTION_SENT);
    Some((
        PROTOCOL_HTTP1,
        if server { ROLE_SERVER } else { ROLE_CLIENT },
    ))
}

fn be_u32(bytes: &[u8; 8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Text as SQL and statement names are: printable ASCII, white space, or
/// UTF-8 (any byte from 0x80).
#[inline(always)]
fn text_byte(byte: u8) -> bool {
    byte >= 0x20 && byte != 0x7f || byte == b'\t' || byte == b'\n' || byte == b'\r'
}

/// PostgreSQL: what a client opens a connection with (StartupMessage of
/// protocol 3, SSLRequest, GSSENCRequest), or a Query or Parse (a pooled
/// connection), whose first message must fit the write.
#[inline(always)]
fn postgres_client_message(first: &[u8; 8], len: u32) -> bool {
    if len < 8 {
        return false;
    }
    const SSL_REQUEST: u32 = 80_877_103;
    const GSSENC_REQUEST: u32 = 80_877_104;
    if first[0] == 0 && first[1] == 0 {
        let length = be_u32(first, 0);
        let code = be_u32(first, 4);
        return match code {
            SSL_REQUEST | GSSENC_REQUEST => length == 8 && len == 8,
            _ => code >> 16 == 3 && (9..=10_000).contains(&length) && length <= len,
        };
    }
    if first[0] != b'Q' && first[0] != b'P' {
        return false;
    }
    // Tag, then a length under 16 MiB counting itself, at least one byte.
    let length = u32::from_be_bytes([0, first[2], first[3], first[4]]);
    if first[1] != 0 || length < 5 || length >= len {
        return false;
    }
    // A Query is text; a Parse starts with a statement name, often empty.
    let mut i = 5;
    while i < 8 {
        if !(text_byte(first[i]) || first[0] == b'P' && first[i] == 0) {
            return false;
        }
        i += 1;
    }
    true
}

/// MySQL/MariaDB: the server's greeting (protocol 10, a version string
/// starting with a digit), the first packet of a connection.
#[inline(always)]
fn mysql_greeting(first: &[u8; 8], len: u32) -> bool {
    let length = u32::from_le_bytes([first[0], first[1], first[2], 0]);
    len >= 8
        && (30..=1024).contains(&length)
        && first[3] == 0
        && first[4] == 10
        && first[5].is_ascii_digit()
}

/// MySQL/MariaDB: a client command starting a write (a pooled
/// connection): sequence 0, a query or prepare whose text starts with
/// text, or an execute, and the whole packet in the write.
#[inline(always)]
fn mysql_command(first: &[u8; 8], len: u32) -> bool {
    const COM_QUERY: u8 = 0x03;
    const COM_STMT_PREPARE: u8 = 0x16;
    const COM_STMT_EXECUTE: u8 = 0x17;
    let length = u32::from_le_bytes([first[0], first[1], first[2], 0]);
    if len < 8 || first[3] != 0 || length + 4 != len {
        return false;
    }
    match first[4] {
        COM_QUERY | COM_STMT_PREPARE => {
            text_byte(first[5]) && text_byte(first[6]) && text_byte(first[7])
        }
        COM_STMT_EXECUTE => length >= 10,
        _ => false,
    }
}

/// Redis: a command as clients send them, a RESP array of bulk strings
/// (`*3\r\n$3\r\nSET…`).
#[inline(always)]
fn redis_command(first: &[u8; 8], len: u32) -> bool {
    if len < 8 || first[0] != b'*' || !first[1].is_ascii_digit() || first[1] == b'0' {
        return false;
    }
    // One to three digits of count, then CRLF and a bulk string.
    let mut i = 2;
    while i < 4 && first[i].is_ascii_digit() {
        i += 1;
    }
    first[i] == b'\r' && first[i + 1] == b'\n' && first[i + 2] == b'$'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_bytes(bytes: &[u8], direction: u32) -> Option<Classification> {
        let mut first = [0u8; 8];
        let n = bytes.len().min(8);
        first[..n].copy_from_slice(&bytes[..n]);
        classify(&first, bytes.len() as u32, direction, 0)
    }

    const SENT: u32 = DIRECTION_SENT;
    const RECEIVED: u32 = DIRECTION_RECEIVED;
    const PG: Option<Classification> = Some((PROTOCOL_POSTGRES, ROLE_CLIENT));
    const MYSQL: Option<Classification> = Some((PROTOCOL_MYSQL, ROLE_CLIENT));
    const REDIS: Option<Classification> = Some((PROTOCOL_REDIS, ROLE_CLIENT));
    const SERVER: Option<Classification> = Some((PROTOCOL_OTHER, ROLE_SERVER));

    #[test]
    fn http_sides() {
        assert_eq!(
            classify_bytes(b"GET / HTTP/1.1\r\n", RECEIVED),
            Some((PROTOCOL_HTTP1, ROLE_SERVER))
        );
        assert_eq!(
            classify_bytes(b"POST /x HTTP/1.1\r\n", SENT),
            Some((PROTOCOL_HTTP1, ROLE_CLIENT))
        );
        assert_eq!(
            classify_bytes(b"HTTP/1.1 200 OK\r\n", SENT),
            Some((PROTOCOL_HTTP1, ROLE_SERVER))
        );
        assert_eq!(
            classify_bytes(b"HTTP/1.0 404 Not", RECEIVED),
            Some((PROTOCOL_HTTP1, ROLE_CLIENT))
        );
    }

    #[test]
    fn postgres_starts() {
        assert_eq!(classify_bytes(b"\0\0\0\x08\x04\xd2\x16/", SENT), PG);
        assert_eq!(classify_bytes(b"\0\0\0\x08\x04\xd2\x160", SENT), PG);
        assert_eq!(
            classify_bytes(b"\0\0\0\x22\0\x03\0\0user\0sonde\0database\0shop\0\0", SENT),
            PG
        );
        // A server reading them is left alone.
        assert_eq!(classify_bytes(b"\0\0\0\x08\x04\xd2\x16/", RECEIVED), SERVER);
        // Protocol 2, a length past the write.
        assert_eq!(
            classify_bytes(b"\0\0\0\x26\0\x02\0\0user\0a\0\0", SENT),
            None
        );
        assert_eq!(
            classify_bytes(b"\0\0\x01\0\0\x03\0\0user\0a\0\0", SENT),
            None
        );
    }

    #[test]
    fn postgres_pooled_connections() {
        assert_eq!(classify_bytes(b"Q\0\0\0\rSELECT 1\0", SENT), PG);
        let mut extended = b"P\0\0\0\x1a\0SELECT $1::int\0\0\x01\0\0\0\x17".to_vec();
        extended.extend_from_slice(b"B\0\0\0\x0c\0\0\0\0\0\0\0\0S\0\0\0\x04");
        assert_eq!(classify_bytes(&extended, SENT), PG);
        assert_eq!(
            classify_bytes(b"P\0\0\0\x16_pg3_0\0SELECT 1\0\0\0", SENT),
            PG
        );
        // The message longer than the write, control bytes, a huge length.
        assert_eq!(classify_bytes(b"Q\0\0\0\x40SELECT 1\0", SENT), None);
        assert_eq!(classify_bytes(b"Q\0\0\0\r\x01\x02\x03SELECT\0", SENT), None);
        assert_eq!(classify_bytes(b"Q\x7f\0\0\0SELECT 1\0", SENT), None);
        assert_eq!(classify_bytes(b"Q\0\0\0\rSELECT 1\0", RECEIVED), SERVER);
        // A known server side never is a client.
        let mut first = [0u8; 8];
        first.copy_from_slice(b"Q\0\0\0\rSEL");
        assert_eq!(classify(&first, 14, SENT, ROLE_SERVER), SERVER);
        assert_eq!(classify(&first, 14, SENT, ROLE_CLIENT), PG);
    }

    #[test]
    fn mysql() {
        let mut greeting = b"\x5b\0\0\0\x0a5.5.5-10.11.6-MariaDB\0".to_vec();
        greeting.resize(0x5b + 4, b'x');
        assert_eq!(classify_bytes(&greeting, RECEIVED), MYSQL);
        assert_eq!(classify_bytes(&greeting, SENT), SERVER);
        assert_eq!(classify_bytes(b"\x09\0\0\0\x03SELECT 1", SENT), MYSQL);
        assert_eq!(classify_bytes(b"\x09\0\0\0\x16SELECT 1", SENT), MYSQL);
        // Statement 1, no cursor, one iteration.
        let execute = b"\x0b\0\0\0\x17\x01\0\0\0\0\x01\0\0\0\0";
        assert_eq!(classify_bytes(execute, SENT), MYSQL);
        // A packet longer than the write, sequence 1, an unknown command.
        assert_eq!(classify_bytes(b"\x40\0\0\0\x03SELECT 1", SENT), None);
        assert_eq!(classify_bytes(b"\x09\0\0\x01\x03SELECT 1", SENT), None);
        assert_eq!(classify_bytes(b"\x09\0\0\0\x42SELECT 1", SENT), None);
    }

    #[test]
    fn redis() {
        assert_eq!(classify_bytes(b"*1\r\n$4\r\nPING\r\n", SENT), REDIS);
        assert_eq!(classify_bytes(b"*12\r\n$3\r\nDEL\r\n", SENT), REDIS);
        assert_eq!(classify_bytes(b"*123\r\n$3\r\nDEL\r\n", SENT), REDIS);
        // A command read, or an array reply: the next payload tells.
        assert_eq!(classify_bytes(b"*1\r\n$4\r\nPING\r\n", RECEIVED), None);
        assert_eq!(classify_bytes(b"*0\r\n", SENT), None);
        assert_eq!(classify_bytes(b"*1234\r\n$3\r\n", SENT), None);
        assert_eq!(classify_bytes(b"+OK\r\n", SENT), None);
    }

    #[test]
    fn others_are_nothing() {
        for (bytes, direction) in [
            (&b"\x16\x03\x01\x02\0\x01\0\x01\xfc\x03\x03"[..], SENT),
            (b"SSH-2.0-OpenSSH_9.2", RECEIVED),
            (b"\0\0\0\0\0\0\0\0\0\0", SENT),
            (b"", SENT),
            (b"GE", RECEIVED),
        ] {
            assert_eq!(classify_bytes(bytes, direction), None, "{bytes:?}");
        }
    }
}
