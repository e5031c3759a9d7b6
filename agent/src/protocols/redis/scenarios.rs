//! Whole-connection behaviour: one test per situation the parser must
//! handle (pipelines, every reply type, pub/sub, pushes, transactions,
//! partly captured chunks, mid-stream pickup, bounds...).

use super::{
    super::db::DbStats,
    conversation::MAX_WAITING,
    reply::MAX_DEPTH,
    test_support::{command, Wire},
};

#[test]
fn a_command_and_its_reply() {
    let mut wire = Wire::new();
    wire.client(&command(&["GET", "user:42:password"]));
    wire.server(b"$6\r\nhunter\r\n");
    assert_eq!(wire.lines(), ["#0 GET -> rows=- error=- | 1-2/1"]);
    let events = format!("{:?}", wire.events);
    assert!(!events.contains("user:42") && !events.contains("hunter"));
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn a_pipeline_is_paired_in_order() {
    let mut wire = Wire::new();
    let mut pipeline = command(&["SET", "a", "1"]);
    pipeline.extend(command(&["INCR", "a"]));
    pipeline.extend(command(&["LRANGE", "l", "0", "-1"]));
    wire.client(&pipeline);
    wire.server(b"+OK\r\n:2\r\n*2\r\n$1\r\nx\r\n");
    wire.server(b"$1\r\ny\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 SET -> rows=- error=- | 1-2/1",
            "#1 INCR -> rows=- error=- | 1-2/1",
            "#2 LRANGE -> rows=2 error=- | 1-3/1",
        ]
    );
}

#[test]
fn replies_of_every_type() {
    let replies: &[(&[u8], &str)] = &[
        (b"+OK\r\n", "rows=- error=-"),
        (
            b"-WRONGTYPE Operation against a key\r\n",
            "rows=- error=WRONGTYPE",
        ),
        (b"-my script failed on secret\r\n", "rows=- error=ERR"),
        (b":42\r\n", "rows=- error=-"),
        (b"$-1\r\n", "rows=- error=-"),
        (b"*-1\r\n", "rows=- error=-"),
        (b"*0\r\n", "rows=0 error=-"),
        (
            b"*2\r\n*1\r\n:1\r\n%1\r\n+a\r\n~1\r\n_\r\n",
            "rows=2 error=-",
        ),
        (b"_\r\n", "rows=- error=-"),
        (b"#t\r\n", "rows=- error=-"),
        (b",3.14\r\n", "rows=- error=-"),
        (
            b"(3492890328409238509324850943850943825024385\r\n",
            "rows=- error=-",
        ),
        (b"!21\r\nSYNTAX invalid syntax\r\n", "rows=- error=SYNTAX"),
        (b"=15\r\ntxt:Some string\r\n", "rows=- error=-"),
        (b"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "rows=2 error=-"),
        (b"~3\r\n:1\r\n:2\r\n:3\r\n", "rows=3 error=-"),
        (b"|1\r\n+ttl\r\n:3600\r\n*1\r\n:7\r\n", "rows=1 error=-"),
        (b"*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n", "rows=2 error=-"),
    ];
    let mut wire = Wire::new();
    for (reply, outcome) in replies {
        wire.events.clear();
        wire.client(&command(&["DEBUG", "PROTOCOL", "x"]));
        wire.server(reply);
        let line = format!(
            "#{} DEBUG -> {outcome} | {}-{}/1",
            wire.now / 2 - 1,
            wire.now - 1,
            wire.now
        );
        assert_eq!(wire.lines(), [line], "{}", String::from_utf8_lossy(reply));
    }
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn resp3_pushes_are_not_replies() {
    let mut wire = Wire::new();
    wire.client(&command(&["HELLO", "3"]));
    wire.server(b"%1\r\n$5\r\nproto\r\n:3\r\n");
    wire.client(&command(&["GET", "k"]));
    // An invalidation, then the reply.
    wire.server(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nv\r\n");
    // With RESP3 an array naming "message" is a reply like any other.
    wire.client(&command(&["LRANGE", "l", "0", "-1"]));
    wire.server(b"*2\r\n$7\r\nmessage\r\n$1\r\nx\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 HELLO -> rows=1 error=- | 1-2/1",
            "#1 GET -> rows=- error=- | 3-4/1",
            "#2 LRANGE -> rows=2 error=- | 5-6/1",
        ]
    );
    assert_eq!(wire.conn.stats().replies_unpaired, 0);
}

#[test]
fn subscribe_mode_messages_are_not_replies() {
    let mut wire = Wire::new();
    wire.client(&command(&["SUBSCRIBE", "a", "b"]));
    wire.server(b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    wire.server(
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n",
    );
    wire.client(&command(&["PING"]));
    wire.server(b"*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$2\r\nyo\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    wire.client(&command(&["UNSUBSCRIBE"]));
    wire.server(b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n");
    wire.client(&command(&["UNSUBSCRIBE"]));
    wire.server(b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    wire.client(&command(&["GET", "k"])).server(b"$-1\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 SUBSCRIBE -> rows=- error=- | 1-3/1",
            "#1 PING -> rows=2 error=- | 4-5/1",
            "#2 UNSUBSCRIBE -> rows=- error=- | 6-7/1",
            "#3 UNSUBSCRIBE -> rows=- error=- | 8-9/1",
            "#4 GET -> rows=- error=- | 10-11/1",
        ]
    );
    assert_eq!(wire.conn.stats().replies_unpaired, 0);
}

#[test]
fn a_transaction_queues_then_executes() {
    let mut wire = Wire::new();
    let mut transaction = command(&["MULTI"]);
    transaction.extend(command(&["SET", "a", "1"]));
    transaction.extend(command(&["LPUSH", "a", "x"]));
    transaction.extend(command(&["EXEC"]));
    wire.client(&transaction);
    wire.server(b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n-WRONGTYPE Operation\r\n");
    wire.client(&command(&["MULTI"])).server(b"+OK\r\n");
    wire.client(&command(&["NOPE"]))
        .server(b"-ERR unknown command 'NOPE'\r\n");
    wire.client(&command(&["EXEC"]))
        .server(b"-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 MULTI -> rows=- error=- | 1-2/1",
            "#1 SET -> rows=- error=- | 1-2/1",
            "#2 LPUSH -> rows=- error=- | 1-2/1",
            "#3 EXEC -> rows=2 error=- | 1-2/1",
            "#4 MULTI -> rows=- error=- | 3-4/1",
            "#5 NOPE -> rows=- error=ERR | 5-6/1",
            "#6 EXEC -> rows=- error=EXECABORT | 7-8/1",
        ]
    );
}

#[test]
fn a_blocking_command_ends_when_its_reply_comes() {
    let mut wire = Wire::new();
    wire.client(&command(&["BLPOP", "jobs", "0"]));
    wire.now += 5_000_000_000;
    wire.server(b"*2\r\n$4\r\njobs\r\n$5\r\njob-1\r\n");
    assert_eq!(
        wire.lines(),
        ["#0 BLPOP -> rows=2 error=- | 1-5000000002/1"]
    );
}

#[test]
fn a_big_value_partly_captured_is_counted_by_its_length() {
    let size = (4 << 20) + 12_345;
    let mut wire = Wire::new();
    // SET: one write, 4 KiB and the last 64 bytes captured.
    let mut set = b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n".to_vec();
    set.extend_from_slice(format!("${size}\r\n").as_bytes());
    let total = set.len() + size + 2;
    set.resize(4096, b'v');
    let mut tail = vec![b'v'; 62];
    tail.extend_from_slice(b"\r\n");
    wire.client_captured(&set, total, &tail);
    wire.server(b"+OK\r\n");
    // GET: read 64 KiB at a time.
    wire.client(&command(&["GET", "big"]));
    let mut reply = format!("${size}\r\n").into_bytes();
    let total = reply.len() + size + 2;
    reply.resize(4096, b'v');
    wire.server_captured(&reply, 65536, &[b'v'; 64]);
    let mut fed = 65536;
    while total - fed > 65536 {
        wire.server_captured(&[b'v'; 4096], 65536, &[b'v'; 64]);
        fed += 65536;
    }
    wire.server_captured(&[b'v'; 4096], total - fed, &tail);
    wire.client(&command(&["STRLEN", "big"]))
        .server(b":4206649\r\n");
    let end = wire.now - 2;
    assert_eq!(
        wire.lines(),
        [
            "#0 SET -> rows=- error=- | 1-2/1".to_string(),
            format!("#1 GET -> rows=- error=- | 3-{end}/1"),
            format!("#2 STRLEN -> rows=- error=- | {}-{}/1", end + 1, end + 2),
        ]
    );
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn replies_nested_too_deep_are_given_up_on() {
    let mut wire = Wire::new();
    wire.client(&command(&["EVAL", "return nested", "0"]));
    let deep = b"*1\r\n".repeat(MAX_DEPTH + 8);
    wire.server(&deep);
    wire.client(&command(&["PING"])).server(b"+PONG\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 EVAL -> rows=- error=- | 1-2/1",
            "#1 PING -> rows=- error=- | 3-4/1",
        ]
    );
}

#[test]
fn picked_up_mid_stream_replies_before_the_first_command_are_unpaired() {
    let mut wire = Wire::new();
    // The end of a reply, and a write starting inside a value.
    wire.server(b"$3\r\nabc\r\n:1\r\n");
    wire.client(b"lue\r\n");
    wire.client(&command(&["GET", "k"])).server(b"$1\r\nv\r\n");
    assert_eq!(wire.lines(), ["#0 GET -> rows=- error=- | 3-4/1"]);
    let stats = wire.conn.stats();
    assert_eq!(stats.replies_unpaired, 1);
    assert_eq!(stats.bytes_skipped, 13 + 5);
}

#[test]
fn inline_commands() {
    let mut wire = Wire::new();
    wire.client(b"PING\r\n").server(b"+PONG\r\n");
    wire.client(b"\r\n");
    wire.client(b"set k v\r\nGET k\n")
        .server(b"+OK\r\n$1\r\nv\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 PING -> rows=- error=- | 1-2/1",
            "#1 SET -> rows=- error=- | 4-5/1",
            "#2 GET -> rows=- error=- | 4-5/1",
        ]
    );
}

#[test]
fn monitor_output_is_not_replies() {
    let mut wire = Wire::new();
    wire.client(&command(&["MONITOR"])).server(b"+OK\r\n");
    wire.server(b"+1700000000.123456 [0 127.0.0.1:5000] \"GET\" \"secret\"\r\n");
    wire.close();
    assert_eq!(wire.lines(), ["#0 MONITOR -> rows=- error=- | 1-2/1"]);
    assert_eq!(wire.conn.stats(), DbStats::default());
}

#[test]
fn commands_without_replies_after_client_reply() {
    let mut wire = Wire::new();
    wire.client(&command(&["CLIENT", "REPLY", "OFF"]));
    wire.client(&command(&["SET", "a", "1"]));
    wire.client(&command(&["CLIENT", "REPLY", "ON"]))
        .server(b"+OK\r\n");
    wire.client(&command(&["CLIENT", "REPLY", "SKIP"]));
    wire.client(&command(&["SET", "b", "2"]));
    wire.client(&command(&["GET", "b"])).server(b"$1\r\n2\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 CLIENT REPLY -> rows=- error=- | 1--/1",
            "#1 SET -> rows=- error=- | 2--/1",
            "#2 CLIENT REPLY -> rows=- error=- | 3-4/1",
            "#3 CLIENT REPLY -> rows=- error=- | 5--/1",
            "#4 SET -> rows=- error=- | 6--/1",
            "#5 GET -> rows=- error=- | 7-8/1",
        ]
    );
}

#[test]
fn lost_in_a_big_array_the_next_command_ends_it() {
    let mut wire = Wire::new();
    wire.client(&command(&["LRANGE", "long", "0", "-1"]));
    let mut reply = b"*5000\r\n".to_vec();
    for i in 0..5000 {
        reply.extend_from_slice(format!("$10\r\nitem-{i:05}\r\n").as_bytes());
    }
    wire.server_captured(&reply[..4096], 65536, &reply[65536 - 64..65536]);
    wire.server_captured(
        &reply[65536..65536 + 4096],
        reply.len() - 65536,
        &reply[reply.len() - 64..],
    );
    wire.client(&command(&["LLEN", "long"]))
        .server(b":5000\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 LRANGE -> rows=- error=- | 1-3/1",
            "#1 LLEN -> rows=- error=- | 4-5/1",
        ]
    );
    assert_eq!(wire.conn.stats().replies_unpaired, 0);
}

#[test]
fn the_number_of_waiting_commands_is_bounded() {
    let mut wire = Wire::new();
    let pipeline: Vec<u8> = (0..MAX_WAITING + 10)
        .flat_map(|_| command(&["PING"]))
        .collect();
    wire.client(&pipeline);
    wire.server(&b"+PONG\r\n".repeat(MAX_WAITING + 10));
    assert_eq!(wire.lines().len(), MAX_WAITING);
    let stats = wire.conn.stats();
    assert_eq!(stats.calls_dropped, 10);
    assert_eq!(stats.replies_unpaired, 1);
}

#[test]
fn a_close_reports_the_waiting_calls_without_an_end() {
    let mut wire = Wire::new();
    wire.client(&command(&["BLPOP", "q", "0"]));
    wire.close();
    wire.client(&command(&["PING"])).server(b"+PONG\r\n");
    assert_eq!(
        wire.lines(),
        [
            "#0 BLPOP -> rows=- error=- | 1--/1",
            "#1 PING -> rows=- error=- | 3-4/1",
        ]
    );
    assert_eq!(wire.conn.waiting(), 0);
}

#[test]
fn a_command_split_byte_by_byte() {
    let mut wire = Wire::new();
    for byte in command(&["CONFIG", "GET", "maxmemory"]) {
        wire.client(&[byte]);
    }
    for byte in b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n" {
        wire.server(&[*byte]);
    }
    assert_eq!(wire.lines().len(), 1);
    assert!(wire.lines()[0].starts_with("#0 CONFIG GET -> rows=2 error=- | 1-"));
}
