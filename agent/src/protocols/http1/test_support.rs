//! Helpers shared by the scenario and golden tests: a connection driven
//! chunk by chunk, and one readable line per event.

use std::fmt::Write;

use super::{Chunk, ExchangeError, Http1Connection, Http1Event, Http1Exchange};

/// Threads the tests' chunks come from: the client's and the server's.
pub const CLIENT_TID: u32 = 1;
pub const SERVER_TID: u32 = 2;

/// A connection fed with chunks stamped 1, 2, 3...
#[derive(Default)]
pub struct Wire {
    pub conn: Http1Connection,
    pub events: Vec<Http1Event>,
    pub now: u64,
}

impl Wire {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fully captured chunk from the client.
    pub fn req(&mut self, data: &[u8]) -> &mut Self {
        self.req_captured(data, data.len(), b"")
    }

    /// A fully captured chunk from the server.
    pub fn resp(&mut self, data: &[u8]) -> &mut Self {
        self.resp_captured(data, data.len(), b"")
    }

    /// A client chunk of `total_len` bytes, of which `data` and `tail` were captured.
    pub fn req_captured(&mut self, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        let chunk = self.chunk(data, total_len, tail, CLIENT_TID);
        self.conn.feed_request_side(&chunk, &mut self.events);
        self
    }

    /// A server chunk of `total_len` bytes, of which `data` and `tail` were captured.
    pub fn resp_captured(&mut self, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        let chunk = self.chunk(data, total_len, tail, SERVER_TID);
        self.conn.feed_response_side(&chunk, &mut self.events);
        self
    }

    pub fn close(&mut self) -> &mut Self {
        self.now += 1;
        self.conn.close(self.now, &mut self.events);
        self
    }

    fn chunk<'a>(
        &mut self,
        data: &'a [u8],
        total_len: usize,
        tail: &'a [u8],
        tid: u32,
    ) -> Chunk<'a> {
        self.now += 1;
        Chunk {
            data,
            total_len,
            tail,
            timestamp_ns: self.now,
            tid,
        }
    }

    /// Every event so far, one line each.
    pub fn lines(&self) -> Vec<String> {
        self.events.iter().map(describe).collect()
    }

    /// The exchanges so far, one line each.
    pub fn exchanges(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|event| matches!(event, Http1Event::Exchange(_)))
            .map(describe)
            .collect()
    }

    /// The exchanges so far.
    pub fn exchange_values(&self) -> Vec<&Http1Exchange> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Http1Event::Exchange(exchange) => Some(exchange),
                Http1Event::RequestStarted { .. } => None,
            })
            .collect()
    }
}

/// One line for an event:
/// `started #SEQ METHOD TARGET @START/TID` or
/// `#SEQ METHOD TARGET HTTP/1.x [host=..] [traceparent=..] -> STATUS |
/// req START-END/TID body=N | resp START-END/TID body=N | OUTCOME`.
pub fn describe(event: &Http1Event) -> String {
    match event {
        Http1Event::RequestStarted {
            sequence,
            head,
            start_ns,
            tid,
        } => format!(
            "started #{sequence} {} {} @{start_ns}/{tid}",
            head.method, head.target
        ),
        Http1Event::Exchange(exchange) => describe_exchange(exchange, true),
    }
}

/// [`describe`] for an exchange; `times`: with timestamps and threads.
pub fn describe_exchange(exchange: &Http1Exchange, times: bool) -> String {
    let head = &exchange.head;
    let mut line = format!(
        "#{} {} {} HTTP/1.{}",
        exchange.sequence, head.method, head.target, head.version
    );
    if let Some(host) = &head.host {
        let _ = write!(line, " host={host}");
    }
    if let Some(traceparent) = &head.traceparent {
        let _ = write!(line, " traceparent={traceparent}");
    }
    let status = exchange
        .status
        .map_or_else(|| "-".to_string(), |status| status.to_string());
    let _ = write!(line, " -> {status} | req");
    if times {
        let _ = write!(
            line,
            " {}-{}/{}",
            exchange.request_start_ns, exchange.request_end_ns, exchange.request_tid
        );
    }
    let _ = write!(line, " body={} | resp", exchange.request_body_bytes);
    if times {
        let opt = |value: Option<u64>| value.map_or_else(|| "-".to_string(), |v| v.to_string());
        let tid = exchange
            .response_tid
            .map_or_else(|| "-".to_string(), |tid| tid.to_string());
        let _ = write!(
            line,
            " {}-{}/{tid}",
            opt(exchange.response_start_ns),
            opt(exchange.response_end_ns)
        );
    }
    let outcome = match exchange.error {
        None => "ok",
        Some(ExchangeError::ConnectionClosed) => "closed",
        Some(ExchangeError::Unparseable) => "unparseable",
    };
    let _ = write!(line, " body={} | {outcome}", exchange.response_body_bytes);
    line
}
