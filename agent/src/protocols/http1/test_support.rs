//! What the HTTP/1.x scenario and golden tests add to the shared harness
//! (`protocols/testing`): the connection as they drive it, its sides named
//! request and response, and one readable line per event.

use std::fmt::Write;

use super::{super::testing, ExchangeError, Http1Connection, Http1Event, Http1Exchange};

pub use super::super::testing::wire::{CLIENT_TID, SERVER_TID};

testing::impl_connection!(
    Http1Connection,
    Http1Event,
    feed_request_side,
    feed_response_side,
    describe
);

/// A connection fed with chunks stamped 1, 2, 3...
pub type Wire = testing::Wire<Http1Connection>;

impl Wire {
    /// A fully captured chunk from the client.
    pub fn req(&mut self, data: &[u8]) -> &mut Self {
        self.client(data)
    }

    /// A fully captured chunk from the server.
    pub fn resp(&mut self, data: &[u8]) -> &mut Self {
        self.server(data)
    }

    /// A client chunk of `total_len` bytes, of which `data` and `tail` were captured.
    pub fn req_captured(&mut self, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        self.client_captured(data, total_len, tail)
    }

    /// A server chunk of `total_len` bytes, of which `data` and `tail` were captured.
    pub fn resp_captured(&mut self, data: &[u8], total_len: usize, tail: &[u8]) -> &mut Self {
        self.server_captured(data, total_len, tail)
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
