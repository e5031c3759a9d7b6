//! A parser's connection as the tests drive it: fed chunks stamped 1, 2,
//! 3... by the client's and the server's threads, its events kept.

use super::super::chunk::Chunk;

/// Threads the tests' chunks come from: the client's and the server's.
pub const CLIENT_TID: u32 = 1;
pub const SERVER_TID: u32 = 2;

/// What every parser's connection is to the tests.
pub trait Connection: Default {
    /// What the connection reports.
    type Event;

    /// Feeds a chunk that the client (`client`) or the server wrote.
    fn feed(&mut self, client: bool, chunk: &Chunk<'_>, events: &mut Vec<Self::Event>);

    /// The connection ended at `timestamp_ns`.
    fn end(&mut self, timestamp_ns: u64, events: &mut Vec<Self::Event>);

    /// One line for an event, times included: the golden files' lines.
    fn describe(event: &Self::Event) -> String;

    /// A line the golden files show after the events (PostgreSQL's: the
    /// connection's stats); none by default.
    fn summary(&self) -> Option<String> {
        None
    }
}

/// Implements [`Connection`] for a parser's connection type `$connection`:
/// `$event` is what it reports, `$client` and `$server` are its methods
/// fed the client's and the server's chunks, `close` ends it, `$describe`
/// makes an event's line and `$summary` (optional) the golden files' last
/// line. Its paths resolve from the parser's modules (`super::super` is
/// where `chunk` and `testing` are).
macro_rules! impl_connection {
    (
        $connection:ty, $event:ty, $client:ident, $server:ident, $describe:path
        $(, $summary:path)?
    ) => {
        impl super::super::testing::Connection for $connection {
            type Event = $event;

            fn feed(
                &mut self,
                client: bool,
                chunk: &super::super::chunk::Chunk<'_>,
                events: &mut Vec<$event>,
            ) {
                if client {
                    self.$client(chunk, events);
                } else {
                    self.$server(chunk, events);
                }
            }

            fn end(&mut self, timestamp_ns: u64, events: &mut Vec<$event>) {
                self.close(timestamp_ns, events);
            }

            fn describe(event: &$event) -> String {
                $describe(event)
            }

            $(
                fn summary(&self) -> Option<String> {
                    Some($summary(self))
                }
            )?
        }
    };
}
pub(crate) use impl_connection;

/// A connection fed with chunks stamped 1, 2, 3...
pub struct Wire<C: Connection> {
    pub conn: C,
    pub events: Vec<C::Event>,
    pub now: u64,
}

impl<C: Connection> Wire<C> {
    pub fn new() -> Self {
        Self {
            conn: C::default(),
            events: Vec::new(),
            now: 0,
        }
    }

    /// A fully captured chunk from the client.
    pub fn client(&mut self, data: &[u8]) -> &mut Self {
        self.client_captured(data, data.len(), b"")
    }

    /// A fully captured chunk from the server.
    pub fn server(&mut self, data: &[u8]) -> &mut Self {
        self.server_captured(data, data.len(), b"")
    }

    /// A client chunk of `total_len` bytes, of which `data` and `tail` were captured.
    pub fn client_captured(&mut self, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        self.feed(true, data, total_len, tail)
    }

    /// A server chunk of `total_len` bytes, of which `data` and `tail` were captured.
    pub fn server_captured(&mut self, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        self.feed(false, data, total_len, tail)
    }

    pub fn close(&mut self) -> &mut Self {
        self.now += 1;
        self.conn.end(self.now, &mut self.events);
        self
    }

    /// Every event so far, one line each.
    pub fn lines(&self) -> Vec<String> {
        self.events.iter().map(C::describe).collect()
    }

    fn feed(&mut self, client: bool, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        self.now += 1;
        let chunk = Chunk {
            data,
            total_len,
            tail,
            timestamp_ns: self.now,
            tid: if client { CLIENT_TID } else { SERVER_TID },
        };
        self.conn.feed(client, &chunk, &mut self.events);
        self
    }
}
