//! An HTTP event with the context of the connection it was seen on.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::protocols::http1::Http1Event;

/// Which side of the exchange the observed process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// It received the request (http.server.*).
    Server,
    /// It sent the request (http.client.*).
    Client,
}

/// One connection, unique for its lifetime: the kernel's `struct sock *`
/// and the socket's inode number (the address is reused, the inode is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionKey {
    pub sk: u64,
    pub ino: u64,
}

/// One end of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Inet(SocketAddr),
    /// A Unix-domain socket path (empty for unnamed ones), shared by the
    /// connection's events.
    Unix(Arc<str>),
}

/// A parser event on a connection, with who and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpEvent {
    pub role: Role,
    pub connection: ConnectionKey,
    /// Process (tgid) that owns the connection.
    pub pid: u32,
    pub local: Option<Endpoint>,
    pub peer: Option<Endpoint>,
    pub event: Http1Event,
}
