//! Pairing each request with its response on one connection, and the
//! events that come of it.
//!
//! HTTP/1.x answers requests in order, so pairing is a FIFO: the n-th final
//! response answers the n-th request. Requests whose head could not be read
//! still take their place in the queue (as unknown entries), so that their
//! responses are not paired with the requests after them; one unknown entry
//! stands for a whole stretch of unreadable bytes, which is right unless
//! the client pipelined inside that stretch.
//!
//! A response whose first byte came before the request it would answer
//! cannot be that request's response: it answers one the parser never saw
//! (the connection was picked up mid-exchange) and is left unpaired. This
//! relies on the caller feeding both directions in timestamp order, as the
//! kernel's ring buffer delivers them.

use std::{collections::VecDeque, sync::Arc};

use super::{
    super::segments::Stamp,
    framing::{self, Framing},
    head::Head,
    reader::Sink,
    types::{ExchangeError, Http1Event, Http1Exchange, Http1Stats, RequestHead},
};

/// Requests waiting for their response, at most. Clients pipeline a few;
/// beyond this, requests are dropped (and counted).
pub(super) const MAX_PENDING: usize = 64;
/// Bytes of request heads (method, target, host, traceparent) kept for
/// waiting requests, at most: bounds a connection's memory whatever the
/// client sends.
pub(super) const MAX_PENDING_HEAD_BYTES: usize = 64 * 1024;

/// The requests of a connection still waiting to be reported.
#[derive(Debug, Default)]
pub(super) struct Pairing {
    entries: VecDeque<Entry>,
    next_id: u64,
    next_sequence: u64,
    /// The entry whose request the request reader is reading the body of.
    request_entry: Option<u64>,
    /// What the response reader's current final response answers.
    response_entry: Option<Binding>,
    /// Head bytes held by `entries`.
    head_bytes: usize,
    pub stats: Http1Stats,
    /// A response switched the connection to another protocol.
    pub tunnel: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    Entry(u64),
    /// Answers no request in the queue.
    Unpaired,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    /// None for a request whose head could not be read.
    request: Option<Request>,
    response: Response,
}

#[derive(Debug)]
struct Request {
    sequence: u64,
    head: Arc<RequestHead>,
    first: Stamp,
    /// The latest byte seen of the request.
    last: Stamp,
    body_bytes: u64,
    complete: bool,
    expect_continue: bool,
    /// The body's framing broke.
    unparseable: bool,
}

#[derive(Debug, Default)]
struct Response {
    state: ResponseState,
    status: Option<u16>,
    first: Option<Stamp>,
    last: Option<Stamp>,
    body_bytes: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum ResponseState {
    #[default]
    Awaiting,
    Reading,
    Complete,
    Failed,
}

impl Entry {
    fn response_done(&self) -> bool {
        matches!(
            self.response.state,
            ResponseState::Complete | ResponseState::Failed
        )
    }

    /// Whether nothing more is to be learnt: the response is done, and so is
    /// the request, or it announced `Expect: 100-continue` and no body came
    /// before the final response (the client may never send it).
    fn ready(&self) -> bool {
        self.response_done()
            && self.request.as_ref().is_none_or(|request| {
                request.complete || (request.expect_continue && request.body_bytes == 0)
            })
    }
}

impl Pairing {
    /// The sink of the request reader.
    pub fn request_sink<'a>(&'a mut self, out: &'a mut Vec<Http1Event>) -> RequestSink<'a> {
        RequestSink { pairing: self, out }
    }

    /// The sink of the response reader.
    pub fn response_sink<'a>(&'a mut self, out: &'a mut Vec<Http1Event>) -> ResponseSink<'a> {
        ResponseSink { pairing: self, out }
    }

    /// Reports every waiting request, those without a complete response
    /// ending with `unfinished`, and starts afresh.
    pub fn flush(&mut self, unfinished: ExchangeError, out: &mut Vec<Http1Event>) {
        while let Some(entry) = self.entries.pop_front() {
            self.report(entry, unfinished, out);
        }
        self.request_entry = None;
        self.response_entry = None;
    }

    /// Reports the requests at the front that are done.
    fn report_ready(&mut self, out: &mut Vec<Http1Event>) {
        while self.entries.front().is_some_and(Entry::ready) {
            if let Some(entry) = self.entries.pop_front() {
                self.report(entry, ExchangeError::ConnectionClosed, out);
            }
        }
    }

    fn report(&mut self, entry: Entry, unfinished: ExchangeError, out: &mut Vec<Http1Event>) {
        let Some(request) = entry.request else {
            return;
        };
        self.head_bytes = self.head_bytes.saturating_sub(head_bytes(&request.head));
        let response = entry.response;
        let complete = response.state == ResponseState::Complete;
        let error = match response.state {
            ResponseState::Complete => request.unparseable.then_some(ExchangeError::Unparseable),
            ResponseState::Failed => Some(ExchangeError::Unparseable),
            ResponseState::Awaiting | ResponseState::Reading => Some(unfinished),
        };
        let end = response.last.filter(|_| complete);
        out.push(Http1Event::Exchange(Http1Exchange {
            sequence: request.sequence,
            head: request.head,
            status: response.status,
            request_start_ns: request.first.ns,
            request_tid: request.first.tid,
            request_end_ns: request.last.ns,
            response_start_ns: response.first.map(|stamp| stamp.ns),
            response_end_ns: end.map(|stamp| stamp.ns),
            response_tid: end.map(|stamp| stamp.tid),
            request_body_bytes: request.body_bytes,
            response_body_bytes: response.body_bytes,
            error,
        }));
    }

    fn entry(&mut self, id: Option<u64>) -> Option<&mut Entry> {
        let id = id?;
        self.entries.iter_mut().find(|entry| entry.id == id)
    }

    fn response_entry(&mut self) -> Option<&mut Entry> {
        match self.response_entry {
            Some(Binding::Entry(id)) => self.entry(Some(id)),
            Some(Binding::Unpaired) | None => None,
        }
    }

    /// Queues an entry; false when the queue is full.
    fn push(&mut self, request: Option<Request>) -> Option<u64> {
        let bytes = request
            .as_ref()
            .map_or(0, |request| head_bytes(&request.head));
        if self.entries.len() >= MAX_PENDING || self.head_bytes + bytes > MAX_PENDING_HEAD_BYTES {
            self.stats.requests_dropped += 1;
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.head_bytes += bytes;
        self.entries.push_back(Entry {
            id,
            request,
            response: Response::default(),
        });
        Some(id)
    }

    /// The first request without a final response, if its response may be
    /// one that began in `first` (it cannot predate the request).
    fn awaiting(&self, first: Stamp) -> Option<usize> {
        let index = self
            .entries
            .iter()
            .position(|entry| entry.response.state == ResponseState::Awaiting)?;
        let request = self.entries[index].request.as_ref();
        request
            .is_none_or(|request| request.first.ns <= first.ns)
            .then_some(index)
    }
}

fn head_bytes(head: &RequestHead) -> usize {
    head.method.len()
        + head.target.len()
        + head.host.as_ref().map_or(0, |host| host.len())
        + head.traceparent.as_ref().map_or(0, String::len)
}

/// Where the request reader reports.
pub(super) struct RequestSink<'a> {
    pairing: &'a mut Pairing,
    out: &'a mut Vec<Http1Event>,
}

impl Sink for RequestSink<'_> {
    fn head(&mut self, head: Head, first: Stamp, last: Stamp) -> Framing {
        let Head::Request { head, body } = head else {
            self.unreadable(first);
            return Framing::Invalid;
        };
        let framing = framing::request(&body);
        if framing == Framing::Invalid {
            self.unreadable(first);
            return framing;
        }
        let pairing = &mut *self.pairing;
        let sequence = pairing.next_sequence;
        let head = Arc::new(head);
        let started = Http1Event::RequestStarted {
            sequence,
            head: Arc::clone(&head),
            start_ns: first.ns,
            tid: first.tid,
        };
        pairing.request_entry = pairing.push(Some(Request {
            sequence,
            head,
            first,
            last,
            body_bytes: 0,
            complete: false,
            expect_continue: body.expect_continue,
            unparseable: false,
        }));
        if pairing.request_entry.is_some() {
            pairing.next_sequence += 1;
            self.out.push(started);
        }
        framing
    }

    fn progress(&mut self, body_bytes: u64, last: Stamp) {
        let id = self.pairing.request_entry;
        if let Some(request) = self.pairing.entry(id).and_then(|e| e.request.as_mut()) {
            request.body_bytes = body_bytes;
            request.last = last;
        }
    }

    fn end(&mut self, last: Stamp, body_bytes: u64) {
        let id = self.pairing.request_entry.take();
        if let Some(request) = self.pairing.entry(id).and_then(|e| e.request.as_mut()) {
            request.body_bytes = body_bytes;
            request.last = last;
            request.complete = true;
        }
        self.pairing.report_ready(self.out);
    }

    fn abandoned(&mut self) {
        self.pairing.stats.requests_unparseable += 1;
        let id = self.pairing.request_entry.take();
        if let Some(request) = self.pairing.entry(id).and_then(|e| e.request.as_mut()) {
            request.complete = true;
            request.unparseable = true;
        }
        self.pairing.report_ready(self.out);
    }

    fn unreadable(&mut self, _first: Stamp) {
        let pairing = &mut *self.pairing;
        pairing.stats.requests_unparseable += 1;
        pairing.request_entry = None;
        // One unknown entry per stretch of unreadable requests.
        let coalesced = pairing.entries.back().is_some_and(|entry| {
            entry.request.is_none() && entry.response.state == ResponseState::Awaiting
        });
        if !coalesced {
            pairing.push(None);
        }
    }

    fn skipped(&mut self, bytes: u64) {
        let stats = &mut self.pairing.stats;
        stats.bytes_skipped = stats.bytes_skipped.saturating_add(bytes);
    }
}

/// Where the response reader reports.
pub(super) struct ResponseSink<'a> {
    pairing: &'a mut Pairing,
    out: &'a mut Vec<Http1Event>,
}

impl Sink for ResponseSink<'_> {
    fn head(&mut self, head: Head, first: Stamp, last: Stamp) -> Framing {
        let Head::Response { status, body } = head else {
            self.unreadable(first);
            return Framing::Invalid;
        };
        let pairing = &mut *self.pairing;
        let index = pairing.awaiting(first);
        let request = index.and_then(|index| pairing.entries[index].request.as_ref());
        let framing = framing::response(status, &body, request.map(|r| r.head.method.as_str()));
        if framing == Framing::Interim {
            return framing;
        }
        pairing.response_entry = Some(match index {
            Some(index) => {
                let entry = &mut pairing.entries[index];
                entry.response = Response {
                    state: ResponseState::Reading,
                    status: Some(status),
                    first: Some(first),
                    last: Some(last),
                    body_bytes: 0,
                };
                if entry.request.is_none() {
                    pairing.stats.responses_unpaired += 1;
                }
                Binding::Entry(entry.id)
            }
            None => {
                pairing.stats.responses_unpaired += 1;
                Binding::Unpaired
            }
        });
        match framing {
            Framing::Invalid => self.abandoned(),
            Framing::Tunnel => pairing.tunnel = true,
            _ => {}
        }
        framing
    }

    fn progress(&mut self, body_bytes: u64, last: Stamp) {
        if let Some(entry) = self.pairing.response_entry() {
            entry.response.body_bytes = body_bytes;
            entry.response.last = Some(last);
        }
    }

    fn end(&mut self, last: Stamp, body_bytes: u64) {
        if let Some(entry) = self.pairing.response_entry() {
            entry.response.body_bytes = body_bytes;
            entry.response.last = Some(last);
            entry.response.state = ResponseState::Complete;
        }
        self.pairing.response_entry = None;
        self.pairing.report_ready(self.out);
    }

    fn abandoned(&mut self) {
        self.pairing.stats.responses_unparseable += 1;
        if let Some(entry) = self.pairing.response_entry() {
            entry.response.state = ResponseState::Failed;
        }
        self.pairing.response_entry = None;
        self.pairing.report_ready(self.out);
    }

    fn unreadable(&mut self, first: Stamp) {
        let pairing = &mut *self.pairing;
        pairing.stats.responses_unparseable += 1;
        pairing.response_entry = None;
        if let Some(index) = pairing.awaiting(first) {
            pairing.entries[index].response.state = ResponseState::Failed;
        }
        pairing.report_ready(self.out);
    }

    fn skipped(&mut self, bytes: u64) {
        let stats = &mut self.pairing.stats;
        stats.bytes_skipped = stats.bytes_skipped.saturating_add(bytes);
    }
}
