//! The kernel's classification of connections (`sonde_common::classify`)
//! against every recorded conversation: the protocol it names from a
//! connection's first payloads, seen from the client's side and from the
//! server's, from the start and picked up midway.

use sonde_common::{
    classify::classify, DIRECTION_RECEIVED, DIRECTION_SENT, PROTOCOL_HTTP1, PROTOCOL_MYSQL,
    PROTOCOL_OTHER, PROTOCOL_POSTGRES, PROTOCOL_REDIS, ROLE_CLIENT, ROLE_SERVER,
};

use super::testing::conv::{conversations, Record};

/// Payloads the kernel tries before it gives up on a connection
/// (CLASSIFY_ATTEMPTS in ebpf/probes/src/capture.rs).
const ATTEMPTS: usize = 3;

/// What the kernel makes of `record`, seen by the client (`client_side`) or
/// by the server, on a connection whose side is `known_role` (0: unknown,
/// as for a Unix socket or a connection opened before the capture).
fn classify_record(record: &Record, client_side: bool, known_role: u32) -> Option<(u32, u32)> {
    let mut first = [0u8; 8];
    let n = record.data.len().min(8);
    first[..n].copy_from_slice(&record.data[..n]);
    let sent = record.client == client_side;
    let direction = if sent {
        DIRECTION_SENT
    } else {
        DIRECTION_RECEIVED
    };
    classify(&first, record.total_len as u32, direction, known_role)
}

/// The classification of a connection whose capture starts at `records`:
/// the first of its first [`ATTEMPTS`] payloads that names a protocol.
fn first_classified(records: &[Record], client_side: bool, known_role: u32) -> Option<(u32, u32)> {
    records
        .iter()
        .take(ATTEMPTS)
        .find_map(|record| classify_record(record, client_side, known_role))
}

const PARSERS: [(&str, u32); 4] = [
    ("http1", PROTOCOL_HTTP1),
    ("postgres", PROTOCOL_POSTGRES),
    ("mysql", PROTOCOL_MYSQL),
    ("redis", PROTOCOL_REDIS),
];

/// Recordings whose connection the kernel does not classify: PostgreSQL
/// over TLS, a CancelRequest connection (which carries no query), and
/// Redis inline commands (typed by hand in a terminal; client libraries
/// send RESP arrays).
const UNCLASSIFIED: [(&str, &str); 3] = [
    ("postgres", "tls"),
    ("postgres", "cancel_request"),
    ("redis", "inline"),
];

#[test]
fn every_recorded_connection_is_classified_from_its_start() {
    for (parser, protocol) in PARSERS {
        for (name, records) in conversations(parser, 1) {
            // TCP connections seen opening have a known side; Unix
            // sockets do not.
            let client = first_classified(&records, true, ROLE_CLIENT);
            let unix_client = first_classified(&records, true, 0);
            let server = first_classified(&records, false, ROLE_SERVER);
            if UNCLASSIFIED.contains(&(parser, name.as_str())) {
                assert!(
                    client.is_none_or(|(p, _)| p == protocol),
                    "{parser}/{name}: {client:?}"
                );
                continue;
            }
            for (got, side) in [(client, "TCP"), (unix_client, "Unix socket")] {
                assert_eq!(
                    got,
                    Some((protocol, ROLE_CLIENT)),
                    "{parser}/{name} from the client's side of a {side}"
                );
            }
            // Database servers' own connections are left alone.
            let expected_server = if protocol == PROTOCOL_HTTP1 {
                Some((protocol, ROLE_SERVER))
            } else {
                Some((PROTOCOL_OTHER, ROLE_SERVER))
            };
            assert_eq!(
                server, expected_server,
                "{parser}/{name} from the server's side"
            );
        }
    }
}

#[test]
fn a_connection_picked_up_midway_is_never_taken_for_another_protocol() {
    for (parser, protocol) in PARSERS {
        let (mut picked, mut classified) = (0, 0);
        for (name, records) in conversations(parser, 1) {
            for start in 1..records.len() {
                // Picked up: the connection's opening (and side) unseen.
                let got = first_classified(&records[start..], true, 0);
                picked += 1;
                if let Some(got) = got {
                    assert_eq!(
                        got,
                        (protocol, ROLE_CLIENT),
                        "{parser}/{name} picked up at record {start}"
                    );
                    classified += 1;
                }
            }
        }
        // Most pick-up points of a database conversation meet a command
        // within the attempts (HTTP recordings are mostly body chunks).
        assert!(
            protocol == PROTOCOL_HTTP1 || classified * 2 >= picked,
            "{parser}: {classified} of {picked} pick-up points classified"
        );
    }
}
