//! One captured connection: who owns it, its endpoints, and its protocol's
//! parser.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use sonde_common::{
    FlowOpenedEvent, AF_INET, AF_INET6, AF_UNIX, PROTOCOL_HTTP1, PROTOCOL_MYSQL, PROTOCOL_POSTGRES,
    PROTOCOL_REDIS, ROLE_SERVER,
};

use crate::db::AutocommitTracker;
use crate::events::{text_memo::comm_text, Text};
use crate::http::exchange::{Endpoint, Role};
use crate::protocols::{
    db::{DbStats, DbSystem},
    http1::{Http1Connection, Http1Stats},
    mysql::MysqlConnection,
    postgres::PostgresConnection,
    redis::RedisConnection,
};
use crate::traces::DbCallInfo;

/// The parser of a connection's protocol.
#[expect(
    clippy::large_enum_variant,
    reason = "HTTP connections are the many: kept inline; database ones are boxed"
)]
pub enum Parser {
    Http1(Http1Connection),
    Db(Box<DbParser>),
}

/// A database client connection's parser and what it learnt of the
/// session.
pub struct DbParser {
    pub system: DbSystem,
    pub wire: DbWire,
    /// `db.namespace`: the database the session started with, or switched
    /// to (when seen).
    pub database: Option<Text>,
    /// What each `SET autocommit=?` means for the query count.
    pub autocommit: AutocommitTracker<DbCallInfo>,
}

pub enum DbWire {
    Postgres(PostgresConnection),
    Mysql(MysqlConnection),
    Redis(RedisConnection),
}

impl DbParser {
    pub fn stats(&self) -> DbStats {
        match &self.wire {
            DbWire::Postgres(parser) => parser.stats(),
            DbWire::Mysql(parser) => parser.stats(),
            DbWire::Redis(parser) => parser.stats(),
        }
    }
}

pub struct Connection {
    pub role: Role,
    pub pid: u32,
    /// The owner's command name, for naming the service when /proc is gone.
    pub comm: Text,
    pub local: Option<Endpoint>,
    pub peer: Option<Endpoint>,
    pub parser: Parser,
    pub last_seen_ns: u64,
}

impl Connection {
    /// The connection a FlowOpened event announces; `None` for a protocol
    /// this agent does not parse (a newer kernel object).
    pub fn opened(opened: &FlowOpenedEvent) -> Option<Connection> {
        let db = |system, wire| {
            Parser::Db(Box::new(DbParser {
                system,
                wire,
                database: None,
                autocommit: AutocommitTracker::default(),
            }))
        };
        let parser = match opened.protocol {
            PROTOCOL_HTTP1 => Parser::Http1(Http1Connection::new()),
            PROTOCOL_POSTGRES => db(
                DbSystem::Postgresql,
                DbWire::Postgres(PostgresConnection::new()),
            ),
            PROTOCOL_MYSQL => db(DbSystem::Mysql, DbWire::Mysql(MysqlConnection::new())),
            PROTOCOL_REDIS => db(DbSystem::Redis, DbWire::Redis(RedisConnection::new())),
            _ => return None,
        };
        let (local, peer) = endpoints(opened);
        Some(Connection {
            role: if opened.role == ROLE_SERVER {
                Role::Server
            } else {
                Role::Client
            },
            pid: opened.header.task.tgid,
            comm: comm_text(&opened.header.task.comm),
            local,
            peer,
            parser,
            last_seen_ns: opened.header.timestamp_ns,
        })
    }
}

/// What the parsers of connections gave up on, summed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParserStats {
    pub http1: Http1Stats,
    pub postgres: DbStats,
    pub mysql: DbStats,
    pub redis: DbStats,
}

impl ParserStats {
    pub fn add(&mut self, parser: &Parser) {
        match parser {
            Parser::Http1(http) => self.http1.add(&http.stats()),
            Parser::Db(db) => {
                let sum = match db.system {
                    DbSystem::Postgresql => &mut self.postgres,
                    DbSystem::Mysql => &mut self.mysql,
                    DbSystem::Redis => &mut self.redis,
                };
                sum.add(&db.stats());
            }
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
            Some(Endpoint::Unix(c_text(&opened.local_path).into())),
            Some(Endpoint::Unix(c_text(&opened.peer_path).into())),
        );
    }
    let local = ip(ends.family, &ends.local_addr)
        .map(|ip| Endpoint::Inet(SocketAddr::new(ip, ends.local_port)));
    let peer = ip(ends.family, &ends.remote_addr)
        .map(|ip| Endpoint::Inet(SocketAddr::new(ip, ends.remote_port)));
    (local, peer)
}
