//! Whole-connection behaviour: one test per situation the parser must
//! handle (keep-alive, pipelining, bodies, 100-continue, resync, bounds...).

use super::{
    reader::MAX_HEAD,
    test_support::{Wire, CLIENT_TID, SERVER_TID},
    Http1Event, Http1Stats,
};

const GET: &[u8] = b"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n";
const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn a_request_and_its_response() {
    let mut wire = Wire::new();
    wire.req(GET);
    assert_eq!(wire.lines(), ["started #0 GET /a @1/1"]);
    wire.resp(OK);
    assert_eq!(
        wire.lines(),
        [
            "started #0 GET /a @1/1",
            "#0 GET /a HTTP/1.1 host=example.com -> 200 | req 1-1/1 body=0 | resp 2-2/2 body=5 | ok"
        ]
    );
    assert_eq!(wire.conn.stats(), Http1Stats::default());
}

#[test]
fn keep_alive_carries_many_exchanges() {
    let mut wire = Wire::new();
    for _ in 0..3 {
        wire.req(GET).resp(OK);
    }
    assert_eq!(
        wire.exchanges(),
        [
            "#0 GET /a HTTP/1.1 host=example.com -> 200 | req 1-1/1 body=0 | resp 2-2/2 body=5 | ok",
            "#1 GET /a HTTP/1.1 host=example.com -> 200 | req 3-3/1 body=0 | resp 4-4/2 body=5 | ok",
            "#2 GET /a HTTP/1.1 host=example.com -> 200 | req 5-5/1 body=0 | resp 6-6/2 body=5 | ok",
        ]
    );
}

#[test]
fn pipelined_requests_pair_in_order() {
    let mut wire = Wire::new();
    wire.req(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nPOST /3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    wire.resp(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nbb");
    wire.resp(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        wire.lines(),
        [
            "started #0 GET /1 @1/1",
            "started #1 GET /2 @1/1",
            "started #2 POST /3 @1/1",
            "#0 GET /1 HTTP/1.1 -> 200 | req 1-1/1 body=0 | resp 2-2/2 body=1 | ok",
            "#1 GET /2 HTTP/1.1 -> 404 | req 1-1/1 body=0 | resp 2-2/2 body=2 | ok",
            "#2 POST /3 HTTP/1.1 -> 201 | req 1-1/1 body=3 | resp 3-3/2 body=0 | ok",
        ]
    );
}

#[test]
fn content_length_bodies_are_counted_through_gaps() {
    // A 1 MiB POST: the first write carries the head and the start of the
    // body, then 64 KiB writes of which 4 KiB prefixes and 64-byte tails
    // were captured.
    let head = b"POST /upload HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n";
    let mut first = head.to_vec();
    first.resize(4096, b'x');
    let mut wire = Wire::new();
    wire.req_captured(&first, 4096, b"");
    let mut sent = 4096 - head.len();
    let body = vec![b'x'; 4096];
    while sent < 1_048_576 {
        let total = (1_048_576 - sent).min(65_536);
        let captured = total.min(4096);
        wire.req_captured(&body[..captured], total, &body[..64.min(total - captured)]);
        sent += total;
    }
    let last_request_chunk = wire.now;
    wire.resp(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!(
        wire.exchanges(),
        [format!(
            "#0 POST /upload HTTP/1.1 -> 200 | req 1-{last_request_chunk}/1 body=1048576 | resp {0}-{0}/2 body=2 | ok",
            last_request_chunk + 1
        )]
    );
}

#[test]
fn chunked_responses_are_followed_through_their_sizes() {
    let mut wire = Wire::new();
    wire.req(GET);
    wire.resp(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    wire.resp(b"5\r\nhello\r\n");
    wire.resp(b"6\r\n world\r\n");
    wire.resp(b"0\r\n\r\n");
    wire.req(GET).resp(OK);
    assert_eq!(
        wire.exchanges(),
        [
            "#0 GET /a HTTP/1.1 host=example.com -> 200 | req 1-1/1 body=0 | resp 2-5/2 body=26 | ok",
            "#1 GET /a HTTP/1.1 host=example.com -> 200 | req 6-6/1 body=0 | resp 7-7/2 body=5 | ok",
        ]
    );
}

#[test]
fn a_large_chunk_keeps_its_framing_through_a_gap() {
    let mut wire = Wire::new();
    wire.req(GET);
    wire.resp(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    // "10000\r\n" + 64 KiB + "\r\n" in one write, 4 KiB and 64 bytes captured.
    let mut data = b"10000\r\n".to_vec();
    data.resize(4096, b'y');
    let mut tail = vec![b'y'; 62];
    tail.extend_from_slice(b"\r\n");
    wire.resp_captured(&data, 7 + 65_536 + 2, &tail);
    wire.resp(b"0\r\n\r\n");
    assert_eq!(
        wire.exchanges(),
        ["#0 GET /a HTTP/1.1 host=example.com -> 200 | req 1-1/1 body=0 | resp 2-4/2 body=65550 | ok"]
    );
}

#[test]
fn a_chunked_body_whose_framing_was_lost_ends_at_the_terminator_in_the_tail() {
    // The client read many chunks at once; the sizes in the middle went uncaptured.
    let mut wire = Wire::new();
    wire.req(GET);
    let mut data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..200 {
        data.extend_from_slice(b"20\r\n0123456789abcdef0123456789abcdef\r\n");
    }
    data.extend_from_slice(b"0\r\nX-Checksum: 1\r\n\r\n");
    let tail = &data[data.len() - 64..];
    wire.resp_captured(&data[..4096], data.len(), tail);
    wire.req(GET).resp(OK);
    let body = data.len() - 47;
    assert_eq!(
        wire.exchanges(),
        [
            format!("#0 GET /a HTTP/1.1 host=example.com -> 200 | req 1-1/1 body=0 | resp 2-2/2 body={body} | ok"),
            "#1 GET /a HTTP/1.1 host=example.com -> 200 | req 3-3/1 body=0 | resp 4-4/2 body=5 | ok".to_string(),
        ]
    );
}

#[test]
fn a_chunked_body_without_a_visible_end_ends_at_the_next_response() {
    let mut wire = Wire::new();
    wire.req(GET).req(GET);
    wire.resp_captured(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123",
        100_000,
        b"",
    );
    wire.resp(b"HTTP/1.1 204 No Content\r\n\r\n");
    wire.req(GET);
    wire.resp_captured(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123",
        100_000,
        b"",
    );
    wire.close();
    assert_eq!(
        wire.exchanges(),
        [
            "#0 GET /a HTTP/1.1 host=example.com -> 200 | req 1-1/1 body=0 | resp 3-3/2 body=99953 | ok",
            "#1 GET /a HTTP/1.1 host=example.com -> 204 | req 2-2/1 body=0 | resp 4-4/2 body=0 | ok",
            "#2 GET /a HTTP/1.1 host=example.com -> 200 | req 5-5/1 body=0 | resp 6--/- body=99953 | closed",
        ]
    );
}

#[test]
fn chunked_request_bodies() {
    let mut wire = Wire::new();
    wire.req(b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    wire.req(b"0\r\n\r\n");
    wire.resp(OK);
    assert_eq!(
        wire.exchanges(),
        ["#0 POST /c HTTP/1.1 -> 200 | req 1-2/1 body=13 | resp 3-3/2 body=5 | ok"]
    );
}

#[test]
fn interim_responses_are_skipped() {
    // curl's 100-continue: head, 100 Continue, body, final response.
    let mut wire = Wire::new();
    wire.req(b"PUT /f HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
    wire.resp(b"HTTP/1.1 100 Continue\r\n\r\n");
    wire.req(b"0123456789");
    wire.resp(b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        wire.exchanges(),
        ["#0 PUT /f HTTP/1.1 -> 201 | req 1-3/1 body=10 | resp 4-4/2 body=0 | ok"]
    );
}

#[test]
fn a_body_refused_after_expect_continue() {
    // The server answers before the body; the client sends the next request instead.
    let mut wire = Wire::new();
    wire.req(b"PUT /f HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
    wire.resp(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    wire.req(GET).resp(OK);
    assert_eq!(
        wire.exchanges(),
        [
            "#0 PUT /f HTTP/1.1 -> 401 | req 1-1/1 body=0 | resp 2-2/2 body=0 | ok",
            "#1 GET /a HTTP/1.1 host=example.com -> 200 | req 3-3/1 body=0 | resp 4-4/2 body=5 | ok",
        ]
    );
    // Or sends it anyway: it is skipped as the body it is.
    let mut wire = Wire::new();
    wire.req(b"PUT /f HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
    wire.resp(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    wire.req(b"0123456789").req(GET).resp(OK);
    assert_eq!(wire.exchanges().len(), 2, "{:?}", wire.lines());
    assert_eq!(wire.conn.stats(), Http1Stats::default());
}

#[test]
fn responses_without_a_body() {
    let mut wire = Wire::new();
    wire.req(b"HEAD /h HTTP/1.1\r\n\r\n");
    wire.resp(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nTransfer-Encoding: chunked\r\n\r\n");
    wire.req(b"DELETE /d HTTP/1.1\r\n\r\n");
    wire.resp(b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
    wire.req(b"GET /n HTTP/1.1\r\nIf-None-Match: \"x\"\r\n\r\n");
    wire.resp(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
    wire.req(GET).resp(OK);
    assert_eq!(
        wire.exchanges(),
        [
            "#0 HEAD /h HTTP/1.1 -> 200 | req 1-1/1 body=0 | resp 2-2/2 body=0 | ok",
            "#1 DELETE /d HTTP/1.1 -> 204 | req 3-3/1 body=0 | resp 4-4/2 body=0 | ok",
            "#2 GET /n HTTP/1.1 -> 304 | req 5-5/1 body=0 | resp 6-6/2 body=0 | ok",
            "#3 GET /a HTTP/1.1 host=example.com -> 200 | req 7-7/1 body=0 | resp 8-8/2 body=5 | ok",
        ]
    );
}

#[test]
fn responses_without_a_length_end_at_close() {
    // HTTP/1.0, as `python -m http.server` answers.
    let mut wire = Wire::new();
    wire.req(b"GET /old HTTP/1.0\r\n\r\n");
    wire.resp(b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n<html>");
    wire.resp(b"</html>");
    assert!(wire.exchanges().is_empty());
    wire.close();
    assert_eq!(
        wire.exchanges(),
        ["#0 GET /old HTTP/1.0 -> 200 | req 1-1/1 body=0 | resp 2-4/2 body=13 | ok"]
    );
    // HTTP/1.1 with Connection: close.
    let mut wire = Wire::new();
    wire.req(GET);
    wire.resp(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc");
    wire.close();
    assert_eq!(
        wire.exchanges(),
        ["#0 GET /a HTTP/1.1 host=example.com -> 200 | req 1-1/1 body=0 | resp 2-3/2 body=3 | ok"]
    );
}

#[test]
fn a_conversation_a_byte_at_a_time() {
    let request = b"POST /p HTTP/1.1\r\nHost: h\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nContent-Length: 4\r\n\r\nbody";
    let response = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
    let mut wire = Wire::new();
    for byte in request {
        wire.req(std::slice::from_ref(byte));
    }
    for byte in response {
        wire.resp(std::slice::from_ref(byte));
    }
    let request_end = request.len() as u64;
    let final_start = request_end + 26;
    assert_eq!(
        wire.exchanges(),
        [format!(
            "#0 POST /p HTTP/1.1 host=h traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 -> 200 \
             | req 1-{request_end}/1 body=4 | resp {final_start}-{}/2 body=12 | ok",
            request_end + response.len() as u64
        )]
    );
}

#[test]
fn many_messages_in_one_chunk() {
    let mut wire = Wire::new();
    let mut requests = Vec::new();
    let mut responses = Vec::new();
    for i in 0..10 {
        requests.extend_from_slice(format!("GET /{i} HTTP/1.1\r\n\r\n").as_bytes());
        responses.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
    wire.req(&requests).resp(&responses);
    assert_eq!(wire.exchanges().len(), 10);
    assert!(wire.exchanges()[9].starts_with("#9 GET /9 HTTP/1.1 -> 200"));
}

#[test]
fn a_ten_megabyte_header_is_given_up_on_and_the_next_request_is_read() {
    let mut wire = Wire::new();
    let mut data = b"GET /huge HTTP/1.1\r\nX-Big: ".to_vec();
    data.resize(4096, b'a');
    // The client writes 10 MB; the server reads it 64 KiB at a time.
    let filler = vec![b'a'; 4096];
    wire.req_captured(&data, 65_536, &filler[..64]);
    for _ in 1..160 {
        wire.req_captured(&filler, 65_536, &filler[..64]);
    }
    wire.resp(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n");
    wire.req(GET).resp(OK);
    assert_eq!(
        wire.lines(),
        ["started #0 GET /a @162/1", "#0 GET /a HTTP/1.1 host=example.com -> 200 | req 162-162/1 body=0 | resp 163-163/2 body=5 | ok"]
    );
    let stats = wire.conn.stats();
    assert_eq!(stats.requests_unparseable, 1);
    assert_eq!(stats.responses_unpaired, 1);
    assert_eq!(stats.bytes_skipped, 160 * 65_536);
}

#[test]
fn a_head_over_the_cap_is_given_up_on() {
    let mut wire = Wire::new();
    wire.req(b"GET /big HTTP/1.1\r\n");
    let field =
        b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    for _ in 0..=MAX_HEAD / field.len() {
        wire.req(field);
    }
    wire.req(b"\r\n");
    wire.resp(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    assert!(wire.lines().is_empty(), "{:?}", wire.lines());
    assert_eq!(wire.conn.stats().requests_unparseable, 1);
}

#[test]
fn garbage_yields_nothing() {
    let mut wire = Wire::new();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut noise = vec![0u8; 100_000];
    for byte in &mut noise {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    for piece in noise.chunks(777) {
        wire.req(piece).resp(piece);
    }
    wire.req(b"GET / HT").close();
    assert!(wire.lines().is_empty(), "{:?}", wire.lines());
}

#[test]
fn a_truncated_request_yields_nothing() {
    let mut wire = Wire::new();
    wire.req(b"GET /trunc HTTP/1.1\r\nHost: x\r\n").close();
    assert!(wire.lines().is_empty());
}

#[test]
fn close_reports_every_waiting_request() {
    let mut wire = Wire::new();
    wire.req(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nPOST /3 HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc");
    wire.resp(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
    wire.close();
    assert_eq!(
        wire.exchanges(),
        [
            "#0 GET /1 HTTP/1.1 -> 200 | req 1-1/1 body=0 | resp 2--/- body=5 | closed",
            "#1 GET /2 HTTP/1.1 -> - | req 1-1/1 body=0 | resp ---/- body=0 | closed",
            "#2 POST /3 HTTP/1.1 -> - | req 1-1/1 body=3 | resp ---/- body=0 | closed",
        ]
    );
    // A complete response to an unfinished request (the server answered
    // early, then closed) is not an error.
    let mut wire = Wire::new();
    wire.req(b"POST /big HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc");
    wire.resp(b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n");
    assert!(wire.exchanges().is_empty());
    wire.close();
    assert_eq!(
        wire.exchanges(),
        ["#0 POST /big HTTP/1.1 -> 413 | req 1-1/1 body=3 | resp 2-2/2 body=0 | ok"]
    );
}

#[test]
fn every_request_started_gets_one_exchange() {
    let mut wire = Wire::new();
    wire.req(b"GET /1 HTTP/1.1\r\n\r\n").resp(OK);
    wire.req(b"GET /2 HTTP/1.1\r\n\r\n")
        .resp(b"garbage\r\n\r\n");
    wire.req(b"GET /3 HTTP/1.1\r\n\r\n");
    wire.close();
    let started: Vec<u64> = wire
        .events
        .iter()
        .filter_map(|event| match event {
            Http1Event::RequestStarted { sequence, .. } => Some(*sequence),
            Http1Event::Exchange(_) => None,
        })
        .collect();
    let exchanged: Vec<u64> = wire.exchange_values().iter().map(|e| e.sequence).collect();
    assert_eq!(started, [0, 1, 2]);
    assert_eq!(exchanged, [0, 1, 2]);
    assert_eq!(
        wire.exchanges()[1],
        "#1 GET /2 HTTP/1.1 -> - | req 3-3/1 body=0 | resp ---/- body=0 | unparseable"
    );
}

#[test]
fn pipelining_is_bounded() {
    let mut wire = Wire::new();
    let mut requests = Vec::new();
    for i in 0..100 {
        requests.extend_from_slice(format!("GET /{i} HTTP/1.1\r\n\r\n").as_bytes());
    }
    wire.req(&requests);
    assert_eq!(wire.lines().len(), 64);
    assert_eq!(wire.conn.stats().requests_dropped, 36);
    wire.close();
    assert_eq!(wire.exchanges().len(), 64);
}

#[test]
fn queued_heads_are_bounded_in_bytes() {
    let mut wire = Wire::new();
    let target = "x".repeat(8000);
    for _ in 0..10 {
        wire.req(format!("GET /{target} HTTP/1.1\r\n\r\n").as_bytes());
    }
    assert_eq!(wire.lines().len(), 8);
    assert_eq!(wire.conn.stats().requests_dropped, 2);
}

#[test]
fn a_connection_picked_up_mid_response() {
    let mut wire = Wire::new();
    // The rest of a response to a request sent before the agent started.
    wire.resp(b"lo world</html>");
    wire.resp(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    wire.req(GET).resp(OK);
    assert_eq!(
        wire.exchanges(),
        ["#0 GET /a HTTP/1.1 host=example.com -> 200 | req 3-3/1 body=0 | resp 4-4/2 body=5 | ok"]
    );
    assert_eq!(wire.conn.stats().responses_unparseable, 1);
}

#[test]
fn a_response_older_than_the_request_is_not_its_response() {
    let mut wire = Wire::new();
    wire.now = 10;
    wire.req(GET);
    // A response stamped before the request (fed late).
    let mut events = Vec::new();
    let chunk = super::Chunk {
        data: OK,
        total_len: OK.len(),
        tail: b"",
        timestamp_ns: 5,
        tid: SERVER_TID,
    };
    wire.conn.feed_response_side(&chunk, &mut events);
    assert!(events.is_empty());
    assert_eq!(wire.conn.stats().responses_unpaired, 1);
    wire.resp(OK);
    assert_eq!(
        wire.exchanges(),
        ["#0 GET /a HTTP/1.1 host=example.com -> 200 | req 11-11/1 body=0 | resp 12-12/2 body=5 | ok"]
    );
}

#[test]
fn a_garbled_response_fails_its_exchange() {
    let mut wire = Wire::new();
    wire.req(GET)
        .resp(b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n");
    wire.req(GET)
        .resp(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    wire.req(GET).resp(OK);
    assert_eq!(
        wire.exchanges(),
        [
            "#0 GET /a HTTP/1.1 host=example.com -> 200 | req 1-1/1 body=0 | resp 2--/- body=0 | unparseable",
            "#1 GET /a HTTP/1.1 host=example.com -> 200 | req 3-3/1 body=0 | resp 4--/- body=0 | unparseable",
            "#2 GET /a HTTP/1.1 host=example.com -> 200 | req 5-5/1 body=0 | resp 6-6/2 body=5 | ok",
        ]
    );
    assert_eq!(wire.conn.stats().responses_unparseable, 2);
}

#[test]
fn a_request_body_with_broken_framing_is_unparseable() {
    let mut wire = Wire::new();
    wire.req(b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nnot hex\r\n");
    wire.resp(OK);
    wire.req(GET).resp(OK);
    assert_eq!(
        wire.exchanges(),
        [
            "#0 POST /c HTTP/1.1 -> 200 | req 1-1/1 body=0 | resp 2-2/2 body=5 | unparseable",
            "#1 GET /a HTTP/1.1 host=example.com -> 200 | req 3-3/1 body=0 | resp 4-4/2 body=5 | ok",
        ]
    );
    // A request whose body length cannot be known is not reported.
    let mut wire = Wire::new();
    wire.req(b"POST /c HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n12");
    wire.resp(OK);
    wire.req(GET).resp(OK);
    assert_eq!(wire.exchanges().len(), 1);
    assert_eq!(wire.conn.stats().requests_unparseable, 1);
}

#[test]
fn switching_protocols_stops_parsing() {
    let mut wire = Wire::new();
    wire.req(b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    wire.resp(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi");
    wire.req(b"\x81\x82abcdGET / HTTP/1.1\r\n\r\n");
    wire.req(GET).resp(OK);
    wire.close();
    assert_eq!(
        wire.lines(),
        [
            "started #0 GET /ws @1/1",
            "#0 GET /ws HTTP/1.1 -> 101 | req 1-1/1 body=0 | resp 2-2/2 body=0 | ok"
        ]
    );
    // CONNECT, with the client's TLS bytes fed before the proxy's answer.
    let mut wire = Wire::new();
    wire.req(b"CONNECT db:443 HTTP/1.1\r\nHost: db:443\r\n\r\n");
    wire.req(b"\x16\x03\x01\x00\xa5");
    wire.resp(b"HTTP/1.1 200 Connection established\r\n\r\n");
    wire.resp(b"\x16\x03\x03");
    wire.close();
    assert_eq!(
        wire.exchanges(),
        ["#0 CONNECT db:443 HTTP/1.1 host=db:443 -> 200 | req 1-1/1 body=0 | resp 3-3/2 body=0 | ok"]
    );
}

#[test]
fn threads_are_those_of_the_first_and_last_bytes() {
    let mut wire = Wire::new();
    let mut events = Vec::new();
    let chunk = |data: &'static [u8], ns, tid| super::Chunk {
        data,
        total_len: data.len(),
        tail: b"",
        timestamp_ns: ns,
        tid,
    };
    wire.conn.feed_request_side(
        &chunk(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n", 1, 7),
        &mut events,
    );
    wire.conn
        .feed_request_side(&chunk(b"ab", 2, 8), &mut events);
    wire.conn.feed_response_side(
        &chunk(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 3, 9),
        &mut events,
    );
    wire.conn
        .feed_response_side(&chunk(b"ok", 4, 10), &mut events);
    wire.events = events;
    assert_eq!(
        wire.exchanges(),
        ["#0 POST / HTTP/1.1 -> 200 | req 1-2/7 body=2 | resp 3-4/10 body=2 | ok"]
    );
    let _ = CLIENT_TID;
}

#[test]
fn a_connection_is_reusable_after_close() {
    let mut wire = Wire::new();
    wire.req(GET).close();
    wire.req(GET).resp(OK);
    assert_eq!(
        wire.exchanges(),
        [
            "#0 GET /a HTTP/1.1 host=example.com -> - | req 1-1/1 body=0 | resp ---/- body=0 | closed",
            "#1 GET /a HTTP/1.1 host=example.com -> 200 | req 3-3/1 body=0 | resp 4-4/2 body=5 | ok",
        ]
    );
}

#[test]
fn huge_lengths_do_not_overflow() {
    let mut wire = Wire::new();
    wire.req(b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    for _ in 0..3 {
        wire.req_captured(b"x", usize::MAX, b"y");
        wire.resp_captured(b"z", usize::MAX, b"");
    }
    wire.resp(OK);
    wire.req(b"GET / HTTP/1.1\r\n\r\n");
    wire.req_captured(
        b"GET / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
        usize::MAX,
        b"",
    );
    wire.req_captured(b"x", usize::MAX, b"");
    wire.close();
    assert_eq!(wire.conn.stats().bytes_skipped, u64::MAX);
}
