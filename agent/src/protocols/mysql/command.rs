//! The client's commands (the command phase): what each one is and what
//! reply it calls for.

use super::{
    handshake::CLIENT_SECURE_CONNECTION,
    reply::Expect,
    wire::{self, Reader},
};

pub(super) const COM_QUIT: u8 = 0x01;
pub(super) const COM_INIT_DB: u8 = 0x02;
pub(super) const COM_QUERY: u8 = 0x03;
pub(super) const COM_FIELD_LIST: u8 = 0x04;
pub(super) const COM_PING: u8 = 0x0e;
pub(super) const COM_CHANGE_USER: u8 = 0x11;
pub(super) const COM_STMT_PREPARE: u8 = 0x16;
pub(super) const COM_STMT_EXECUTE: u8 = 0x17;
pub(super) const COM_STMT_SEND_LONG_DATA: u8 = 0x18;
pub(super) const COM_STMT_CLOSE: u8 = 0x19;
pub(super) const COM_STMT_RESET: u8 = 0x1a;
pub(super) const COM_SET_OPTION: u8 = 0x1b;
pub(super) const COM_STMT_FETCH: u8 = 0x1c;
pub(super) const COM_RESET_CONNECTION: u8 = 0x1f;
/// MariaDB's array-bound execute.
pub(super) const COM_STMT_BULK_EXECUTE: u8 = 0xfa;

/// MariaDB's statement id for "the statement prepared last" (pipelined
/// prepare and execute).
pub(super) const LAST_PREPARED: u32 = u32::MAX;

/// A command as sonde reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Command<'a> {
    /// COM_QUERY: the statement text (its captured part).
    Query(&'a [u8]),
    /// COM_STMT_PREPARE: the statement text.
    Prepare(&'a [u8]),
    /// COM_STMT_EXECUTE or MariaDB's bulk execute of a statement id.
    Execute(u32),
    /// COM_STMT_CLOSE: no reply.
    Close(u32),
    InitDb(String),
    ChangeUser {
        user: Option<String>,
        database: Option<String>,
    },
    ResetConnection,
    /// A command whose reply sonde reads but does not report.
    Other(Expect),
    /// No reply follows (COM_QUIT, COM_STMT_SEND_LONG_DATA).
    NoReply,
    /// Not a command, or not captured enough to tell.
    Unreadable,
}

/// Reads a command from its payload's captured prefix; `capabilities`:
/// the session's, when its handshake was seen.
pub(super) fn parse(payload: &[u8], capabilities: Option<u32>) -> Command<'_> {
    let mut reader = Reader::new(payload);
    let Some(code) = reader.u8() else {
        return Command::Unreadable;
    };
    let body = reader.rest();
    let statement_id = || Reader::new(body).u32();
    match code {
        COM_QUERY => match query_text(body, capabilities) {
            Some(text) => Command::Query(text),
            None => Command::Unreadable,
        },
        COM_STMT_PREPARE => Command::Prepare(body),
        COM_STMT_EXECUTE | COM_STMT_BULK_EXECUTE => {
            statement_id().map_or(Command::Unreadable, Command::Execute)
        }
        COM_STMT_CLOSE => statement_id().map_or(Command::NoReply, Command::Close),
        COM_INIT_DB => Command::InitDb(wire::name(body)),
        COM_CHANGE_USER => change_user(body, capabilities),
        COM_RESET_CONNECTION => Command::ResetConnection,
        COM_QUIT | COM_STMT_SEND_LONG_DATA => Command::NoReply,
        COM_STMT_FETCH => Command::Other(Expect::Rows),
        COM_FIELD_LIST => Command::Other(Expect::UntilTerminator),
        // Statistics, kill, debug, refresh, ping, reset,
        // set option, create/drop db: one packet.
        0x05..=0x09 | 0x0c..=0x0e | COM_STMT_RESET | COM_SET_OPTION => {
            Command::Other(Expect::Single)
        }
        // The process list: a result set.
        0x0a => Command::Other(Expect::ResultSets),
        // Replication and the rest: whatever comes until the next command.
        0x00 | 0x0b | 0x0f..=0x15 | 0x1d | 0x1e | 0x20..=0x21 => {
            Command::Other(Expect::UntilNextCommand)
        }
        _ => Command::Unreadable,
    }
}

/// COM_QUERY's text, after the query attributes that MySQL 8 clients put
/// first when they agreed on CLIENT_QUERY_ATTRIBUTES. Without a handshake
/// seen, attributes are recognised by their first bytes: a statement's
/// text does not start with a control character.
fn query_text(body: &[u8], capabilities: Option<u32>) -> Option<&[u8]> {
    let attributes = match capabilities {
        Some(caps) => caps & super::handshake::CLIENT_QUERY_ATTRIBUTES != 0,
        None => body
            .first()
            .is_some_and(|&byte| byte < 0x20 && !byte.is_ascii_whitespace()),
    };
    if !attributes {
        return Some(body);
    }
    let mut reader = Reader::new(body);
    let count = usize::try_from(reader.lenenc()?).ok()?;
    reader.lenenc()?; // parameter set count: always 1
    if count > 0 {
        let null_bitmap = reader.take(count.div_ceil(8))?;
        if reader.u8()? != 1 {
            return None; // types not sent: values cannot be skipped
        }
        let mut types = Vec::new();
        for _ in 0..count.min(1024) {
            types.push(reader.u16()?);
            let name_len = usize::try_from(reader.lenenc()?).ok()?;
            reader.skip(name_len)?;
        }
        if count > 1024 {
            return None;
        }
        for (index, kind) in types.iter().enumerate() {
            let null = null_bitmap
                .get(index / 8)
                .is_some_and(|bits| bits & (1 << (index % 8)) != 0);
            if !null {
                skip_binary_value(&mut reader, *kind as u8)?;
            }
        }
    }
    Some(reader.rest())
}

/// Skips one value of the binary protocol of column type `kind`.
fn skip_binary_value(reader: &mut Reader<'_>, kind: u8) -> Option<()> {
    match kind {
        6 => Some(()),               // NULL
        1 => reader.skip(1),         // TINY
        2 | 13 => reader.skip(2),    // SHORT, YEAR
        3 | 4 | 9 => reader.skip(4), // LONG, FLOAT, INT24
        5 | 8 => reader.skip(8),     // DOUBLE, LONGLONG
        7 | 10 | 11 | 12 => {
            // TIMESTAMP, DATE, TIME, DATETIME: a length byte first.
            let len = reader.u8()?;
            reader.skip(usize::from(len))
        }
        _ => {
            let len = usize::try_from(reader.lenenc()?).ok()?;
            reader.skip(len)
        }
    }
}

/// COM_CHANGE_USER: user, auth response, database.
fn change_user(body: &[u8], capabilities: Option<u32>) -> Command<'_> {
    let mut reader = Reader::new(body);
    let user = reader.nul_terminated().map(wire::name);
    let secure = capabilities.is_none_or(|caps| caps & CLIENT_SECURE_CONNECTION != 0);
    let auth = if secure {
        reader.u8().and_then(|len| reader.skip(usize::from(len)))
    } else {
        reader.nul_terminated().map(drop)
    };
    let database = auth
        .and_then(|()| reader.nul_terminated())
        .map(wire::name)
        .filter(|name| !name.is_empty());
    Command::ChangeUser { user, database }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_with_and_without_attributes() {
        assert_eq!(parse(b"\x03SELECT 1", None), Command::Query(b"SELECT 1"));
        // MySQL 8 with query attributes but none set.
        assert_eq!(
            parse(b"\x03\x00\x01SELECT 1", None),
            Command::Query(b"SELECT 1")
        );
        // One attribute: a string named "a", valued "xyz".
        assert_eq!(
            parse(b"\x03\x01\x01\x00\x01\xfe\x00\x01a\x03xyzSELECT 2", None),
            Command::Query(b"SELECT 2")
        );
        // Without the attributes flag the bytes are the text.
        assert_eq!(parse(b"\x03SELECT 3", Some(0)), Command::Query(b"SELECT 3"));
    }

    #[test]
    fn statement_commands() {
        assert_eq!(parse(b"\x16SELECT ?", None), Command::Prepare(b"SELECT ?"));
        assert_eq!(
            parse(b"\x17\x05\0\0\0\0\x01\0\0\0", None),
            Command::Execute(5)
        );
        assert_eq!(parse(b"\x17\x05", None), Command::Unreadable);
        assert_eq!(parse(b"\x19\x07\0\0\0", None), Command::Close(7));
        assert_eq!(parse(b"\x02shop", None), Command::InitDb("shop".into()));
        assert_eq!(parse(b"\x0e", None), Command::Other(Expect::Single));
        assert_eq!(parse(b"\x01", None), Command::NoReply);
        assert_eq!(parse(b"", None), Command::Unreadable);
        assert_eq!(parse(b"\x99", None), Command::Unreadable);
    }
}
