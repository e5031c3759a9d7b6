//! The connection phase: the server's greeting and the client's answer to
//! it (HandshakeResponse41, or the SSLRequest that starts TLS).

use super::wire::{self, Reader};

/// Capability flags sonde reads.
pub(super) const CLIENT_CONNECT_WITH_DB: u32 = 0x8;
pub(super) const CLIENT_PROTOCOL_41: u32 = 0x200;
pub(super) const CLIENT_SSL: u32 = 0x800;
pub(super) const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
pub(super) const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 0x20_0000;
pub(super) const CLIENT_DEPRECATE_EOF: u32 = 0x100_0000;
pub(super) const CLIENT_QUERY_ATTRIBUTES: u32 = 0x800_0000;

/// The protocol version every server since MySQL 3.21 greets with.
const PROTOCOL_10: u8 = 10;

/// The server's capabilities, from its greeting (Protocol::HandshakeV10).
pub(super) fn greeting_capabilities(payload: &[u8]) -> Option<u32> {
    let mut reader = Reader::new(payload);
    (reader.u8()? == PROTOCOL_10).then_some(())?;
    reader.nul_terminated()?; // server version
    reader.skip(4 + 8 + 1)?; // connection id, auth data part 1, filler
    let low = reader.u16()?;
    // Servers before 4.1 end the greeting here.
    let high = reader.skip(1 + 2).and_then(|()| reader.u16()).unwrap_or(0);
    Some(u32::from(low) | (u32::from(high) << 16))
}

/// The client's answer to the greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ClientHello {
    /// TLS follows.
    SslRequest,
    /// The login: the capabilities agreed on, the user, and the database
    /// when the client asked for one.
    Response {
        capabilities: u32,
        user: Option<String>,
        database: Option<String>,
    },
}

/// Reads a HandshakeResponse41 or SSLRequest (`len`: the payload's length).
pub(super) fn client_hello(payload: &[u8], len: u64) -> Option<ClientHello> {
    let mut reader = Reader::new(payload);
    let capabilities = reader.u32()?;
    if capabilities & CLIENT_PROTOCOL_41 == 0 {
        // HandshakeResponse320 (clients before 4.1): the user only.
        let user = Reader::new(payload.get(5..)?)
            .nul_terminated()
            .map(wire::name);
        return Some(ClientHello::Response {
            capabilities,
            user,
            database: None,
        });
    }
    // Max packet size, character set, 23 bytes of filler (MariaDB keeps its
    // extended capabilities in the last four).
    reader.skip(4 + 1 + 23)?;
    if len == 32 && capabilities & CLIENT_SSL != 0 {
        return Some(ClientHello::SslRequest);
    }
    let user = reader.nul_terminated().map(wire::name);
    let database = if capabilities & CLIENT_CONNECT_WITH_DB != 0 {
        skip_auth_response(&mut reader, capabilities)
            .and_then(|()| reader.nul_terminated())
            .map(wire::name)
    } else {
        None
    };
    Some(ClientHello::Response {
        capabilities,
        user,
        database,
    })
}

fn skip_auth_response(reader: &mut Reader<'_>, capabilities: u32) -> Option<()> {
    if capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
        let len = reader.lenenc()?;
        reader.skip(usize::try_from(len).ok()?)
    } else if capabilities & CLIENT_SECURE_CONNECTION != 0 {
        let len = reader.u8()?;
        reader.skip(usize::from(len))
    } else {
        reader.nul_terminated().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_with_a_database() {
        let mut payload = Vec::new();
        let caps = CLIENT_PROTOCOL_41
            | CLIENT_SECURE_CONNECTION
            | CLIENT_CONNECT_WITH_DB
            | CLIENT_DEPRECATE_EOF;
        payload.extend_from_slice(&caps.to_le_bytes());
        payload.extend_from_slice(&[0; 4 + 1 + 23]);
        payload.extend_from_slice(b"app\0\x03abcshop\0mysql_native_password\0");
        let len = payload.len() as u64;
        assert_eq!(
            client_hello(&payload, len),
            Some(ClientHello::Response {
                capabilities: caps,
                user: Some("app".into()),
                database: Some("shop".into()),
            })
        );
        // Cut short: what was captured.
        assert_eq!(
            client_hello(&payload[..36], len),
            Some(ClientHello::Response {
                capabilities: caps,
                user: Some("app".into()),
                database: None,
            })
        );
    }

    #[test]
    fn an_ssl_request() {
        let mut payload = (CLIENT_PROTOCOL_41 | CLIENT_SSL).to_le_bytes().to_vec();
        payload.extend_from_slice(&[0; 28]);
        assert_eq!(client_hello(&payload, 32), Some(ClientHello::SslRequest));
    }
}
