//! Turning HTTP events into spans, linked into traces.
//!
//! A server span's context comes from the inbound `traceparent` when it has a
//! valid one, else it starts a new trace. While a thread serves a request,
//! that request is the thread's *active* one: a client request the same
//! thread starts meanwhile is its child. This is exact for thread-per-request
//! servers (gunicorn sync and gthread workers, uwsgi) and a best guess for
//! event loops, where one thread interleaves requests (the latest wins).
//!
//! Events must arrive in the order they happened, across connections, for
//! the thread links to be right.

use std::collections::{HashMap, VecDeque};

use smallvec::SmallVec;

use super::context::{IdGenerator, TraceContext, FLAG_SAMPLED};
use super::span::{self, Span, SpanInputs};
use crate::events::{kernel_keyed::KernelKeyedMap, text_memo::TextMemo, Text};
use crate::http::exchange::{ConnectionKey, HttpEvent, Role};
use crate::protocols::http1::{Http1Event, Http1Exchange, RequestHead};

/// Default bound on the requests remembered between their start and end.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 65_536;

/// The ids of a request whose span is not finished yet.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    sequence: u64,
    role: Role,
    trace_id: [u8; 16],
    span_id: [u8; 8],
    parent_span_id: Option<[u8; 8]>,
    flags: u8,
    pid: u32,
    tid: u32,
    /// Insertion number, to tell a live eviction-queue entry from a stale one.
    generation: u64,
}

/// The requests in flight on one connection: one but when pipelined.
type Requests = SmallVec<[InFlight; 1]>;

/// The server request a thread is serving.
#[derive(Debug, Clone, Copy)]
struct Active {
    connection: ConnectionKey,
    sequence: u64,
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
    start_ns: u64,
}

/// The ids of a span and of its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanIds {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_span_id: Option<[u8; 8]>,
}

/// A database call, as the assembler sees it.
#[derive(Debug, Clone, Copy)]
pub struct DbCallInfo {
    pub pid: u32,
    /// The thread that sent it, and when.
    pub tid: u32,
    pub start_ns: u64,
    pub duration_ns: u64,
    /// One of the SQL queries a request made (see `db::is_counted_query`).
    pub counted_query: bool,
    /// Equal for calls of the same normalized statement.
    pub statement_key: u64,
    pub redis: bool,
}

/// Span names remembered, by method and route: a service's busiest routes.
const SPAN_NAMES: usize = 32;

/// Distinct statements remembered per request for the repeat count; a
/// request running more is an outlier whose repeats are undercounted.
const MAX_STATEMENTS_PER_REQUEST: usize = 1024;

/// What the database calls of a server request add up to.
#[derive(Debug, Default)]
struct RequestDb {
    queries: u64,
    query_time_ns: u64,
    redis_commands: u64,
    /// Runs of each normalized statement.
    statements: HashMap<u64, u32>,
}

impl RequestDb {
    fn add(&mut self, call: &DbCallInfo) {
        if call.redis {
            self.redis_commands += 1;
            return;
        }
        if !call.counted_query {
            return;
        }
        self.queries += 1;
        self.query_time_ns = self.query_time_ns.saturating_add(call.duration_ns);
        if let Some(runs) = self.statements.get_mut(&call.statement_key) {
            *runs += 1;
        } else if self.statements.len() < MAX_STATEMENTS_PER_REQUEST {
            self.statements.insert(call.statement_key, 1);
        }
    }

    /// Queries whose normalized statement the request ran more than once
    /// (the N+1 signal: a loop running one query per row).
    fn repeated(&self) -> u64 {
        self.statements
            .values()
            .filter(|&&runs| runs > 1)
            .map(|&runs| u64::from(runs))
            .sum()
    }

    /// The server span's attributes: `sonde.db.queries` (SQL queries, not
    /// counting transaction control and session settings),
    /// `sonde.db.duration_ns` (their time), `sonde.db.repeated_queries`,
    /// and `sonde.redis.commands` when there were any.
    fn attributes(&self) -> Vec<(&'static str, crate::events::Value)> {
        let mut attributes = vec![
            ("sonde.db.queries", self.queries.into()),
            ("sonde.db.duration_ns", self.query_time_ns.into()),
            ("sonde.db.repeated_queries", self.repeated().into()),
        ];
        if self.redis_commands > 0 {
            attributes.push(("sonde.redis.commands", self.redis_commands.into()));
        }
        attributes
    }
}

/// Builds spans from a connection-ordered stream of [`HttpEvent`]s.
///
/// Memory is bounded: at most `max_in_flight` requests are remembered
/// between their start and their end; beyond that the oldest is forgotten
/// and counted in [`SpanAssembler::evicted`]. A forgotten request still
/// gets its span when it ends, in a trace of its own (server) or under
/// whatever its thread is serving then (client).
#[derive(Debug)]
pub struct SpanAssembler {
    ids: IdGenerator,
    /// Requests started and not ended, by connection (a connection has one
    /// at a time, more only when requests are pipelined).
    in_flight: KernelKeyedMap<ConnectionKey, Requests>,
    in_flight_len: usize,
    /// Oldest first; entries whose request has ended are skipped (and
    /// compacted away when they outnumber the live ones).
    order: VecDeque<(ConnectionKey, u64, u64)>,
    next_generation: u64,
    /// Active server request per (pid, tid).
    active: KernelKeyedMap<(u32, u32), Active>,
    /// Database calls of in-flight server requests, by (connection,
    /// sequence).
    db: KernelKeyedMap<(ConnectionKey, u64), RequestDb>,
    max_in_flight: usize,
    evicted: u64,
    /// `{method} {route}`, made once per method and route.
    names: TextMemo<(&'static str, Text), SPAN_NAMES>,
}

impl Default for SpanAssembler {
    fn default() -> SpanAssembler {
        SpanAssembler::new()
    }
}

impl SpanAssembler {
    /// An assembler remembering up to [`DEFAULT_MAX_IN_FLIGHT`] requests.
    pub fn new() -> SpanAssembler {
        SpanAssembler::with_capacity(DEFAULT_MAX_IN_FLIGHT, IdGenerator::new())
    }

    /// An assembler remembering up to `max_in_flight` requests (at least
    /// one), drawing ids from `ids`.
    pub fn with_capacity(max_in_flight: usize, ids: IdGenerator) -> SpanAssembler {
        SpanAssembler {
            ids,
            in_flight: KernelKeyedMap::default(),
            in_flight_len: 0,
            order: VecDeque::new(),
            next_generation: 0,
            active: KernelKeyedMap::default(),
            db: KernelKeyedMap::default(),
            max_in_flight: max_in_flight.max(1),
            evicted: 0,
            names: TextMemo::new(),
        }
    }

    /// Requests started and not yet ended.
    pub fn in_flight(&self) -> usize {
        self.in_flight_len
    }

    /// Requests forgotten before their end because too many were in flight.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Takes in one event; returns the span it finished, if any.
    ///
    /// `service_name` and `route` (the templated `http.route`, empty when
    /// unknown) are the caller's: they are only used for a finished span.
    pub fn on_event(
        &mut self,
        event: &HttpEvent,
        service_name: &Text,
        route: &Text,
    ) -> Option<Span> {
        match &event.event {
            Http1Event::RequestStarted {
                sequence,
                head,
                start_ns,
                tid,
            } => {
                self.request_started(event, *sequence, head, *start_ns, *tid);
                None
            }
            Http1Event::Exchange(exchange) => {
                Some(self.exchange(event, exchange, service_name, route))
            }
        }
    }

    /// Forgets every request of a connection that is gone.
    pub fn forget_connection(&mut self, key: ConnectionKey) {
        let Some(requests) = self.in_flight.remove(&key) else {
            return;
        };
        self.in_flight_len -= requests.len();
        // Their eviction-queue entries are now stale.
        for request in requests {
            self.deactivate(key, &request);
            self.db.remove(&(key, request.sequence));
        }
        self.compact();
    }

    /// Takes in a database call: the ids of its span, a child of the
    /// server request its thread was serving when it began (whose totals
    /// it adds to), else the root of a trace of its own.
    pub fn db_call(&mut self, call: &DbCallInfo) -> SpanIds {
        let span_id = self.ids.span_id();
        let Some(active) = self.serving(call) else {
            return SpanIds {
                trace_id: self.ids.trace_id(),
                span_id,
                parent_span_id: None,
            };
        };
        let ids = SpanIds {
            trace_id: active.trace_id,
            span_id,
            parent_span_id: Some(active.span_id),
        };
        let key = (active.connection, active.sequence);
        self.db.entry(key).or_default().add(call);
        ids
    }

    /// Adds a call whose span was made before it was known to be a query
    /// (see `db::AutocommitTracker`) to its request's totals.
    pub fn count_db_query(&mut self, call: &DbCallInfo) {
        if let Some(active) = self.serving(call) {
            let key = (active.connection, active.sequence);
            let counted = DbCallInfo {
                counted_query: true,
                ..*call
            };
            self.db.entry(key).or_default().add(&counted);
        }
    }

    /// The server request the thread of `call` was serving when it began.
    fn serving(&self, call: &DbCallInfo) -> Option<Active> {
        self.active
            .get(&(call.pid, call.tid))
            .filter(|active| active.start_ns <= call.start_ns)
            .copied()
    }

    fn request_started(
        &mut self,
        event: &HttpEvent,
        sequence: u64,
        head: &RequestHead,
        start_ns: u64,
        tid: u32,
    ) {
        let connection = event.connection;
        if self.find(connection, sequence).is_some() {
            // Announced twice: keep the ids already handed out.
            return;
        }
        let parent = self.parent_context(event, head, tid, start_ns);
        let request = InFlight {
            sequence,
            role: event.role,
            trace_id: parent.map_or_else(|| self.ids.trace_id(), |p| p.trace_id),
            span_id: self.ids.span_id(),
            parent_span_id: parent.map(|p| p.span_id),
            flags: parent.map_or(FLAG_SAMPLED, |p| p.flags),
            pid: event.pid,
            tid,
            generation: self.next_generation,
        };
        self.next_generation += 1;
        if event.role == Role::Server {
            self.active.insert(
                (event.pid, tid),
                Active {
                    connection,
                    sequence,
                    trace_id: request.trace_id,
                    span_id: request.span_id,
                    flags: request.flags,
                    start_ns,
                },
            );
        }
        self.in_flight.entry(connection).or_default().push(request);
        self.in_flight_len += 1;
        self.order
            .push_back((connection, sequence, request.generation));
        while self.in_flight_len > self.max_in_flight {
            self.evict_oldest();
        }
        self.compact();
    }

    /// The context a new request's span continues: for a server, the
    /// inbound `traceparent`; for a client, the request its thread is
    /// serving (if that began before this one). `None` for a new trace.
    fn parent_context(
        &self,
        event: &HttpEvent,
        head: &RequestHead,
        tid: u32,
        start_ns: u64,
    ) -> Option<TraceContext> {
        match event.role {
            Role::Server => head
                .traceparent
                .as_deref()
                .and_then(TraceContext::parse_traceparent),
            Role::Client => self
                .active
                .get(&(event.pid, tid))
                .filter(|active| active.start_ns <= start_ns)
                .map(|active| TraceContext {
                    trace_id: active.trace_id,
                    span_id: active.span_id,
                    flags: active.flags,
                }),
        }
    }

    fn exchange(
        &mut self,
        event: &HttpEvent,
        exchange: &Http1Exchange,
        service_name: &Text,
        route: &Text,
    ) -> Span {
        let db = self.db.remove(&(event.connection, exchange.sequence));
        let request = match self.take(event.connection, exchange.sequence) {
            Some(request) => {
                self.deactivate(event.connection, &request);
                request
            }
            // Never announced, or forgotten: link it as well as can be done now.
            None => {
                let parent = self.parent_context(
                    event,
                    &exchange.head,
                    exchange.request_tid,
                    exchange.request_start_ns,
                );
                InFlight {
                    sequence: exchange.sequence,
                    role: event.role,
                    trace_id: parent.map_or_else(|| self.ids.trace_id(), |p| p.trace_id),
                    span_id: self.ids.span_id(),
                    parent_span_id: parent.map(|p| p.span_id),
                    flags: parent.map_or(FLAG_SAMPLED, |p| p.flags),
                    pid: event.pid,
                    tid: exchange.request_tid,
                    generation: u64::MAX,
                }
            }
        };
        let (start_ns, end_ns) = span::timing(exchange);
        let method = span::normalize_method(&exchange.head.method);
        let inputs = SpanInputs {
            service_name,
            route,
            tid: request.tid,
            status: exchange.status,
        };
        let mut attributes = span::attributes(event, &exchange.head, &inputs);
        if let Some(db) = db {
            attributes.extend(db.attributes());
        }
        Span {
            trace_id: request.trace_id,
            span_id: request.span_id,
            parent_span_id: request.parent_span_id,
            kind: event.role,
            name: self
                .names
                .get_or_make((method, route.clone()), |(method, route)| {
                    span::span_name(method, route)
                }),
            start_ns,
            end_ns,
            attributes,
            error_type: span::error_type(event.role, exchange.status, exchange.error),
        }
    }

    /// Index of a remembered request in its connection's list.
    fn find(&self, connection: ConnectionKey, sequence: u64) -> Option<usize> {
        self.in_flight
            .get(&connection)?
            .iter()
            .position(|request| request.sequence == sequence)
    }

    /// Removes a remembered request (its eviction-queue entry goes stale).
    fn take(&mut self, connection: ConnectionKey, sequence: u64) -> Option<InFlight> {
        let index = self.find(connection, sequence)?;
        let requests = self.in_flight.get_mut(&connection)?;
        let request = requests.remove(index);
        if requests.is_empty() {
            self.in_flight.remove(&connection);
        }
        self.in_flight_len -= 1;
        Some(request)
    }

    /// A server request is over: its thread serves nothing any more, unless
    /// it has moved on to another request already.
    fn deactivate(&mut self, connection: ConnectionKey, request: &InFlight) {
        if request.role != Role::Server {
            return;
        }
        let key = (request.pid, request.tid);
        let still_this_one = self.active.get(&key).is_some_and(|active| {
            active.connection == connection && active.sequence == request.sequence
        });
        if still_this_one {
            self.active.remove(&key);
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((connection, sequence, generation)) = self.order.pop_front() {
            let live = self
                .find(connection, sequence)
                .is_some_and(|index| self.in_flight[&connection][index].generation == generation);
            if live {
                if let Some(request) = self.take(connection, sequence) {
                    self.deactivate(connection, &request);
                    self.db.remove(&(connection, sequence));
                    self.evicted += 1;
                }
                return;
            }
        }
    }

    /// Drops stale eviction-queue entries once they outnumber the live ones,
    /// so the queue stays within twice the live requests (amortised O(1)).
    fn compact(&mut self) {
        if self.order.len() <= 2 * self.in_flight_len + 64 {
            return;
        }
        let in_flight = &self.in_flight;
        self.order.retain(|(connection, sequence, generation)| {
            in_flight.get(connection).is_some_and(|requests| {
                requests
                    .iter()
                    .any(|r| r.sequence == *sequence && r.generation == *generation)
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::protocols::http1::RequestHead;

    #[test]
    fn the_eviction_queue_does_not_grow_with_finished_requests() {
        let mut spans = SpanAssembler::with_capacity(1_000, IdGenerator::with_seed(1));
        let head = RequestHead {
            method: "GET".into(),
            target: "/".into(),
            version: 1,
            host: None,
            traceparent: None,
        };
        for n in 0..100_000u64 {
            let connection = ConnectionKey { sk: n % 7, ino: n };
            let started = Http1Event::RequestStarted {
                sequence: 0,
                head: Arc::new(head.clone()),
                start_ns: n,
                tid: 1,
            };
            let event = |event| HttpEvent {
                role: Role::Server,
                connection,
                pid: 1,
                local: None,
                peer: None,
                event,
            };
            assert!(spans
                .on_event(&event(started), &"s".into(), &"/".into())
                .is_none());
            let exchange = Http1Exchange {
                sequence: 0,
                head: Arc::new(head.clone()),
                status: Some(200),
                request_start_ns: n,
                request_tid: 1,
                request_end_ns: n,
                response_start_ns: Some(n),
                response_end_ns: Some(n),
                response_tid: Some(1),
                request_body_bytes: 0,
                response_body_bytes: 0,
                error: None,
            };
            let span = spans.on_event(
                &event(Http1Event::Exchange(exchange)),
                &"s".into(),
                &"/".into(),
            );
            assert!(span.is_some());
            assert!(spans.order.len() <= 2 + 64, "{}", spans.order.len());
        }
        assert_eq!((spans.in_flight(), spans.evicted()), (0, 0));
        assert!(spans.active.is_empty() && spans.in_flight.is_empty());
    }
}
