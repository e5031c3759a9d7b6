//! The message bodies the parser reads, decoded from their captured
//! prefix: every decoder takes what was captured and returns None (or a
//! partial answer, said so) rather than guess.
//!
//! Message formats: PostgreSQL documentation, "Message Formats" (protocol
//! 3.0). Strings are NUL-terminated; integers big-endian.

/// Protocol codes of the untyped packets a client may start with.
pub(super) const SSL_REQUEST: u32 = 80_877_103;
pub(super) const GSSENC_REQUEST: u32 = 80_877_104;
pub(super) const CANCEL_REQUEST: u32 = 80_877_102;
/// Major protocol version 3 (any minor) in a StartupMessage.
pub(super) const PROTOCOL_3: u32 = 3;

/// Messages longer than this are not PostgreSQL's (its limit is 1 GiB).
pub(super) const MAX_MESSAGE_LEN: u32 = 1 << 30;
/// Startup packets longer than this are not PostgreSQL's (the server
/// rejects more than 10000 bytes).
pub(super) const MAX_STARTUP_LEN: u32 = 10_000;

/// Frontend (client) message tags.
pub(super) mod frontend {
    pub const QUERY: u8 = b'Q';
    pub const PARSE: u8 = b'P';
    pub const BIND: u8 = b'B';
    pub const DESCRIBE: u8 = b'D';
    pub const EXECUTE: u8 = b'E';
    pub const CLOSE: u8 = b'C';
    pub const SYNC: u8 = b'S';
    pub const FLUSH: u8 = b'H';
    pub const FUNCTION_CALL: u8 = b'F';
    pub const COPY_DATA: u8 = b'd';
    pub const COPY_DONE: u8 = b'c';
    pub const COPY_FAIL: u8 = b'f';
    /// PasswordMessage, SASLInitialResponse, SASLResponse, GSSResponse.
    pub const PASSWORD: u8 = b'p';
    pub const TERMINATE: u8 = b'X';
}

/// Backend (server) message tags.
pub(super) mod backend {
    pub const AUTHENTICATION: u8 = b'R';
    pub const BACKEND_KEY_DATA: u8 = b'K';
    pub const PARAMETER_STATUS: u8 = b'S';
    pub const READY_FOR_QUERY: u8 = b'Z';
    pub const ROW_DESCRIPTION: u8 = b'T';
    pub const DATA_ROW: u8 = b'D';
    pub const COMMAND_COMPLETE: u8 = b'C';
    pub const EMPTY_QUERY_RESPONSE: u8 = b'I';
    pub const ERROR_RESPONSE: u8 = b'E';
    pub const NOTICE_RESPONSE: u8 = b'N';
    pub const NOTIFICATION_RESPONSE: u8 = b'A';
    pub const PARSE_COMPLETE: u8 = b'1';
    pub const BIND_COMPLETE: u8 = b'2';
    pub const CLOSE_COMPLETE: u8 = b'3';
    pub const PARAMETER_DESCRIPTION: u8 = b't';
    pub const NO_DATA: u8 = b'n';
    pub const PORTAL_SUSPENDED: u8 = b's';
    pub const COPY_IN_RESPONSE: u8 = b'G';
    pub const COPY_OUT_RESPONSE: u8 = b'H';
    pub const COPY_BOTH_RESPONSE: u8 = b'W';
    pub const COPY_DATA: u8 = b'd';
    pub const COPY_DONE: u8 = b'c';
    pub const FUNCTION_CALL_RESPONSE: u8 = b'V';
    pub const NEGOTIATE_PROTOCOL_VERSION: u8 = b'v';
}

/// Whether a client may send a message with this tag.
pub(super) fn is_frontend_tag(tag: u8) -> bool {
    use frontend::*;
    matches!(
        tag,
        QUERY
            | PARSE
            | BIND
            | DESCRIBE
            | EXECUTE
            | CLOSE
            | SYNC
            | FLUSH
            | FUNCTION_CALL
            | COPY_DATA
            | COPY_DONE
            | COPY_FAIL
            | PASSWORD
            | TERMINATE
    )
}

/// Whether a server may send a message with this tag.
pub(super) fn is_backend_tag(tag: u8) -> bool {
    use backend::*;
    matches!(
        tag,
        AUTHENTICATION
            | BACKEND_KEY_DATA
            | PARAMETER_STATUS
            | READY_FOR_QUERY
            | ROW_DESCRIPTION
            | DATA_ROW
            | COMMAND_COMPLETE
            | EMPTY_QUERY_RESPONSE
            | ERROR_RESPONSE
            | NOTICE_RESPONSE
            | NOTIFICATION_RESPONSE
            | PARSE_COMPLETE
            | BIND_COMPLETE
            | CLOSE_COMPLETE
            | PARAMETER_DESCRIPTION
            | NO_DATA
            | PORTAL_SUSPENDED
            | COPY_IN_RESPONSE
            | COPY_OUT_RESPONSE
            | COPY_BOTH_RESPONSE
            | COPY_DATA
            | COPY_DONE
            | FUNCTION_CALL_RESPONSE
            | NEGOTIATE_PROTOCOL_VERSION
    )
}

/// The length field (which counts itself) a message with this tag must
/// have, when it is fixed.
pub(super) fn fixed_len(tag: u8, frontend: bool) -> Option<u32> {
    if frontend {
        use frontend::*;
        matches!(tag, SYNC | FLUSH | COPY_DONE | TERMINATE).then_some(4)
    } else {
        use backend::*;
        match tag {
            READY_FOR_QUERY => Some(5),
            PARSE_COMPLETE | BIND_COMPLETE | CLOSE_COMPLETE | NO_DATA | PORTAL_SUSPENDED
            | EMPTY_QUERY_RESPONSE | COPY_DONE => Some(4),
            _ => None,
        }
    }
}

/// A big-endian u32 at `at`.
pub(super) fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([field[0], field[1], field[2], field[3]]))
}

/// A NUL-terminated string at the start of `bytes`, and what follows it.
pub(super) fn cstr(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = bytes.iter().position(|&b| b == 0)?;
    Some((&bytes[..end], &bytes[end + 1..]))
}

/// The string at the start of `bytes` up to its NUL, or all of `bytes`
/// when the NUL was not captured (the string is cut).
fn cstr_or_rest(bytes: &[u8]) -> &[u8] {
    cstr(bytes).map_or(bytes, |(text, _)| text)
}

/// Query: the SQL text (cut when the message was only partly captured).
pub(super) fn query_text(body: &[u8]) -> &[u8] {
    cstr_or_rest(body)
}

/// Parse: the statement's name and its SQL text (the text cut when the
/// message was only partly captured). None when the name was not captured.
pub(super) fn parse(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let (name, rest) = cstr(body)?;
    Some((name, cstr_or_rest(rest)))
}

/// Bind: the portal's and the statement's names.
pub(super) fn bind(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let (portal, rest) = cstr(body)?;
    let (statement, _) = cstr(rest)?;
    Some((portal, statement))
}

/// Execute: the portal's name.
pub(super) fn execute(body: &[u8]) -> Option<&[u8]> {
    cstr(body).map(|(portal, _)| portal)
}

/// What a Close message closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Closed<'a> {
    Statement(&'a [u8]),
    Portal(&'a [u8]),
}

/// Close: a statement or a portal, by name.
pub(super) fn close(body: &[u8]) -> Option<Closed<'_>> {
    let (&kind, rest) = body.split_first()?;
    let (name, _) = cstr(rest)?;
    match kind {
        b'S' => Some(Closed::Statement(name)),
        b'P' => Some(Closed::Portal(name)),
        _ => None,
    }
}

/// CommandComplete: its tag's first word, the command (`SELECT`).
pub(super) fn command_word(body: &[u8]) -> &[u8] {
    let tag = cstr_or_rest(body);
    tag.split(|&b| b == b' ').next().unwrap_or_default()
}

/// CommandComplete: the rows its tag counts (`SELECT 5`, `INSERT 0 1`,
/// `UPDATE 3`, `COPY 20`...); None for commands without a count
/// (`BEGIN`, `CREATE TABLE`).
pub(super) fn command_rows(body: &[u8]) -> Option<u64> {
    let tag = cstr_or_rest(body);
    let command = tag.split(|&b| b == b' ').next()?;
    let counted = matches!(
        command,
        b"SELECT" | b"INSERT" | b"UPDATE" | b"DELETE" | b"MERGE" | b"FETCH" | b"MOVE" | b"COPY"
    );
    if !counted {
        return None;
    }
    let count = tag.rsplit(|&b| b == b' ').next()?;
    if count.is_empty() || count.len() > 20 || !count.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(count).ok()?.parse().ok()
}

/// ErrorResponse: the SQLSTATE of its `C` field (five characters, digits
/// and capitals). The message and every other field are never read.
pub(super) fn error_code(body: &[u8]) -> Option<String> {
    let mut fields = body;
    loop {
        let (&kind, rest) = fields.split_first()?;
        if kind == 0 {
            return None;
        }
        let (value, rest) = cstr(rest)?;
        if kind == b'C' {
            let valid = value.len() == 5
                && value
                    .iter()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
            return valid.then(|| String::from_utf8_lossy(value).into_owned());
        }
        fields = rest;
    }
}

/// The session parameters of a StartupMessage (after its version).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Startup {
    pub database: Option<String>,
    pub user: Option<String>,
}

/// StartupMessage parameters: `user` and `database` (which defaults to
/// the user's name, as the server does).
pub(super) fn startup(params: &[u8]) -> Startup {
    let mut startup = Startup::default();
    let mut rest = params;
    while let Some((key, after_key)) = cstr(rest) {
        if key.is_empty() {
            break;
        }
        let Some((value, after_value)) = cstr(after_key) else {
            break;
        };
        let value = || Some(String::from_utf8_lossy(value).into_owned());
        match key {
            b"user" => startup.user = value(),
            b"database" => startup.database = value(),
            _ => {}
        }
        rest = after_value;
    }
    if startup.database.is_none() {
        startup.database.clone_from(&startup.user);
    }
    startup
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_tags_give_rows() {
        assert_eq!(command_rows(b"SELECT 5\0"), Some(5));
        assert_eq!(command_rows(b"INSERT 0 1\0"), Some(1));
        assert_eq!(command_rows(b"UPDATE 3\0"), Some(3));
        assert_eq!(command_rows(b"COPY 20\0"), Some(20));
        assert_eq!(command_rows(b"BEGIN\0"), None);
        assert_eq!(command_rows(b"CREATE TABLE\0"), None);
        assert_eq!(command_rows(b"SELECT\0"), None);
        assert_eq!(command_rows(b"SELECT x\0"), None);
        assert_eq!(command_rows(b"SELECT 99999999999999999999999\0"), None);
        assert_eq!(command_rows(b""), None);
    }

    #[test]
    fn error_code_is_the_c_field_only() {
        let body = b"SERROR\0VERROR\0C42P01\0Mrelation \"nowhere\" does not exist\0\0";
        assert_eq!(error_code(body).as_deref(), Some("42P01"));
        assert_eq!(error_code(b"SERROR\0Mno code\0\0"), None);
        assert_eq!(error_code(b"Cbad code\0\0"), None);
        assert_eq!(error_code(b"SERR"), None);
        assert_eq!(error_code(b""), None);
    }

    #[test]
    fn extended_query_messages() {
        assert_eq!(
            parse(b"s1\0SELECT $1\0\0\x01\0\0\0\x17"),
            Some((&b"s1"[..], &b"SELECT $1"[..]))
        );
        // Cut by the capture: the text so far.
        assert_eq!(
            parse(b"\0SELECT a, b FR"),
            Some((&b""[..], &b"SELECT a, b FR"[..]))
        );
        assert_eq!(parse(b"s1"), None);
        assert_eq!(bind(b"p\0s1\0\0\0"), Some((&b"p"[..], &b"s1"[..])));
        assert_eq!(bind(b"p\0s1"), None);
        assert_eq!(execute(b"\0\0\0\0\0"), Some(&b""[..]));
        assert_eq!(close(b"Ss1\0"), Some(Closed::Statement(b"s1")));
        assert_eq!(close(b"P\0"), Some(Closed::Portal(b"")));
        assert_eq!(close(b"Xs1\0"), None);
    }

    #[test]
    fn startup_parameters() {
        let params = b"user\0sonde\0database\0shop\0application_name\0x\0\0";
        assert_eq!(
            startup(params),
            Startup {
                database: Some("shop".into()),
                user: Some("sonde".into())
            }
        );
        // The database defaults to the user.
        assert_eq!(startup(b"user\0u\0\0").database.as_deref(), Some("u"));
        assert_eq!(startup(b"user\0u").user, None);
    }
}
