//! The parser of one connection: a reader per direction, and the pairing
//! of their messages.

use super::{
    head::Kind,
    pairing::Pairing,
    reader::MessageReader,
    types::{Chunk, ExchangeError, Http1Event, Http1Stats},
};

/// Parses both directions of one HTTP/1.x connection and pairs each request
/// with its response.
///
/// Feed every captured chunk of the connection, each direction in order and
/// both in timestamp order, then [`close`](Self::close) it. Every
/// [`Http1Event::RequestStarted`] is followed, sooner or later, by one
/// [`Http1Event::Exchange`] with the same sequence number.
///
/// Memory is bounded whatever the bytes: a head is buffered up to 16 KiB,
/// at most 64 requests (64 KiB of their heads) wait for responses, and
/// bodies are never kept. What is given up on is counted in
/// [`stats`](Self::stats).
#[derive(Debug)]
pub struct Http1Connection {
    requests: MessageReader,
    responses: MessageReader,
    pairing: Pairing,
}

impl Default for Http1Connection {
    fn default() -> Self {
        Self::new()
    }
}

impl Http1Connection {
    pub fn new() -> Self {
        Self {
            requests: MessageReader::new(Kind::Request),
            responses: MessageReader::new(Kind::Response),
            pairing: Pairing::default(),
        }
    }

    /// Bytes flowing from the client to the server.
    pub fn feed_request_side(&mut self, chunk: &Chunk<'_>, out: &mut Vec<Http1Event>) {
        self.requests
            .feed(chunk, &mut self.pairing.request_sink(out));
    }

    /// Bytes flowing from the server to the client.
    pub fn feed_response_side(&mut self, chunk: &Chunk<'_>, out: &mut Vec<Http1Event>) {
        let tunnel = self.pairing.tunnel;
        self.responses
            .feed(chunk, &mut self.pairing.response_sink(out));
        if self.pairing.tunnel && !tunnel {
            // What the client sent after the switch was not HTTP/1.x: any
            // request read from it is reported as unparseable.
            self.requests.enter_tunnel();
            self.pairing.flush(ExchangeError::Unparseable, out);
        }
    }

    /// The connection ended at `timestamp_ns`: a response delimited by the
    /// close completes, every other waiting request is reported with
    /// [`ExchangeError::ConnectionClosed`], and the parser starts afresh.
    pub fn close(&mut self, timestamp_ns: u64, out: &mut Vec<Http1Event>) {
        self.responses
            .close(timestamp_ns, &mut self.pairing.response_sink(out));
        self.pairing.flush(ExchangeError::ConnectionClosed, out);
        self.pairing.tunnel = false;
        self.requests.reset();
        self.responses.reset();
    }

    /// What was given up on so far.
    pub fn stats(&self) -> Http1Stats {
        self.pairing.stats
    }
}
