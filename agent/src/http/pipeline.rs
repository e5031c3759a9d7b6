//! Captured flows → HTTP/1.x exchanges → spans and RED metrics.
//!
//! One task owns every connection's parser state, so no locks are needed;
//! it never blocks on its output (spans that do not fit are dropped and
//! counted).

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use sonde_common::{
    FlowOpenedEvent, AF_INET, AF_INET6, AF_UNIX, DIRECTION_RECEIVED, DIRECTION_SENT, ROLE_SERVER,
};

use super::{
    exchange::{ConnectionKey, Endpoint, HttpEvent, Role},
    route::{RouteTable, DEFAULT_MAX_ROUTES},
};
use crate::{
    events::{decode::FlowData, KernelEvent},
    protocols::http1::{Chunk, Http1Connection, Http1Event, Http1Stats},
    service::ServiceCache,
    telemetry::{AgentMetrics, PipelineStats},
    traces::SpanAssembler,
};

/// A connection without traffic for this long is forgotten (Unix-domain
/// sockets have no close event to tell us).
const IDLE_CONNECTION: Duration = Duration::from_secs(600);
/// Services whose routes are remembered at most (each holds up to
/// DEFAULT_MAX_ROUTES routes).
const MAX_SERVICES: usize = 1024;
/// Connections tracked at most; beyond, the least recently used is dropped.
const MAX_CONNECTIONS: usize = 65_536;

struct Connection {
    role: Role,
    pid: u32,
    /// The owner's command name, for naming the service when /proc is gone.
    comm: String,
    local: Option<Endpoint>,
    peer: Option<Endpoint>,
    parser: Http1Connection,
    last_seen_ns: u64,
}

/// Everything the HTTP pipeline keeps between events.
pub struct HttpPipeline {
    connections: HashMap<ConnectionKey, Connection>,
    spans: SpanAssembler,
    services: ServiceCache,
    routes: HashMap<String, RouteTable>,
    metrics: Arc<AgentMetrics>,
    /// Data for a connection whose opening we never saw (its event dropped).
    unknown_flow_events: u64,
    /// What the parsers of connections now gone gave up on.
    closed_parser_stats: Http1Stats,
}

impl HttpPipeline {
    pub fn new(metrics: Arc<AgentMetrics>) -> HttpPipeline {
        HttpPipeline {
            connections: HashMap::new(),
            spans: SpanAssembler::new(),
            services: ServiceCache::default(),
            routes: HashMap::new(),
            metrics,
            unknown_flow_events: 0,
            closed_parser_stats: Http1Stats::default(),
        }
    }

    /// Handles one flow event; finished spans are pushed to `out`.
    pub fn handle(&mut self, event: &KernelEvent, out: &mut Vec<crate::traces::Span>) {
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
            KernelEvent::Tcp(..) => {}
        }
    }

    /// Counters of the pipeline's own state, for /metrics.
    pub fn stats(&self) -> PipelineStats {
        let mut parser = self.closed_parser_stats;
        for connection in self.connections.values() {
            parser.add(&connection.parser.stats());
        }
        PipelineStats {
            connections: self.connections.len() as u64,
            spans_in_flight: self.spans.in_flight() as u64,
            spans_evicted: self.spans.evicted(),
            unmatched_flow_events: self.unknown_flow_events,
            route_overflows: self.routes.values().map(RouteTable::overflowed).sum(),
            parser,
        }
    }

    fn open(&mut self, opened: &FlowOpenedEvent) {
        let key = ConnectionKey {
            sk: opened.flow.sk,
            ino: opened.flow.ino,
        };
        if self.connections.len() >= MAX_CONNECTIONS && !self.connections.contains_key(&key) {
            self.evict_least_recent();
        }
        let (local, peer) = endpoints(opened);
        self.connections.insert(
            key,
            Connection {
                role: if opened.role == ROLE_SERVER {
                    Role::Server
                } else {
                    Role::Client
                },
                pid: opened.header.task.tgid,
                comm: c_text(&opened.header.task.comm),
                local,
                peer,
                parser: Http1Connection::new(),
                last_seen_ns: opened.header.timestamp_ns,
            },
        );
    }

    fn data(&mut self, data: &FlowData, out: &mut Vec<crate::traces::Span>) {
        let key = ConnectionKey {
            sk: data.head.flow.sk,
            ino: data.head.flow.ino,
        };
        let Some(connection) = self.connections.get_mut(&key) else {
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
        let mut events = Vec::new();
        if request_side {
            connection.parser.feed_request_side(&chunk, &mut events);
        } else {
            connection.parser.feed_response_side(&chunk, &mut events);
        }
        self.emit(key, events, out);
    }

    fn close(&mut self, key: ConnectionKey, timestamp_ns: u64, out: &mut Vec<crate::traces::Span>) {
        let Some(connection) = self.connections.get_mut(&key) else {
            return;
        };
        let mut events = Vec::new();
        connection.parser.close(timestamp_ns, &mut events);
        self.emit(key, events, out);
        self.forget(key);
    }

    /// Drops connection `key`, keeping its parser's counts.
    fn forget(&mut self, key: ConnectionKey) {
        if let Some(connection) = self.connections.remove(&key) {
            self.closed_parser_stats.add(&connection.parser.stats());
        }
        self.spans.forget_connection(key);
    }

    /// Turns parser events of connection `key` into spans and metrics.
    fn emit(
        &mut self,
        key: ConnectionKey,
        events: Vec<Http1Event>,
        out: &mut Vec<crate::traces::Span>,
    ) {
        let Some(connection) = self.connections.get(&key) else {
            return;
        };
        if events.is_empty() {
            return;
        }
        let service = self
            .services
            .resolve_with_comm(connection.pid, &connection.comm);
        if !self.routes.contains_key(&service.name) {
            if self.routes.len() >= MAX_SERVICES {
                // Start over rather than grow without bound; the metric
                // series have their own cap.
                self.routes.clear();
            }
            self.routes
                .insert(service.name.clone(), RouteTable::new(DEFAULT_MAX_ROUTES));
        }
        let Some(routes) = self.routes.get_mut(&service.name) else {
            return;
        };
        for event in events {
            let target = match &event {
                Http1Event::RequestStarted { head, .. } => &head.target,
                Http1Event::Exchange(exchange) => &exchange.head.target,
            };
            let route = routes.route(target);
            let http_event = HttpEvent {
                role: connection.role,
                connection: key,
                pid: connection.pid,
                local: connection.local.clone(),
                peer: connection.peer.clone(),
                event,
            };
            if let Some(span) = self.spans.on_event(&http_event, &service.name, &route) {
                self.metrics.http().record(&span, &service.name);
                out.push(span);
            }
        }
    }

    /// Forgets connections idle since before `now_ns - IDLE_CONNECTION`.
    pub fn expire_idle(&mut self, now_ns: u64, out: &mut Vec<crate::traces::Span>) {
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

/// A NUL-terminated kernel string as text.
fn c_text(raw: &[u8]) -> String {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

fn ip(family: u16, raw: &[u8; 16]) -> Option<IpAddr> {
    match family {
        AF_INET => Some(IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))),
        AF_INET6 => {
            let v6 = Ipv6Addr::from(*raw);
            Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4))
        }
        _ => None,
    }
}

/// Local and peer endpoints of a newly captured connection.
fn endpoints(opened: &FlowOpenedEvent) -> (Option<Endpoint>, Option<Endpoint>) {
    let ends = &opened.endpoints;
    if ends.family == AF_UNIX {
        return (
            Some(Endpoint::Unix(c_text(&opened.local_path))),
            Some(Endpoint::Unix(c_text(&opened.peer_path))),
        );
    }
    let local = ip(ends.family, &ends.local_addr)
        .map(|ip| Endpoint::Inet(SocketAddr::new(ip, ends.local_port)));
    let peer = ip(ends.family, &ends.remote_addr)
        .map(|ip| Endpoint::Inet(SocketAddr::new(ip, ends.remote_port)));
    (local, peer)
}
