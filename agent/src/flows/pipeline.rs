//! Captured flows → parser events → spans and metrics.
//!
//! One task owns every connection's parser state, so no locks are needed;
//! it never blocks on its output (spans that do not fit are dropped and
//! counted). Events must come in the order they happened, across
//! connections: a database call is linked to the HTTP request its thread
//! is serving at that moment.

use std::{collections::HashMap, sync::Arc, time::Duration};

use sonde_common::{FlowOpenedEvent, DIRECTION_RECEIVED, DIRECTION_SENT};

use super::connection::{Connection, Parser, ParserStats};
use super::{db, http};
use crate::{
    db::StatementTextCache,
    events::{decode::FlowData, kernel_keyed::KernelKeyedMap, KernelEvent},
    export::OtelMeters,
    http::exchange::{ConnectionKey, Role},
    http::route::{RouteTable, DEFAULT_MAX_ROUTES},
    protocols::{chunk::Chunk, db::DbSystem, http1::Http1Event},
    service::ServiceCache,
    telemetry::{AgentMetrics, PipelineStats},
    traces::{Span, SpanAssembler},
};

/// A connection without traffic for this long is forgotten (Unix-domain
/// sockets have no close event to tell us).
const IDLE_CONNECTION: Duration = Duration::from_secs(600);
/// Services whose routes are remembered at most (each holds up to
/// DEFAULT_MAX_ROUTES routes).
const MAX_SERVICES: usize = 1024;
/// Connections tracked at most; beyond, the least recently used is dropped.
const MAX_CONNECTIONS: usize = 65_536;

/// Everything the flow pipeline keeps between events.
pub struct FlowPipeline {
    connections: KernelKeyedMap<ConnectionKey, Connection>,
    spans: SpanAssembler,
    services: ServiceCache,
    routes: HashMap<String, RouteTable>,
    metrics: Arc<AgentMetrics>,
    /// The OTLP metric instruments, when metrics are exported.
    otel: Option<OtelMeters>,
    /// Data for a connection whose opening we never saw (its event dropped).
    unknown_flow_events: u64,
    /// What the parsers of connections now gone gave up on.
    closed_parser_stats: ParserStats,
    /// An HTTP parser's events, reused from chunk to chunk.
    http_events: Vec<Http1Event>,
    /// Database spans' statement texts, shared from span to span.
    statement_texts: StatementTextCache,
}

/// What the per-protocol emitters share: the pipeline's state but the
/// connections.
pub(super) struct Sinks<'a> {
    pub spans: &'a mut SpanAssembler,
    pub services: &'a mut ServiceCache,
    pub routes: &'a mut HashMap<String, RouteTable>,
    pub metrics: &'a AgentMetrics,
    pub otel: Option<&'a mut OtelMeters>,
    pub out: &'a mut Vec<Span>,
    /// Scratch space for an HTTP parser's events.
    pub http_events: &'a mut Vec<Http1Event>,
    pub statement_texts: &'a mut StatementTextCache,
}

impl Sinks<'_> {
    /// The routes of `service`, made on first use (bounded: see
    /// [`MAX_SERVICES`]).
    pub fn routes_of(&mut self, service: &str) -> Option<&mut RouteTable> {
        if !self.routes.contains_key(service) {
            if self.routes.len() >= MAX_SERVICES {
                // Start over rather than grow without bound; the metric
                // series have their own cap.
                self.routes.clear();
            }
            self.routes
                .insert(service.to_string(), RouteTable::new(DEFAULT_MAX_ROUTES));
        }
        self.routes.get_mut(service)
    }
}

impl FlowPipeline {
    pub fn new(metrics: Arc<AgentMetrics>, otel: Option<OtelMeters>) -> FlowPipeline {
        FlowPipeline {
            otel,
            connections: KernelKeyedMap::default(),
            spans: SpanAssembler::new(),
            services: ServiceCache::default(),
            routes: HashMap::new(),
            metrics,
            unknown_flow_events: 0,
            closed_parser_stats: ParserStats::default(),
            http_events: Vec::new(),
            statement_texts: StatementTextCache::default(),
        }
    }

    /// Handles one flow event; finished spans are pushed to `out`.
    pub fn handle(&mut self, event: &KernelEvent, out: &mut Vec<Span>) {
        match event {
            KernelEvent::FlowOpened(opened) => self.open(opened),
            KernelEvent::FlowData(data) => self.data(data, out),
            KernelEvent::FlowClosed(closed) => {
                let key = ConnectionKey {
                    sk: closed.flow.sk,
                    ino: closed.flow.ino,
                };
                self.close(key, closed.header.timestamp_ns, out);
            }
            KernelEvent::Process(_, process) => self.services.forget(process.header.task.tgid),
            KernelEvent::Tcp(_, tcp) => {
                if let Some(flow) = event.closed_flow() {
                    let key = ConnectionKey {
                        sk: flow.sk,
                        ino: flow.ino,
                    };
                    self.close(key, tcp.header.timestamp_ns, out);
                }
            }
        }
    }

    /// Publishes the pipeline's own counters and its parsers' to /metrics.
    pub fn publish_stats(&self) {
        let mut parsers = self.closed_parser_stats;
        for connection in self.connections.values() {
            parsers.add(&connection.parser);
        }
        self.metrics.http().set_pipeline_stats(PipelineStats {
            connections: self.connections.len() as u64,
            spans_in_flight: self.spans.in_flight() as u64,
            spans_evicted: self.spans.evicted(),
            unmatched_flow_events: self.unknown_flow_events,
            route_overflows: self.routes.values().map(RouteTable::overflowed).sum(),
            parser: parsers.http1,
        });
        self.metrics.db().set_parser_stats([
            (DbSystem::Postgresql, parsers.postgres),
            (DbSystem::Mysql, parsers.mysql),
            (DbSystem::Redis, parsers.redis),
        ]);
    }

    fn open(&mut self, opened: &FlowOpenedEvent) {
        let key = ConnectionKey {
            sk: opened.flow.sk,
            ino: opened.flow.ino,
        };
        let Some(connection) = Connection::opened(opened) else {
            return;
        };
        if self.connections.len() >= MAX_CONNECTIONS && !self.connections.contains_key(&key) {
            self.evict_least_recent();
        }
        if let Some(previous) = self.connections.insert(key, connection) {
            self.closed_parser_stats.add(&previous.parser);
        }
    }

    fn data(&mut self, data: &FlowData, out: &mut Vec<Span>) {
        let key = ConnectionKey {
            sk: data.head.flow.sk,
            ino: data.head.flow.ino,
        };
        let Some((connection, mut sinks)) = self.connection_and_sinks(key, out) else {
            self.unknown_flow_events += 1;
            return;
        };
        let timestamp_ns = data.head.header.timestamp_ns;
        connection.last_seen_ns = timestamp_ns;
        let chunk = Chunk {
            data: &data.captured,
            total_len: data.head.total_len as usize,
            tail: &data.tail,
            timestamp_ns,
            tid: data.head.header.task.tid,
        };
        // The request flows into a server and out of a client.
        let request_side = matches!(
            (connection.role, data.head.direction),
            (Role::Server, DIRECTION_RECEIVED) | (Role::Client, DIRECTION_SENT)
        );
        match &mut connection.parser {
            Parser::Http1(_) => http::feed(key, connection, &chunk, request_side, &mut sinks),
            Parser::Db(_) => db::feed(connection, &chunk, request_side, &mut sinks),
        }
    }

    fn close(&mut self, key: ConnectionKey, timestamp_ns: u64, out: &mut Vec<Span>) {
        let Some((connection, mut sinks)) = self.connection_and_sinks(key, out) else {
            return;
        };
        match &mut connection.parser {
            Parser::Http1(_) => http::close(key, connection, timestamp_ns, &mut sinks),
            Parser::Db(_) => db::close(connection, timestamp_ns, &mut sinks),
        }
        self.forget(key);
    }

    /// Connection `key` and, borrowed beside it, what its events go to.
    fn connection_and_sinks<'a>(
        &'a mut self,
        key: ConnectionKey,
        out: &'a mut Vec<Span>,
    ) -> Option<(&'a mut Connection, Sinks<'a>)> {
        let connection = self.connections.get_mut(&key)?;
        let sinks = Sinks {
            spans: &mut self.spans,
            services: &mut self.services,
            routes: &mut self.routes,
            metrics: &self.metrics,
            otel: self.otel.as_mut(),
            out,
            http_events: &mut self.http_events,
            statement_texts: &mut self.statement_texts,
        };
        Some((connection, sinks))
    }

    /// Drops connection `key`, keeping its parser's counts.
    fn forget(&mut self, key: ConnectionKey) {
        if let Some(connection) = self.connections.remove(&key) {
            self.closed_parser_stats.add(&connection.parser);
        }
        self.spans.forget_connection(key);
    }

    /// Forgets connections idle since before `now_ns - IDLE_CONNECTION`.
    pub fn expire_idle(&mut self, now_ns: u64, out: &mut Vec<Span>) {
        let horizon = now_ns.saturating_sub(IDLE_CONNECTION.as_nanos() as u64);
        let idle: Vec<ConnectionKey> = self
            .connections
            .iter()
            .filter(|(_, c)| c.last_seen_ns < horizon)
            .map(|(key, _)| *key)
            .collect();
        for key in idle {
            self.close(key, now_ns, out);
        }
    }

    fn evict_least_recent(&mut self) {
        if let Some(key) = self
            .connections
            .iter()
            .min_by_key(|(_, c)| c.last_seen_ns)
            .map(|(key, _)| *key)
        {
            self.forget(key);
        }
    }
}
