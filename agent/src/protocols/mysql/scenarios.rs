//! Whole-connection behaviour: one test per situation the parser must
//! handle (login, queries, result sets, prepared statements, errors,
//! partly captured chunks, mid-stream pickup, bounds...).

use super::{
    super::db::DbStats,
    conversation::MAX_WAITING,
    handshake::{
        CLIENT_CONNECT_WITH_DB, CLIENT_DEPRECATE_EOF, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION,
        CLIENT_SSL,
    },
    test_support::{packet, packets, Wire},
};

const MORE_RESULTS: u16 = 0x0008;
const BASIC: u32 = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION;

fn greeting(capabilities: u32) -> Vec<u8> {
    let mut payload = b"\x0a10.11.6-MariaDB\0\x07\0\0\0abcdefgh\0".to_vec();
    payload.extend_from_slice(&(capabilities as u16).to_le_bytes());
    payload.extend_from_slice(b"\x2d\x02\0");
    payload.extend_from_slice(&((capabilities >> 16) as u16).to_le_bytes());
    payload.extend_from_slice(&[21; 11]);
    payload.extend_from_slice(b"ijklmnopqrst\0mysql_native_password\0");
    packet(0, &payload)
}

fn response(capabilities: u32, user: &str, database: Option<&str>) -> Vec<u8> {
    let mut payload = capabilities.to_le_bytes().to_vec();
    payload.extend_from_slice(&[0, 0, 0, 1, 45]);
    payload.extend_from_slice(&[0; 23]);
    payload.extend_from_slice(user.as_bytes());
    payload.extend_from_slice(b"\0\x14");
    payload.extend_from_slice(&[7; 20]);
    if let Some(database) = database {
        payload.extend_from_slice(database.as_bytes());
        payload.push(0);
    }
    packet(1, &payload)
}

/// A wire whose login (with `capabilities`) succeeded.
fn logged_in(capabilities: u32) -> Wire {
    let mut wire = Wire::new();
    wire.server(&greeting(capabilities));
    wire.client(&response(capabilities, "app", Some("shop")));
    wire.server(&packet(2, &ok(0, 2)));
    wire.events.clear();
    wire.now = 0;
    wire
}

fn query(text: &str) -> Vec<u8> {
    let mut payload = vec![0x03];
    payload.extend_from_slice(text.as_bytes());
    packet(0, &payload)
}

fn ok(affected: u8, status: u16) -> Vec<u8> {
    let mut payload = vec![0x00, affected, 0];
    payload.extend_from_slice(&status.to_le_bytes());
    payload.extend_from_slice(&[0, 0]);
    payload
}

fn ok_as_eof(status: u16) -> Vec<u8> {
    let mut payload = ok(0, status);
    payload[0] = 0xfe;
    payload
}

fn eof(status: u16) -> Vec<u8> {
    let mut payload = vec![0xfe, 0, 0];
    payload.extend_from_slice(&status.to_le_bytes());
    payload
}

fn err(code: u16, message: &str) -> Vec<u8> {
    let mut payload = vec![0xff];
    payload.extend_from_slice(&code.to_le_bytes());
    payload.extend_from_slice(b"#42S02");
    payload.extend_from_slice(message.as_bytes());
    payload
}

const COLUMN: &[u8] = b"\x03def\x04shop\x01t\x01t\x01a\x01a\x0c\x21\0\x0b\0\0\0\x03\0\0\0\0\0";

/// A text result set of `rows` rows of one column, in EOF mode or not.
fn result_set(rows: usize, deprecate_eof: bool, status: u16) -> Vec<u8> {
    let mut payloads: Vec<Vec<u8>> = vec![vec![1], COLUMN.to_vec()];
    if !deprecate_eof {
        payloads.push(eof(2));
    }
    for row in 0..rows {
        payloads.push(format!("\x01{}", row % 10).into_bytes());
    }
    payloads.push(if deprecate_eof {
        ok_as_eof(status)
    } else {
        eof(status)
    });
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    packets(1, &refs)
}

#[test]
fn a_query_and_its_ok() {
    let mut wire = Wire::new();
    wire.client(&query("DELETE FROM t"));
    wire.server(&packet(1, &ok(3, 2)));
    assert_eq!(wire.lines(), ["#0 DELETE FROM t -> rows=3 error=- | 1-2/1"]);
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn a_login_and_a_change_of_database_are_sessions() {
    let caps = BASIC | CLIENT_CONNECT_WITH_DB;
    let mut wire = Wire::new();
    wire.server(&greeting(caps));
    wire.client(&response(caps, "app", Some("shop")));
    // An auth switch, the client's answer, then OK.
    wire.server(&packet(
        2,
        b"\xfemysql_native_password\0abcdefghijklmnopqrst\0",
    ));
    wire.client(&packet(3, &[9; 20]));
    wire.server(&packet(4, &ok(0, 2)));
    wire.client(&packet(0, b"\x02other"))
        .server(&packet(1, &ok(0, 2)));
    wire.client(&packet(0, b"\x02nope"))
        .server(&packet(1, &err(1049, "Unknown database 'nope'")));
    wire.client(&query("SELECT 1"))
        .server(&result_set(1, false, 2));
    assert_eq!(
        wire.lines(),
        [
            "session db=shop user=app",
            "session db=other user=app",
            "#0 SELECT ? -> rows=1 error=- | 10-11/1"
        ]
    );
}

#[test]
fn a_refused_login_is_no_session() {
    let mut wire = Wire::new();
    wire.server(&greeting(BASIC));
    wire.client(&response(BASIC, "app", None));
    wire.server(&packet(2, &err(1045, "Access denied for user 'app'")));
    wire.close();
    assert!(wire.lines().is_empty());
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn tls_after_an_ssl_request_is_skipped() {
    let caps = BASIC | CLIENT_SSL;
    let mut wire = Wire::new();
    wire.server(&greeting(caps));
    let mut ssl_request = caps.to_le_bytes().to_vec();
    ssl_request.extend_from_slice(&[0; 28]);
    let mut first = packet(1, &ssl_request);
    first.extend_from_slice(b"\x16\x03\x01\x00\x05hello");
    wire.client(&first);
    wire.server(b"\x16\x03\x03\x00\x05hello");
    wire.client(&query("SELECT 1"));
    wire.server(&packet(1, &ok(0, 2)));
    wire.close();
    assert!(wire.lines().is_empty());
    let stats = wire.conn.stats();
    assert_eq!(stats.bytes_skipped, 10 + 10 + 13 + 11);
    assert_eq!(stats.replies_unpaired, 0);
}

#[test]
fn result_sets_with_and_without_eof_packets() {
    for deprecate_eof in [false, true] {
        let caps = if deprecate_eof {
            BASIC | CLIENT_DEPRECATE_EOF
        } else {
            BASIC
        };
        let mut wire = logged_in(caps);
        wire.client(&query("SELECT a FROM t"))
            .server(&result_set(3, deprecate_eof, 2));
        wire.client(&query("SELECT a FROM t WHERE 0"))
            .server(&result_set(0, deprecate_eof, 2));
        assert_eq!(
            wire.lines(),
            [
                "#0 SELECT a FROM t -> rows=3 error=- | 1-2/1",
                "#1 SELECT a FROM t WHERE ? -> rows=0 error=- | 3-4/1"
            ],
            "deprecate_eof {deprecate_eof}"
        );
    }
}

#[test]
fn eof_mode_is_learnt_without_the_login() {
    // Mid-stream: rows and ends are found either way.
    for deprecate_eof in [false, true] {
        let mut wire = Wire::new();
        wire.client(&query("SELECT a FROM t"))
            .server(&result_set(2, deprecate_eof, 2));
        wire.client(&query("SELECT a FROM t"))
            .server(&result_set(0, deprecate_eof, 2));
        assert_eq!(
            wire.lines(),
            [
                "#0 SELECT a FROM t -> rows=2 error=- | 1-2/1",
                "#1 SELECT a FROM t -> rows=0 error=- | 3-4/1"
            ]
        );
    }
}

#[test]
fn several_results_are_one_call() {
    let mut wire = logged_in(BASIC);
    let mut reply = packet(1, &ok(2, 2 | MORE_RESULTS));
    let more = result_set(4, false, 2 | MORE_RESULTS);
    // Renumber: the second result's packets follow the first's.
    reply.extend(more.chunks(1).map(|byte| byte[0]));
    reply.extend_from_slice(&packet(9, &ok(1, 2)));
    wire.client(&query("CALL p()")).server(&reply);
    assert_eq!(wire.lines(), ["#0 CALL p() -> rows=7 error=- | 1-2/1"]);
}

#[test]
fn an_error_reports_its_number_not_its_message() {
    let mut wire = logged_in(BASIC);
    wire.client(&query("SELECT * FROM secret_table"))
        .server(&packet(
            1,
            &err(1146, "Table 'shop.secret_table' doesn't exist"),
        ));
    assert_eq!(
        wire.lines(),
        ["#0 SELECT * FROM secret_table -> rows=- error=1146 | 1-2/1"]
    );
    let line = format!("{:?}", wire.events);
    assert!(!line.contains("doesn't exist"));
}

/// A prepare OK for statement `id` with `params` and `columns`, with their
/// definitions and (unless `deprecate_eof`) EOFs.
fn prepare_ok(id: u32, params: u16, columns: u16, deprecate_eof: bool) -> Vec<u8> {
    let mut first = vec![0x00];
    first.extend_from_slice(&id.to_le_bytes());
    first.extend_from_slice(&columns.to_le_bytes());
    first.extend_from_slice(&params.to_le_bytes());
    first.extend_from_slice(&[0, 0, 0]);
    let mut payloads = vec![first];
    for count in [params, columns] {
        if count > 0 {
            payloads.extend((0..count).map(|_| COLUMN.to_vec()));
            if !deprecate_eof {
                payloads.push(eof(2));
            }
        }
    }
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    packets(1, &refs)
}

fn execute(id: u32) -> Vec<u8> {
    let mut payload = vec![0x17];
    payload.extend_from_slice(&id.to_le_bytes());
    payload.extend_from_slice(&[0, 1, 0, 0, 0, 0, 1, 3, 0, 5, 0, 0, 0]);
    packet(0, &payload)
}

/// A binary result set of `rows` rows of one column.
fn binary_rows(rows: usize, deprecate_eof: bool) -> Vec<u8> {
    let mut payloads: Vec<Vec<u8>> = vec![vec![1], COLUMN.to_vec()];
    if !deprecate_eof {
        payloads.push(eof(2));
    }
    payloads.extend((0..rows).map(|_| b"\x00\x00\x07\0\0\0".to_vec()));
    payloads.push(if deprecate_eof { ok_as_eof(2) } else { eof(2) });
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    packets(1, &refs)
}

#[test]
fn a_prepared_statement_executed_twice_then_closed() {
    for deprecate_eof in [false, true] {
        let caps = if deprecate_eof {
            BASIC | CLIENT_DEPRECATE_EOF
        } else {
            BASIC
        };
        let mut wire = logged_in(caps);
        wire.client(&packet(0, b"\x16SELECT a FROM t WHERE id = ?"))
            .server(&prepare_ok(7, 1, 1, deprecate_eof));
        wire.client(&execute(7))
            .server(&binary_rows(2, deprecate_eof));
        wire.client(&execute(7))
            .server(&binary_rows(0, deprecate_eof));
        wire.client(&packet(0, b"\x19\x07\0\0\0"));
        wire.client(&execute(7))
            .server(&packet(1, &err(1243, "Unknown prepared statement")));
        assert_eq!(
            wire.lines(),
            [
                "#0 SELECT a FROM t WHERE id = ? -> rows=2 error=- | 3-4/1",
                "#1 SELECT a FROM t WHERE id = ? -> rows=0 error=- | 5-6/1",
                "#2 EXECUTE -> rows=- error=1243 | 8-9/1",
            ],
            "deprecate_eof {deprecate_eof}"
        );
    }
}

#[test]
fn a_failed_prepare_is_a_call() {
    let mut wire = logged_in(BASIC);
    wire.client(&packet(0, b"\x16SELECT a FROM missing WHERE id = ?"))
        .server(&packet(1, &err(1146, "Table 'shop.missing' doesn't exist")));
    assert_eq!(
        wire.lines(),
        ["#0 SELECT a FROM missing WHERE id = ? -> rows=- error=1146 | 1-2/1"]
    );
}

#[test]
fn pipelined_prepare_and_execute_of_the_last_statement() {
    // MariaDB Connector/C sends both at once; the execute names the
    // statement prepared last (id 0xffffffff).
    let mut wire = logged_in(BASIC | CLIENT_DEPRECATE_EOF);
    let mut both = packet(0, b"\x16UPDATE t SET a = ?");
    both.extend_from_slice(&execute(u32::MAX));
    wire.client(&both);
    let mut replies = prepare_ok(3, 1, 0, true);
    replies.extend_from_slice(&packet(1, &ok(5, 2)));
    wire.server(&replies);
    assert_eq!(
        wire.lines(),
        ["#0 UPDATE t SET a = ? -> rows=5 error=- | 1-2/1"]
    );
}

#[test]
fn a_prepare_reply_mid_stream_ends_after_its_definitions() {
    // Without the login, whether an EOF follows the definitions is not
    // known: the reply ends there unless one comes.
    for deprecate_eof in [false, true] {
        let mut wire = Wire::new();
        wire.client(&packet(0, b"\x16SELECT a FROM t WHERE id = ?"))
            .server(&prepare_ok(2, 1, 1, deprecate_eof));
        wire.client(&execute(2))
            .server(&binary_rows(1, deprecate_eof));
        wire.client(&packet(0, b"\x16SELECT ?"))
            .server(&prepare_ok(3, 1, 0, deprecate_eof));
        wire.client(&execute(3))
            .server(&binary_rows(1, deprecate_eof));
        wire.close();
        assert_eq!(
            wire.lines(),
            [
                "#0 SELECT a FROM t WHERE id = ? -> rows=1 error=- | 3-4/1",
                "#1 SELECT ? -> rows=1 error=- | 7-8/1"
            ],
            "deprecate_eof {deprecate_eof}"
        );
        assert_eq!(wire.conn.stats(), DbStats::default());
    }
}

#[test]
fn a_big_row_partly_captured_is_counted_by_its_length() {
    let mut wire = logged_in(BASIC | CLIENT_DEPRECATE_EOF);
    wire.client(&query("SELECT big FROM t"));
    let size = (4 << 20) + 10_000;
    // Column count, definition, then a row of one 4 MiB value.
    let mut head = packets(1, &[b"\x01", COLUMN]);
    let mut row_header = ((size + 4) as u32).to_le_bytes();
    row_header[3] = 3;
    head.extend_from_slice(&row_header);
    head.push(0xfd);
    head.extend_from_slice(&(size as u32).to_le_bytes()[..3]);
    let terminator = packet(4, &ok_as_eof(2));
    let total = head.len() + size + terminator.len();
    // Read 64 KiB at a time, of which 4 KiB and the last 64 bytes are
    // captured.
    let mut first = head.clone();
    first.resize(4096, b'x');
    wire.server_captured(&first, 65536, &[b'x'; 64]);
    let mut fed = 65536;
    while total - fed > 65536 {
        wire.server_captured(&[b'x'; 4096], 65536, &[b'x'; 64]);
        fed += 65536;
    }
    let mut tail = vec![b'x'; 64 - terminator.len()];
    tail.extend_from_slice(&terminator);
    wire.server_captured(&[b'x'; 4096], total - fed, &tail);
    assert_eq!(
        wire.lines(),
        [format!(
            "#0 SELECT big FROM t -> rows=1 error=- | 1-{}/1",
            wire.now
        )]
    );
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn messages_of_16_mib_or_more_span_packets() {
    let mut wire = logged_in(BASIC);
    // A query of 0xffffff + 10 bytes: a full packet, then one of 10.
    let mut first = vec![0xff, 0xff, 0xff, 0, 0x03];
    first.extend_from_slice(b"INSERT INTO t VALUES ('");
    first.resize(4096, b'v');
    let mut tail = vec![b'v'; 54];
    tail.extend_from_slice(&[10, 0, 0, 1]);
    tail.extend_from_slice(&[b'v'; 6]);
    wire.client_captured(&first, 0xff_ffff + 4 + 4 + 6, &tail);
    wire.client(b"v');");
    wire.server(&packet(2, &ok(1, 2)));
    // And a row of the same size, headed 0xfe: not a terminator.
    wire.client(&query("SELECT v FROM t"));
    let mut reply = packets(1, &[b"\x01", COLUMN, &eof(2)]);
    let definitions = reply.len();
    reply.extend_from_slice(&[0xff, 0xff, 0xff, 4, 0xfe]);
    reply.resize(4096, b'v');
    let mut tail = vec![b'v'; 40];
    tail.extend_from_slice(&packet(5, b"vvvvvvvvvvvvvv"));
    tail.extend_from_slice(&packet(6, &eof(2)));
    let total = definitions + 4 + 0xff_ffff + 18 + 9;
    wire.server_captured(&reply, total, &tail[tail.len() - 64..]);
    assert_eq!(
        wire.lines(),
        [
            "#0 INSERT INTO t VALUES (?); -> rows=1 error=- | 1-3/1",
            "#1 SELECT v FROM t -> rows=1 error=- | 4-5/1"
        ]
    );
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn picked_up_mid_stream_replies_before_the_first_command_are_unpaired() {
    let mut wire = Wire::new();
    // The end of a result set whose query came before sonde started.
    wire.server(&packets(7, &[b"\x015", b"\x016", &eof(2)]));
    wire.server(b"\x01\x37");
    wire.client(&query("SELECT 1"))
        .server(&result_set(1, false, 2));
    assert_eq!(wire.lines(), ["#0 SELECT ? -> rows=1 error=- | 3-4/1"]);
    let stats = wire.conn.stats();
    assert_eq!(stats.replies_unpaired, 1);
    assert_eq!(stats.bytes_skipped, 21 + 2);
}

#[test]
fn a_reply_to_nothing_is_unpaired() {
    let mut wire = logged_in(BASIC);
    wire.client(&query("SELECT 1"))
        .server(&packet(1, &ok(0, 2)));
    wire.server(&packet(1, &err(1927, "Connection was killed")));
    wire.client(&query("SELECT 2"))
        .server(&packet(1, &ok(0, 2)));
    assert_eq!(
        wire.lines(),
        [
            "#0 SELECT ? -> rows=0 error=- | 1-2/1",
            "#1 SELECT ? -> rows=0 error=- | 4-5/1"
        ]
    );
    assert_eq!(wire.conn.stats().replies_unpaired, 1);
}

#[test]
fn lost_in_a_result_set_the_last_packet_in_a_tail_ends_it() {
    let mut wire = logged_in(BASIC);
    wire.client(&query("SELECT a FROM t"));
    let reply = result_set(3000, false, 2);
    // One read of it all: 4 KiB and the last 64 bytes captured.
    wire.server_captured(&reply[..4096], reply.len(), &reply[reply.len() - 64..]);
    wire.client(&query("SELECT 1"))
        .server(&result_set(1, false, 2));
    assert_eq!(
        wire.lines(),
        [
            "#0 SELECT a FROM t -> rows=- error=- | 1-2/1",
            "#1 SELECT ? -> rows=1 error=- | 3-4/1"
        ]
    );
}

#[test]
fn lost_in_a_result_set_the_next_command_ends_it() {
    let mut wire = logged_in(BASIC);
    wire.client(&query("SELECT a FROM t"));
    let reply = result_set(3000, false, 2);
    // The tail was not captured: the next command shows the reply ended.
    wire.server_captured(&reply[..4096], reply.len() - 100, b"");
    wire.server_captured(&reply[reply.len() - 100..reply.len() - 90], 100, b"");
    wire.client(&query("SELECT 1"))
        .server(&result_set(1, false, 2));
    assert_eq!(
        wire.lines(),
        [
            "#0 SELECT a FROM t -> rows=- error=- | 1-3/1",
            "#1 SELECT ? -> rows=1 error=- | 4-5/1"
        ]
    );
    assert_eq!(wire.conn.stats().replies_unpaired, 0);
}

#[test]
fn a_local_infile_of_many_packets_is_not_taken_for_commands() {
    let mut wire = logged_in(BASIC);
    wire.client(&query("LOAD DATA LOCAL INFILE 'f' INTO TABLE t"));
    wire.server(&packet(1, b"\xfbf"));
    // 300 packets: their sequence ids wrap through 0.
    for seq in 0..300u32 {
        wire.client(&packet((seq + 2) as u8, b"\x03SELECT 1,2\n"));
    }
    wire.client(&packet(46, b""));
    wire.server(&packet(47, &ok(250, 2)));
    assert_eq!(wire.lines().len(), 1);
    assert!(
        wire.lines()[0]
            .starts_with("#0 LOAD DATA LOCAL INFILE ? INTO TABLE t -> rows=250 error=- | 1-"),
        "{:?}",
        wire.lines()
    );
}

#[test]
fn mariadb_progress_reports_are_not_errors() {
    let mut wire = logged_in(BASIC);
    wire.client(&query("ALTER TABLE t ADD COLUMN b INT"));
    wire.server(&packet(1, b"\xff\xff\xff\x01\x01\x01\x10\x27\0\x05stage"));
    wire.server(&packet(2, &ok(0, 2)));
    assert_eq!(
        wire.lines(),
        ["#0 ALTER TABLE t ADD COLUMN b INT -> rows=0 error=- | 1-3/1"]
    );
}

#[test]
fn the_number_of_waiting_commands_is_bounded() {
    let mut wire = logged_in(BASIC);
    let pipeline: Vec<u8> = (0..MAX_WAITING + 6)
        .flat_map(|_| query("SELECT 1"))
        .collect();
    wire.client(&pipeline);
    let replies: Vec<u8> = (0..MAX_WAITING + 6)
        .flat_map(|_| packet(1, &ok(0, 2)))
        .collect();
    wire.server(&replies);
    wire.close();
    assert_eq!(wire.lines().len(), MAX_WAITING);
    let stats = wire.conn.stats();
    assert_eq!(stats.calls_dropped, 6);
    assert_eq!(stats.replies_unpaired, 1);
}

#[test]
fn a_close_reports_the_waiting_calls_without_an_end() {
    let mut wire = logged_in(BASIC);
    wire.client(&query("SELECT SLEEP(100)"));
    wire.server(&packets(1, &[b"\x01", COLUMN]));
    wire.close();
    assert_eq!(
        wire.lines(),
        ["#0 SELECT SLEEP(?) -> rows=- error=- | 1--/1"]
    );
    assert_eq!(wire.conn.waiting(), 0);
    // The parser starts afresh, numbering goes on.
    wire.client(&query("SELECT 1"))
        .server(&packet(1, &ok(0, 2)));
    assert_eq!(wire.lines()[1], "#1 SELECT ? -> rows=0 error=- | 4-5/1");
}

#[test]
fn a_change_of_user_is_a_session() {
    let mut wire = logged_in(BASIC);
    let mut payload = b"\x11admin\0\x14".to_vec();
    payload.extend_from_slice(&[3; 20]);
    payload.extend_from_slice(b"ops\0");
    wire.client(&packet(0, &payload));
    wire.server(&packet(
        1,
        b"\xfemysql_native_password\0abcdefghijklmnopqrst\0",
    ));
    wire.client(&packet(2, &[4; 20]));
    wire.server(&packet(3, &ok(0, 2)));
    assert_eq!(wire.lines(), ["session db=ops user=admin"]);
}

#[test]
fn header_sized_reads_are_joined() {
    // A reader that reads each packet's header, then its payload.
    let mut wire = Wire::new();
    let greeting = greeting(BASIC);
    wire.server(&greeting[..4]).server(&greeting[4..]);
    let response = response(BASIC, "app", None);
    wire.client(&response[..4]).client(&response[4..]);
    wire.server(&packet(2, &ok(0, 2)));
    let query = query("SELECT 1");
    wire.client(&query[..4]).client(&query[4..]);
    wire.server(&packet(1, &ok(0, 2)));
    assert_eq!(
        wire.lines(),
        [
            "session db=- user=app",
            "#0 SELECT ? -> rows=0 error=- | 6-8/1"
        ]
    );
}

#[test]
fn bytes_probed_before_the_other_side_spoke_are_dropped() {
    // Found by fuzzing: a short unpaired reply, then a command: the reply
    // is not read as the start of the command's.
    let mut wire = Wire::new();
    wire.server(&packet(1, &ok(0, 2)));
    wire.client(&query("SELECT 1"));
    wire.server(&packet(1, &ok(0, 2)));
    assert_eq!(wire.lines(), ["#0 SELECT ? -> rows=0 error=- | 2-3/1"]);
    let stats = wire.conn.stats();
    assert_eq!(stats.replies_unpaired, 1);
    assert_eq!(stats.bytes_skipped, 11);
}
