//! Types of the HTTP/1.x parser's input and output.

use std::sync::Arc;

pub use super::super::chunk::Chunk;
use crate::events::Text;

/// The parts of a request head sonde uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// Static text for the common methods.
    pub method: Text,
    /// The request-target as sent (path and query). Never exported as is.
    pub target: String,
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    pub host: Option<Text>,
    /// W3C `traceparent` header value, if any.
    pub traceparent: Option<String>,
}

/// Something the parser learned about a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Http1Event {
    /// A request head was complete: emitted as soon as it is, before the
    /// response, so that work done while serving it can be linked to it.
    RequestStarted {
        /// Index of the request on this connection, from 0 (requests whose
        /// head could not be read are not numbered).
        sequence: u64,
        /// Shared with the request's exchange.
        head: Arc<RequestHead>,
        /// Timestamp and thread of the chunk carrying the request's first byte.
        start_ns: u64,
        tid: u32,
    },
    /// A request and its response (or what became of it).
    Exchange(Http1Exchange),
}

/// How an exchange ended when it did not end with a complete response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeError {
    /// The connection closed before the response was complete.
    ConnectionClosed,
    /// The bytes stopped making sense as HTTP/1.x; the parser resynchronised.
    Unparseable,
}

/// A request paired with its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http1Exchange {
    /// Same as the matching [`Http1Event::RequestStarted`].
    pub sequence: u64,
    pub head: Arc<RequestHead>,
    /// Final status (1xx interim responses are skipped); None without one.
    pub status: Option<u16>,
    /// First byte of the request seen (its chunk's timestamp) and its thread.
    pub request_start_ns: u64,
    pub request_tid: u32,
    /// Last byte of the request (end of its body).
    pub request_end_ns: u64,
    /// First and last byte of the final response (for a body delimited by
    /// the connection's close, the end is the close: only then is it known
    /// to be the last byte). `response_end_ns` is None when the response
    /// did not complete.
    pub response_start_ns: Option<u64>,
    pub response_end_ns: Option<u64>,
    /// Thread that carried the response's last byte (None when the response
    /// did not complete).
    pub response_tid: Option<u32>,
    /// Bytes of the message bodies as transferred (chunked framing
    /// included, heads excluded), counting the bytes that were not captured.
    pub request_body_bytes: u64,
    pub response_body_bytes: u64,
    pub error: Option<ExchangeError>,
}

/// What a connection's parser could not use, for the drop counters: nothing
/// the parser gives up on goes uncounted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Http1Stats {
    /// Request heads given up on: not HTTP/1.x, larger than the head cap,
    /// not captured, or with a body whose length cannot be known.
    pub requests_unparseable: u64,
    /// Requests not tracked because too many were waiting for a response.
    pub requests_dropped: u64,
    /// Responses given up on: head not parseable or not captured, or body
    /// framing broken.
    pub responses_unparseable: u64,
    /// Responses that answered no request the parser had read (the
    /// connection was picked up mid-exchange, or the request was unreadable).
    pub responses_unpaired: u64,
    /// Bytes ignored: while out of sync, or after the connection switched
    /// to another protocol (101, CONNECT).
    pub bytes_skipped: u64,
}

impl Http1Stats {
    /// Adds `other`'s counts to these (saturating).
    pub fn add(&mut self, other: &Http1Stats) {
        self.requests_unparseable = self
            .requests_unparseable
            .saturating_add(other.requests_unparseable);
        self.requests_dropped = self.requests_dropped.saturating_add(other.requests_dropped);
        self.responses_unparseable = self
            .responses_unparseable
            .saturating_add(other.responses_unparseable);
        self.responses_unpaired = self
            .responses_unpaired
            .saturating_add(other.responses_unpaired);
        self.bytes_skipped = self.bytes_skipped.saturating_add(other.bytes_skipped);
    }
}
