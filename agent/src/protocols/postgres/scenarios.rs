//! Whole-connection behaviour: one test per situation the parser must
//! handle (startup, simple and extended queries, errors, pipelining,
//! COPY, notifications, partial captures, resync, bounds...).

use super::{super::db::DbStats, pairing::MAX_PENDING, test_support::Wire};

// --- Messages, as clients and servers write them. ---

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn cstrings(parts: &[&[u8]]) -> Vec<u8> {
    parts
        .iter()
        .flat_map(|part| [*part, b"\0"].concat())
        .collect()
}

fn startup(params: &[&[u8]]) -> Vec<u8> {
    let mut body = 196_608u32.to_be_bytes().to_vec();
    body.extend(cstrings(params));
    body.push(0);
    let mut out = (body.len() as u32 + 4).to_be_bytes().to_vec();
    out.extend(body);
    out
}

const SSL_REQUEST: &[u8] = b"\0\0\0\x08\x04\xd2\x16/";
const GSSENC_REQUEST: &[u8] = b"\0\0\0\x08\x04\xd2\x160";

fn query(sql: &str) -> Vec<u8> {
    message(b'Q', &cstrings(&[sql.as_bytes()]))
}

fn parse(name: &str, sql: &str) -> Vec<u8> {
    let mut body = cstrings(&[name.as_bytes(), sql.as_bytes()]);
    body.extend_from_slice(&[0, 0]);
    message(b'P', &body)
}

fn bind(portal: &str, statement: &str) -> Vec<u8> {
    let mut body = cstrings(&[portal.as_bytes(), statement.as_bytes()]);
    // No parameter formats, one text parameter "1", no result formats.
    body.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, b'1', 0, 0]);
    message(b'B', &body)
}

fn execute(portal: &str, max_rows: u32) -> Vec<u8> {
    let mut body = cstrings(&[portal.as_bytes()]);
    body.extend_from_slice(&max_rows.to_be_bytes());
    message(b'E', &body)
}

fn describe_portal() -> Vec<u8> {
    message(b'D', b"P\0")
}

fn close_statement(name: &str) -> Vec<u8> {
    message(b'C', &[b"S", name.as_bytes(), b"\0"].concat())
}

fn sync() -> Vec<u8> {
    message(b'S', b"")
}

fn ready() -> Vec<u8> {
    message(b'Z', b"I")
}

fn complete(tag: &str) -> Vec<u8> {
    message(b'C', &cstrings(&[tag.as_bytes()]))
}

fn error(code: &str) -> Vec<u8> {
    let mut body = cstrings(&[
        b"SERROR",
        b"VERROR",
        format!("C{code}").as_bytes(),
        b"Mrelation \"secret_table\" does not exist",
    ]);
    body.push(0);
    message(b'E', &body)
}

fn row_description() -> Vec<u8> {
    message(
        b'T',
        b"\0\x01a\0\0\0\0\0\0\0\0\0\0\x17\0\x04\xff\xff\xff\xff\0\0",
    )
}

fn data_row(value: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 1];
    body.extend_from_slice(&(value.len() as u32).to_be_bytes());
    body.extend_from_slice(value);
    message(b'D', &body)
}

fn authenticated() -> Vec<u8> {
    [
        message(b'R', &[0, 0, 0, 0]),
        message(b'S', b"server_version\x0015.18\0"),
        message(b'K', &[0, 0, 0, 42, 1, 2, 3, 4]),
        ready(),
    ]
    .concat()
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// A connection past its startup.
fn started() -> Wire {
    let mut wire = Wire::new();
    wire.client(&startup(&[b"user", b"app", b"database", b"shop"]));
    wire.server(&authenticated());
    wire.events.clear();
    wire.now = 0;
    wire
}

// --- Startup. ---

#[test]
fn a_startup_reports_the_session() {
    let mut wire = Wire::new();
    wire.client(SSL_REQUEST).server(b"N");
    wire.client(&startup(&[
        b"user",
        b"app",
        b"database",
        b"shop",
        b"application_name",
        b"x",
    ]));
    wire.server(&message(b'R', b"\0\0\0\x0aSCRAM-SHA-256\0\0"));
    wire.client(&message(b'p', b"SCRAM-SHA-256\0\0\0\0\x20n,,n=,r=abc"));
    wire.server(&message(b'R', b"\0\0\0\x0br=abc,s=x,i=4096"));
    wire.client(&message(b'p', b"c=biws,r=abc,p=proof"));
    wire.server(&authenticated());
    wire.client(&query("SELECT 1"));
    wire.server(&cat(&[
        row_description(),
        data_row(b"1"),
        complete("SELECT 1"),
        ready(),
    ]));
    assert_eq!(
        wire.lines(),
        [
            "session database=shop user=app",
            "#0 SELECT \"SELECT ?\" rows=1 ok 9-10/1"
        ]
    );
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn the_database_defaults_to_the_user() {
    let mut wire = Wire::new();
    wire.client(&startup(&[b"user", b"app"]));
    assert_eq!(wire.lines(), ["session database=app user=app"]);
}

#[test]
fn a_refused_gssenc_request_is_followed_by_the_startup() {
    let mut wire = Wire::new();
    wire.client(GSSENC_REQUEST).server(b"N");
    wire.client(SSL_REQUEST).server(b"N");
    wire.client(&startup(&[b"user", b"app"]));
    wire.server(&authenticated());
    wire.client(&query("SELECT 1"))
        .server(&cat(&[complete("SELECT 1"), ready()]));
    assert_eq!(wire.calls(), ["#0 SELECT \"SELECT ?\" rows=1 ok"]);
}

#[test]
fn an_accepted_ssl_request_stops_parsing() {
    let mut wire = Wire::new();
    wire.client(SSL_REQUEST).server(b"S");
    let hello = b"\x16\x03\x01\x00\x05hello";
    wire.client(hello).server(b"\x16\x03\x03\x00\x02hi");
    // Encrypted bytes that look like a query are not one.
    wire.client(&query("SELECT 1"))
        .server(&cat(&[complete("SELECT 1"), ready()]));
    wire.close();
    assert!(wire.events.is_empty());
    let stats = wire.conn.stats();
    assert_eq!(stats.bytes_skipped, (hello.len() + 7 + 14 + 14 + 6) as u64);
    assert_eq!(stats.replies_unpaired, 0);
}

#[test]
fn direct_tls_is_not_parsed() {
    let mut wire = Wire::new();
    wire.client(b"\x16\x03\x01\x00\x05hello")
        .server(b"\x16\x03\x03\x00\x02hi");
    wire.close();
    assert!(wire.events.is_empty());
    assert_eq!(wire.conn.stats().bytes_skipped, 17);
}

#[test]
fn a_cancel_request_is_no_call() {
    let mut wire = Wire::new();
    wire.client(b"\0\0\0\x10\x04\xd2\x16.\0\0\x12\x34\x01\x02\x03\x04");
    wire.close();
    assert!(wire.events.is_empty());
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn an_old_server_answering_ssl_with_an_error_is_read() {
    let mut wire = Wire::new();
    wire.client(SSL_REQUEST).server(&error("08P01"));
    wire.close();
    assert_eq!(wire.conn.stats(), DbStats::default());
}

// --- Simple queries. ---

#[test]
fn a_multi_statement_query_is_one_call_with_the_rows_summed() {
    let mut wire = started();
    wire.client(&query(
        "INSERT INTO t VALUES (1), (2); UPDATE t SET a = 1; BEGIN",
    ));
    wire.server(&cat(&[
        complete("INSERT 0 2"),
        complete("UPDATE 3"),
        complete("BEGIN"),
    ]));
    assert!(wire.calls().is_empty(), "the call ends at ReadyForQuery");
    wire.server(&message(b'Z', b"T"));
    assert_eq!(
        wire.calls(),
        ["#0 - \"INSERT INTO t VALUES (?); UPDATE t SET a = ?; BEGIN\" rows=5 ok"]
    );
}

#[test]
fn an_error_reports_its_sqlstate_only() {
    let mut wire = started();
    wire.client(&query("SELECT * FROM secret_table"));
    wire.server(&error("42P01")).server(&ready());
    assert_eq!(
        wire.lines(),
        ["#0 SELECT \"SELECT * FROM secret_table\" rows=- 42P01 1-3/1"]
    );
    // The message (which may quote data) is never read.
    let debug = format!("{:?}", wire.events);
    assert!(!debug.contains("does not exist"), "{debug}");
}

#[test]
fn an_error_whose_code_was_not_captured_is_unknown() {
    let mut wire = started();
    wire.client(&query("SELECT 1"));
    let answer = cat(&[error("42P01"), ready()]);
    // Only the first 8 bytes and the ReadyForQuery captured.
    wire.server_captured(&answer[..8], answer.len(), &answer[answer.len() - 6..]);
    assert_eq!(wire.calls(), ["#0 SELECT \"SELECT ?\" rows=- unknown"]);
}

#[test]
fn an_empty_query_is_a_call_without_rows() {
    let mut wire = started();
    wire.client(&query(""));
    wire.server(&cat(&[message(b'I', b""), ready()]));
    assert_eq!(wire.calls(), ["#0 - \"\" rows=- ok"]);
}

#[test]
fn a_function_call_is_answered_but_no_call() {
    let mut wire = started();
    wire.client(&message(b'F', b"\0\0\x04\xd2\0\0\0\0\0\0"));
    wire.server(&cat(&[message(b'V', b"\xff\xff\xff\xff"), ready()]));
    wire.close();
    assert!(wire.events.is_empty());
    assert_eq!(wire.conn.stats(), DbStats::default());
}

// --- Extended queries. ---

#[test]
fn an_execute_runs_the_statement_of_its_parse() {
    let mut wire = started();
    wire.client(&cat(&[
        parse("", "SELECT a FROM t WHERE id = $1"),
        bind("", ""),
        describe_portal(),
        execute("", 0),
        sync(),
    ]));
    wire.server(&cat(&[
        message(b'1', b""),
        message(b'2', b""),
        row_description(),
        data_row(b"1"),
        data_row(b"2"),
        complete("SELECT 2"),
    ]));
    assert_eq!(
        wire.lines(),
        ["#0 SELECT \"SELECT a FROM t WHERE id = $1\" rows=2 ok 1-2/1"]
    );
    wire.server(&ready());
    assert_eq!(wire.events.len(), 1);
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn prepared_statements_are_remembered_by_name_until_closed() {
    let mut wire = started();
    // psycopg 3 with prepare=True: a prepare-only batch first, no call.
    wire.client(&cat(&[parse("_pg3_0", "UPDATE t SET a = $1"), sync()]));
    wire.server(&cat(&[message(b'1', b""), ready()]));
    assert!(wire.events.is_empty());
    // The unnamed statement comes and goes in between.
    wire.client(&cat(&[
        parse("", "DELETE FROM t"),
        bind("", ""),
        execute("", 0),
        sync(),
    ]));
    wire.server(&cat(&[
        message(b'1', b""),
        message(b'2', b""),
        complete("DELETE 0"),
        ready(),
    ]));
    for _ in 0..2 {
        wire.client(&cat(&[bind("", "_pg3_0"), execute("", 0), sync()]));
        wire.server(&cat(&[message(b'2', b""), complete("UPDATE 1"), ready()]));
    }
    wire.client(&cat(&[close_statement("_pg3_0"), sync()]));
    wire.server(&cat(&[message(b'3', b""), ready()]));
    wire.client(&cat(&[bind("", "_pg3_0"), execute("", 0), sync()]));
    wire.server(&cat(&[error("26000"), ready()]));
    assert_eq!(
        wire.calls(),
        [
            "#0 DELETE \"DELETE FROM t\" rows=0 ok",
            "#1 UPDATE \"UPDATE t SET a = $1\" rows=1 ok",
            "#2 UPDATE \"UPDATE t SET a = $1\" rows=1 ok",
            // Closed: its text is forgotten.
            "#3 - \"\" rows=- 26000",
        ]
    );
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn an_error_fails_the_rest_of_its_batch() {
    let mut wire = started();
    let batch = |sql| cat(&[parse("", sql), bind("", ""), execute("", 0)]);
    wire.client(&cat(&[
        batch("SELECT 1"),
        batch("INSERT INTO nowhere VALUES (1)"),
        batch("SELECT 2"),
        batch("SELECT 3"),
        sync(),
    ]));
    wire.server(&cat(&[
        message(b'1', b""),
        message(b'2', b""),
        data_row(b"1"),
        complete("SELECT 1"),
        error("42P01"),
    ]));
    wire.server(&ready());
    wire.client(&cat(&[batch("SELECT 4"), sync()]));
    wire.server(&cat(&[
        message(b'1', b""),
        message(b'2', b""),
        complete("SELECT 1"),
        ready(),
    ]));
    assert_eq!(
        wire.lines(),
        [
            "#0 SELECT \"SELECT ?\" rows=1 ok 1-2/1",
            // The failing Execute ends at the error, the skipped ones at
            // the ReadyForQuery.
            "#1 INSERT \"INSERT INTO nowhere VALUES (?)\" rows=- 42P01 1-2/1",
            "#2 SELECT \"SELECT ?\" rows=- 42P01 1-3/1",
            "#3 SELECT \"SELECT ?\" rows=- 42P01 1-3/1",
            "#4 SELECT \"SELECT ?\" rows=1 ok 4-5/1",
        ]
    );
}

#[test]
fn a_failed_prepare_is_no_call() {
    let mut wire = started();
    wire.client(&cat(&[parse("s1", "SELEC 1"), sync()]));
    wire.server(&cat(&[error("42601"), ready()]));
    wire.close();
    assert!(wire.events.is_empty());
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn an_error_after_the_last_command_complete_is_no_calls() {
    // A deferred constraint failing at the implicit commit of the Sync.
    let mut wire = started();
    wire.client(&cat(&[
        parse("", "INSERT INTO t VALUES (1)"),
        bind("", ""),
        execute("", 0),
        sync(),
    ]));
    wire.server(&cat(&[
        message(b'1', b""),
        message(b'2', b""),
        complete("INSERT 0 1"),
        error("23503"),
        ready(),
    ]));
    wire.client(&query("SELECT 1"))
        .server(&cat(&[complete("SELECT 1"), ready()]));
    assert_eq!(
        wire.calls(),
        [
            "#0 INSERT \"INSERT INTO t VALUES (?)\" rows=1 ok",
            "#1 SELECT \"SELECT ?\" rows=1 ok"
        ]
    );
}

#[test]
fn pipelined_batches_pair_in_order() {
    let mut wire = started();
    wire.client(&cat(&[
        parse("", "SELECT 1"),
        bind("", ""),
        execute("", 0),
        sync(),
    ]));
    wire.client(&cat(&[
        parse("", "UPDATE t SET a = 1"),
        bind("", ""),
        execute("", 0),
        sync(),
    ]));
    wire.client(&query("DELETE FROM t"));
    wire.server(&cat(&[
        message(b'1', b""),
        message(b'2', b""),
        complete("SELECT 1"),
        ready(),
        message(b'1', b""),
    ]));
    wire.server(&cat(&[message(b'2', b""), error("40001"), ready()]));
    wire.server(&cat(&[complete("DELETE 7"), ready()]));
    assert_eq!(
        wire.lines(),
        [
            "#0 SELECT \"SELECT ?\" rows=1 ok 1-4/1",
            "#1 UPDATE \"UPDATE t SET a = ?\" rows=- 40001 2-5/1",
            "#2 DELETE \"DELETE FROM t\" rows=7 ok 3-6/1",
        ]
    );
}

#[test]
fn a_suspended_portal_counts_its_rows() {
    let mut wire = started();
    wire.client(&cat(&[
        parse("", "SELECT a FROM t"),
        bind("c", ""),
        execute("c", 2),
        message(b'H', b""),
    ]));
    wire.server(&cat(&[
        message(b'1', b""),
        message(b'2', b""),
        data_row(b"1"),
        data_row(b"2"),
        message(b's', b""),
    ]));
    wire.client(&cat(&[execute("c", 2), sync()]));
    wire.server(&cat(&[data_row(b"3"), complete("SELECT 1"), ready()]));
    assert_eq!(
        wire.calls(),
        [
            "#0 SELECT \"SELECT a FROM t\" rows=2 ok",
            "#1 SELECT \"SELECT a FROM t\" rows=1 ok"
        ]
    );
}

#[test]
fn an_execute_starts_with_its_parse_and_bind() {
    let mut wire = started();
    wire.client(&parse("", "SELECT 1"));
    wire.client(&bind("", ""));
    wire.client(&cat(&[execute("", 0), sync()]));
    wire.server(&cat(&[
        message(b'1', b""),
        message(b'2', b""),
        complete("SELECT 1"),
        ready(),
    ]));
    assert_eq!(wire.lines(), ["#0 SELECT \"SELECT ?\" rows=1 ok 1-4/1"]);
}

// --- COPY and asynchronous messages. ---

#[test]
fn copy_in_is_one_call() {
    let mut wire = started();
    wire.client(&query("COPY t FROM STDIN"));
    wire.server(&message(b'G', b"\0\0\x01\0\0"));
    wire.client(&cat(&[
        message(b'd', b"1\tone\n"),
        message(b'd', b"2\ttwo\n"),
    ]));
    wire.client(&message(b'c', b""));
    wire.server(&cat(&[complete("COPY 2"), ready()]));
    assert_eq!(wire.calls(), ["#0 COPY \"COPY t FROM STDIN\" rows=2 ok"]);
    assert_eq!(wire.conn.stats().bytes_skipped, 22);
}

#[test]
fn copy_out_and_copy_fail() {
    let mut wire = started();
    wire.client(&query("COPY t TO STDOUT"));
    wire.server(&cat(&[
        message(b'H', b"\0\0\x01\0\0"),
        message(b'd', b"1\tone\n"),
    ]));
    wire.server(&cat(&[message(b'c', b""), complete("COPY 1"), ready()]));
    wire.client(&query("COPY t FROM STDIN"));
    wire.server(&message(b'G', b"\0\0\x01\0\0"));
    wire.client(&message(b'f', b"abandoned\0"));
    wire.server(&cat(&[error("57014"), ready()]));
    assert_eq!(
        wire.calls(),
        [
            "#0 COPY \"COPY t TO STDOUT\" rows=1 ok",
            "#1 COPY \"COPY t FROM STDIN\" rows=- 57014"
        ]
    );
}

#[test]
fn asynchronous_messages_answer_nothing() {
    let mut wire = started();
    let notification = message(b'A', b"\0\0\x30\x39prices\0product 1\0");
    wire.server(&notification);
    wire.client(&query("SELECT 1"));
    wire.server(&cat(&[
        message(b'N', b"SNOTICE\0C00000\0Mhello\0\0"),
        message(b'S', b"TimeZone\0UTC\0"),
        notification.clone(),
        complete("SELECT 1"),
        ready(),
        notification,
    ]));
    assert_eq!(wire.calls(), ["#0 SELECT \"SELECT ?\" rows=1 ok"]);
    assert_eq!(wire.conn.stats(), DbStats::default());
}

// --- Partial captures. ---

#[test]
fn a_4_mib_data_row_is_skipped_through_gaps() {
    let mut wire = started();
    wire.client(&query("SELECT repeat('r', 4194304)"));
    let row_len = 4 * 1024 * 1024;
    // RowDescription, then the DataRow's header: one column of 4 MiB.
    let mut first = row_description();
    first.push(b'D');
    first.extend_from_slice(&(row_len as u32 + 4 + 2 + 4).to_be_bytes());
    first.extend_from_slice(&[0, 1]);
    first.extend_from_slice(&(row_len as u32).to_be_bytes());
    let header_len = first.len();
    first.resize(4096, b'r');
    // 64 KiB writes, 4 KiB and the last 64 bytes captured.
    let mut sent = 0;
    let total = header_len + row_len;
    let filler = vec![b'r'; 4096];
    let mut chunks = 0;
    while sent < total {
        let size = (total - sent).min(65_536);
        let captured = size.min(4096);
        let tail = &filler[..(size - captured).min(64)];
        if chunks == 0 {
            wire.server_captured(&first, size, tail);
        } else {
            wire.server_captured(&filler[..captured], size, tail);
        }
        sent += size;
        chunks += 1;
    }
    wire.server(&cat(&[complete("SELECT 1"), ready()]));
    assert_eq!(
        wire.calls(),
        ["#0 SELECT \"SELECT repeat(?, ?)\" rows=1 ok"]
    );
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn a_large_result_whose_framing_went_uncaptured_ends_at_ready_for_query() {
    let mut wire = started();
    wire.client(&query("SELECT i FROM generate_series(1, 100000) AS i"));
    let rows: Vec<u8> = (0..2000).flat_map(|_| data_row(b"12345")).collect();
    // Rows cut anywhere: the second write starts inside a DataRow.
    wire.server_captured(&rows[..4096], 20_000, &rows[rows.len() - 64..]);
    wire.server_captured(&rows[7..4103], 30_000, &rows[rows.len() - 64..]);
    let end = cat(&[rows[..100].to_vec(), complete("SELECT 100000"), ready()]);
    wire.server_captured(&rows[3..4099], 40_000, &end[end.len() - 64..]);
    assert_eq!(
        wire.calls(),
        ["#0 SELECT \"SELECT i FROM generate_series(?, ?) AS i\" rows=100000 ok"]
    );
    let stats = wire.conn.stats();
    assert_eq!(stats.replies_unpaired, 0);
    assert!(stats.bytes_skipped > 0);
    // Aligned again.
    wire.client(&query("SELECT 1"))
        .server(&cat(&[complete("SELECT 1"), ready()]));
    assert_eq!(wire.calls().len(), 2);
}

#[test]
fn a_query_cut_by_the_capture_is_normalized_from_its_start() {
    let mut wire = started();
    let sql = format!("INSERT INTO t VALUES {}", "(1, 'x'), ".repeat(10_000));
    let message = query(&sql);
    wire.client_captured(
        &message[..4096],
        message.len(),
        &message[message.len() - 64..],
    );
    wire.server(&cat(&[complete("INSERT 0 10000"), ready()]));
    assert_eq!(
        wire.calls(),
        ["#0 INSERT \"INSERT INTO t VALUES (?, ?),\" rows=10000 ok"]
    );
}

// --- Picked up mid-conversation. ---

#[test]
fn an_idle_connection_picked_up_pairs_at_once() {
    let mut wire = Wire::new();
    wire.client(&query("SELECT 1"));
    wire.server(&cat(&[
        row_description(),
        data_row(b"1"),
        complete("SELECT 1"),
        ready(),
    ]));
    assert_eq!(wire.calls(), ["#0 SELECT \"SELECT ?\" rows=1 ok"]);
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn prepared_statements_of_before_the_capture_are_unknown() {
    let mut wire = Wire::new();
    wire.client(&cat(&[bind("", "_pg3_3"), execute("", 0), sync()]));
    wire.server(&cat(&[message(b'2', b""), complete("UPDATE 1"), ready()]));
    assert_eq!(wire.calls(), ["#0 - \"\" rows=1 ok"]);
}

#[test]
fn a_server_picked_up_mid_answer_waits_for_ready_for_query() {
    let mut wire = Wire::new();
    let rows: Vec<u8> = (0..100).flat_map(|_| data_row(b"12345")).collect();
    // The end of an answer to a query sent before the capture.
    wire.server(&cat(&[
        rows[5..].to_vec(),
        complete("SELECT 1000"),
        ready(),
    ]));
    assert!(wire.events.is_empty());
    assert_eq!(wire.conn.stats().replies_unpaired, 1);
    wire.client(&query("SELECT 2"))
        .server(&cat(&[complete("SELECT 2"), ready()]));
    assert_eq!(wire.calls(), ["#0 SELECT \"SELECT ?\" rows=2 ok"]);
}

#[test]
fn a_call_pipelined_behind_an_answer_of_before_the_capture_gets_its_own_answer() {
    let mut wire = Wire::new();
    let rows: Vec<u8> = (0..100).flat_map(|_| data_row(b"12345")).collect();
    wire.server(&rows[5..200]);
    wire.client(&query("UPDATE t SET a = 1"));
    wire.server(&cat(&[
        rows[200..].to_vec(),
        complete("SELECT 100"),
        ready(),
    ]));
    assert!(wire.events.is_empty());
    wire.server(&cat(&[complete("UPDATE 4"), ready()]));
    assert_eq!(wire.calls(), ["#0 UPDATE \"UPDATE t SET a = ?\" rows=4 ok"]);
    assert_eq!(wire.conn.stats().replies_unpaired, 1);
}

#[test]
fn unreadable_client_bytes_are_skipped_until_a_message_starts_a_chunk() {
    let mut wire = started();
    wire.client(b"\x01\x02garbage that is no message");
    wire.client(&query("SELECT 1"))
        .server(&cat(&[complete("SELECT 1"), ready()]));
    assert_eq!(wire.calls(), ["#0 SELECT \"SELECT ?\" rows=1 ok"]);
    let stats = wire.conn.stats();
    assert_eq!(stats.calls_unparseable, 1);
    assert_eq!(stats.bytes_skipped, 28);
}

#[test]
fn a_client_message_hidden_in_a_gap_leaves_its_answer_unpaired() {
    let mut wire = started();
    let first = query(&format!("SELECT '{}'", "x".repeat(10_000)));
    let both = cat(&[first, query("SELECT 2")]);
    // The second query's header is in the uncaptured middle.
    wire.client_captured(&both[..4096], both.len(), &both[both.len() - 10..]);
    wire.server(&cat(&[complete("SELECT 1"), ready()]));
    wire.server(&cat(&[complete("SELECT 1"), ready()]));
    assert_eq!(wire.calls(), ["#0 SELECT \"SELECT ?\" rows=1 ok"]);
    let stats = wire.conn.stats();
    assert_eq!(stats.calls_unparseable, 1);
    assert_eq!(stats.replies_unpaired, 1);
}

// --- Bounds and the close. ---

#[test]
fn calls_beyond_the_cap_are_dropped_and_pairing_goes_on() {
    let mut wire = started();
    let count = MAX_PENDING + 10;
    let mut request = parse("", "SELECT 1");
    for _ in 0..count {
        request.extend(bind("", ""));
        request.extend(execute("", 0));
    }
    request.extend(sync());
    wire.client(&request);
    let mut answer = message(b'1', b"");
    for _ in 0..count {
        answer.extend(message(b'2', b""));
        answer.extend(complete("SELECT 1"));
    }
    answer.extend(ready());
    wire.server(&answer);
    assert_eq!(wire.calls().len(), MAX_PENDING);
    assert_eq!(wire.conn.stats().calls_dropped, 10);
    // Pairing is right afterwards.
    wire.client(&query("DELETE FROM t"))
        .server(&cat(&[complete("DELETE 3"), ready()]));
    assert_eq!(
        wire.calls().last().map(String::as_str),
        Some(&*format!(
            "#{MAX_PENDING} DELETE \"DELETE FROM t\" rows=3 ok"
        ))
    );
    assert_eq!(wire.conn.stats().replies_unpaired, 0);
}

#[test]
fn syncs_beyond_the_cap_are_still_answered() {
    let mut wire = started();
    let count = MAX_PENDING + 5;
    let request: Vec<u8> = (0..count).flat_map(|_| query("SELECT 1")).collect();
    wire.client(&request);
    let answer: Vec<u8> = (0..count)
        .flat_map(|_| cat(&[complete("SELECT 1"), ready()]))
        .collect();
    wire.server(&answer);
    wire.client(&query("SELECT 2"))
        .server(&cat(&[complete("SELECT 2"), ready()]));
    let calls = wire.calls();
    assert_eq!(calls.len(), MAX_PENDING + 1);
    assert_eq!(
        calls.last().map(String::as_str),
        Some(&*format!("#{MAX_PENDING} SELECT \"SELECT ?\" rows=2 ok"))
    );
    let stats = wire.conn.stats();
    assert_eq!(stats.calls_dropped, 5);
    assert_eq!(stats.replies_unpaired, 0);
}

#[test]
fn the_close_reports_waiting_calls_without_an_end() {
    let mut wire = started();
    wire.client(&query("SELECT pg_sleep(10)"));
    wire.client(&cat(&[
        parse("", "SELECT 1"),
        bind("", ""),
        execute("", 0),
        sync(),
    ]));
    wire.close();
    assert_eq!(
        wire.lines(),
        [
            "#0 SELECT \"SELECT pg_sleep(?)\" rows=- ok 1--/1",
            "#1 SELECT \"SELECT ?\" rows=- ok 2--/1"
        ]
    );
    // A new connection on the same parser starts afresh.
    wire.events.clear();
    wire.client(&startup(&[b"user", b"u"]));
    assert_eq!(wire.lines(), ["session database=u user=u"]);
}
