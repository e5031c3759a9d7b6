//! A finished span and the semantic-convention attributes of an HTTP exchange.

use std::net::{IpAddr, SocketAddr};

use crate::events::{text_memo::ip_text, Text, Value};
use crate::http::exchange::{Endpoint, HttpEvent, Role};
use crate::protocols::http1::{ExchangeError, Http1Exchange, RequestHead};

/// One finished span: an inbound (Server) or outbound (Client) HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    /// None for a root span.
    pub parent_span_id: Option<[u8; 8]>,
    pub kind: Role,
    /// `{method} {route}` (`HTTP {route}` for an unknown method).
    pub name: Text,
    /// CLOCK_MONOTONIC ns: first byte of the request.
    pub start_ns: u64,
    /// CLOCK_MONOTONIC ns: last byte of the response (or what came last).
    pub end_ns: u64,
    /// Semantic-convention attributes, in a stable order; `error.type` is
    /// not among them but in `error_type`.
    pub attributes: Vec<(&'static str, Value)>,
    /// `error.type`: the status code for a failed request, else how the
    /// exchange broke off (`connection_closed`, `unparseable`).
    pub error_type: Option<Text>,
}

impl Span {
    /// The value of attribute `key`, if present.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The string value of attribute `key`, if present and a string.
    pub fn str_attribute(&self, key: &str) -> Option<&str> {
        match self.attribute(key)? {
            Value::Str(value) => Some(value),
            Value::Int(_) => None,
        }
    }

    /// The integer value of attribute `key`, if present and an integer.
    pub fn int_attribute(&self, key: &str) -> Option<i64> {
        match self.attribute(key)? {
            Value::Int(value) => Some(*value),
            Value::Str(_) => None,
        }
    }

    /// `end_ns - start_ns`.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }
}

/// The methods semantic conventions know; any other is reported as `_OTHER`
/// (with the original in `http.request.method_original`), so a client
/// sending garbage methods cannot explode the metrics' cardinality.
const KNOWN_METHODS: [&str; 10] = [
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE",
];

/// The `http.request.method` of a request method.
pub fn normalize_method(method: &str) -> &'static str {
    KNOWN_METHODS
        .iter()
        .find(|known| **known == method)
        .copied()
        .unwrap_or("_OTHER")
}

/// `{method} {route}`, per the HTTP span name convention.
pub fn span_name(method: &'static str, route: &str) -> Text {
    let method = if method == "_OTHER" { "HTTP" } else { method };
    if route.is_empty() {
        Text::from(method)
    } else {
        Text::from(format!("{method} {route}"))
    }
}

/// Start and end of the span: first byte of the request to last byte of the
/// response; without a complete response, the last thing seen of it (its
/// first byte, else the end of the request).
pub fn timing(exchange: &Http1Exchange) -> (u64, u64) {
    let start = exchange.request_start_ns;
    let end = exchange
        .response_end_ns
        .or(exchange.response_start_ns)
        .unwrap_or(exchange.request_end_ns);
    (start, end.max(start))
}

/// `error.type` of an exchange, per the HTTP span status conventions:
/// a 5xx for a server, a 4xx or 5xx for a client; else how the exchange
/// broke off.
pub fn error_type(role: Role, status: Option<u16>, error: Option<ExchangeError>) -> Option<Text> {
    let failed_status = status.filter(|&status| match role {
        Role::Server => status >= 500,
        Role::Client => status >= 400,
    });
    if let Some(status) = failed_status {
        return Some(Text::from(status.to_string()));
    }
    error.map(|error| {
        Text::from(match error {
            ExchangeError::ConnectionClosed => "connection_closed",
            ExchangeError::Unparseable => "unparseable",
        })
    })
}

/// Everything a span's attributes are built from besides the event.
pub struct SpanInputs<'a> {
    pub service_name: &'a Text,
    /// Empty when unknown.
    pub route: &'a Text,
    /// Thread that carried the request's first byte.
    pub tid: u32,
    pub status: Option<u16>,
}

/// The span attributes of a request seen in `event`.
pub fn attributes(
    event: &HttpEvent,
    head: &RequestHead,
    inputs: &SpanInputs<'_>,
) -> Vec<(&'static str, Value)> {
    let mut attributes = Vec::with_capacity(18);
    let method = normalize_method(&head.method);
    attributes.push(("http.request.method", method.into()));
    if method == "_OTHER" {
        attributes.push((
            "http.request.method_original",
            Text::copied(&head.method).into(),
        ));
    }
    let target = Target::parse(&head.target);
    if head.method != "CONNECT" {
        // A path with nothing to template is its route: shared, not copied.
        let path = if target.path == inputs.route.as_str() {
            inputs.route.clone()
        } else {
            Text::copied(target.path)
        };
        attributes.push(("url.path", path.into()));
    }
    if !inputs.route.is_empty() {
        attributes.push(("http.route", inputs.route.clone().into()));
    }
    if let Some(status) = inputs.status {
        attributes.push(("http.response.status_code", status.into()));
    }
    let version = if head.version == 0 { "1.0" } else { "1.1" };
    attributes.push(("network.protocol.version", version.into()));

    // Where the request was sent: for a server, the socket it arrived on; for
    // a client, the origin it addressed (absolute-form target, else Host),
    // else the socket it connected to.
    let (server_address, server_port) = match event.role {
        Role::Server => endpoint_address(event.local.as_ref()),
        Role::Client => {
            let (peer_address, peer_port) = endpoint_address(event.peer.as_ref());
            match target
                .authority
                .or(head.host.as_deref())
                .and_then(split_host)
            {
                Some((host, port)) => (Some(Text::copied(host)), port.or(peer_port)),
                None => (peer_address, peer_port),
            }
        }
    };
    if let Some(address) = server_address {
        attributes.push(("server.address", address.into()));
    }
    if let Some(port) = server_port {
        attributes.push(("server.port", port.into()));
    }
    let (peer_address, peer_port) = endpoint_address(event.peer.as_ref());
    if event.role == Role::Server {
        if let Some(Endpoint::Inet(peer)) = &event.peer {
            attributes.push(("client.address", ip_text(canonical_ip(peer)).into()));
        }
    }
    if let Some(address) = peer_address {
        attributes.push(("network.peer.address", address.into()));
    }
    if let Some(port) = peer_port {
        attributes.push(("network.peer.port", port.into()));
    }
    let transport = match event.peer.as_ref().or(event.local.as_ref()) {
        Some(Endpoint::Unix(_)) => Some("unix"),
        Some(Endpoint::Inet(_)) => Some("tcp"),
        None => None,
    };
    if let Some(transport) = transport {
        attributes.push(("network.transport", transport.into()));
    }
    attributes.push(("service.name", inputs.service_name.clone().into()));
    attributes.push(("process.pid", event.pid.into()));
    attributes.push(("thread.id", inputs.tid.into()));
    attributes
}

/// An address as users expect to read it (IPv4-mapped IPv6 as IPv4).
fn canonical_ip(addr: &SocketAddr) -> IpAddr {
    match addr.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Address and port of an endpoint; a Unix socket has its path (if named)
/// and no port.
pub fn endpoint_address(endpoint: Option<&Endpoint>) -> (Option<Text>, Option<u16>) {
    match endpoint {
        Some(Endpoint::Inet(addr)) => (Some(ip_text(canonical_ip(addr))), Some(addr.port())),
        Some(Endpoint::Unix(path)) if !path.is_empty() => (Some(Text::from(path)), None),
        _ => (None, None),
    }
}

/// Splits `host[:port]` (`[v6]:port` for IPv6 literals). `None` for an
/// empty host.
fn split_host(authority: &str) -> Option<(&str, Option<u16>)> {
    let authority = authority.trim();
    // Userinfo never belongs in an attribute.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((host, port.and_then(|port| port.parse().ok())))
}

/// The parts of a request-target sonde exports.
struct Target<'a> {
    /// Authority of an absolute-form target (`http://host:port/path`).
    authority: Option<&'a str>,
    /// The path, without query or fragment (`/` for an empty one).
    path: &'a str,
}

impl<'a> Target<'a> {
    fn parse(target: &'a str) -> Target<'a> {
        let mut authority = None;
        let mut rest = target;
        for scheme in ["http://", "https://"] {
            if target.len() >= scheme.len()
                && target.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
            {
                let after = &target[scheme.len()..];
                let end = after.find(['/', '?', '#']).unwrap_or(after.len());
                authority = Some(&after[..end]);
                rest = &after[end..];
            }
        }
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        let path = match &rest[..end] {
            "" => "/",
            path => path,
        };
        Target { authority, path }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_lose_query_and_fragment() {
        for (target, authority, path) in [
            ("/orders/7?token=secret", None, "/orders/7"),
            ("/a#frag", None, "/a"),
            ("/", None, "/"),
            ("*", None, "*"),
            ("?x=1", None, "/"),
            (
                "http://api.local:8080/v1/x?y",
                Some("api.local:8080"),
                "/v1/x",
            ),
            ("HTTP://h", Some("h"), "/"),
            ("https://h?q", Some("h"), "/"),
        ] {
            let parsed = Target::parse(target);
            assert_eq!(
                (parsed.authority, parsed.path),
                (authority, path),
                "{target}"
            );
        }
    }

    #[test]
    fn hosts_split_from_ports() {
        assert_eq!(split_host("example.com"), Some(("example.com", None)));
        assert_eq!(
            split_host("example.com:8080"),
            Some(("example.com", Some(8080)))
        );
        assert_eq!(split_host("[::1]:9000"), Some(("::1", Some(9000))));
        assert_eq!(split_host("[::1]"), Some(("::1", None)));
        assert_eq!(split_host("user:pw@h:1"), Some(("h", Some(1))));
        assert_eq!(split_host("h:notaport"), Some(("h", None)));
        assert_eq!(split_host(""), None);
        assert_eq!(split_host(":80"), None);
        assert_eq!(split_host("[::1"), None);
    }

    #[test]
    fn methods_are_normalized() {
        assert_eq!(normalize_method("GET"), "GET");
        assert_eq!(normalize_method("get"), "_OTHER");
        assert_eq!(normalize_method("FOO"), "_OTHER");
        assert_eq!(span_name("GET", "/orders/{id}"), "GET /orders/{id}");
        assert_eq!(span_name("_OTHER", "/x"), "HTTP /x");
        assert_eq!(span_name("POST", ""), "POST");
    }

    #[test]
    fn error_types_follow_the_conventions() {
        use ExchangeError::*;
        assert_eq!(error_type(Role::Server, Some(404), None), None);
        assert_eq!(
            error_type(Role::Server, Some(503), None).as_deref(),
            Some("503")
        );
        assert_eq!(
            error_type(Role::Client, Some(404), None).as_deref(),
            Some("404")
        );
        assert_eq!(error_type(Role::Client, Some(302), None), None);
        assert_eq!(
            error_type(Role::Server, None, Some(ConnectionClosed)).as_deref(),
            Some("connection_closed")
        );
        assert_eq!(
            error_type(Role::Client, Some(200), Some(Unparseable)).as_deref(),
            Some("unparseable")
        );
        assert_eq!(
            error_type(Role::Server, Some(500), Some(ConnectionClosed)).as_deref(),
            Some("500")
        );
    }
}
