//! What a message head says: httparse reads the start line and the header
//! fields; this file keeps the few fields sonde uses and what the body's
//! framing depends on.

use std::borrow::Cow;

use httparse::{ParserConfig, Status, EMPTY_HEADER};

use super::types::RequestHead;
use crate::events::{text_memo::header_value_text, Text};

/// Header fields a head may carry; one more is an unparseable head. Real
/// requests carry a few dozen at most.
const MAX_HEADERS: usize = 100;

/// Which direction a reader parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Client to server.
    Request,
    /// Server to client.
    Response,
}

/// `Transfer-Encoding`, reduced to what framing needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TransferEncoding {
    /// `chunked` is the final coding.
    Chunked,
    /// Codings present, `chunked` not last.
    Other,
}

/// The header fields the body's framing depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct BodyHeaders {
    /// `Content-Length`, `Err` when present but not one valid number.
    pub content_length: Option<Result<u64, ()>>,
    pub transfer_encoding: Option<TransferEncoding>,
    /// `Expect: 100-continue`: the client may hold the body back until an
    /// interim response, or never send it if the final response comes first.
    pub expect_continue: bool,
}

/// A complete head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Head {
    Request {
        head: RequestHead,
        body: BodyHeaders,
    },
    Response {
        status: u16,
        body: BodyHeaders,
    },
}

/// The outcome of reading a head from the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Parsed {
    /// The head is complete; it took the buffer's first `len` bytes.
    Complete { head: Head, len: usize },
    /// Valid so far; more bytes are needed.
    Partial,
    /// Not an HTTP/1.x head.
    Invalid,
}

/// Reads a head of `kind` from the start of `buf`.
///
/// Header lines are read leniently, as hyper's client does: an observer
/// must follow whatever the peers accepted, and a malformed field sonde
/// does not use is no reason to lose the exchange. The start line stays
/// strict: it is also what resynchronisation looks for.
pub(super) fn parse(kind: Kind, buf: &[u8]) -> Parsed {
    let mut config = ParserConfig::default();
    config
        .ignore_invalid_headers_in_requests(true)
        .ignore_invalid_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true);
    let mut headers = [EMPTY_HEADER; MAX_HEADERS];
    match kind {
        Kind::Request => {
            let mut request = httparse::Request::new(&mut headers);
            match config.parse_request(&mut request, buf) {
                Ok(Status::Complete(len)) => {
                    let head = RequestHead {
                        method: method_text(request.method.unwrap_or_default()),
                        target: request.path.unwrap_or_default().to_string(),
                        version: request.version.unwrap_or(1),
                        host: header_text(request.headers, "host")
                            .map(|host| header_value_text(&host)),
                        traceparent: header_text(request.headers, "traceparent")
                            .map(Cow::into_owned),
                    };
                    let body = body_headers(request.headers);
                    Parsed::Complete {
                        head: Head::Request { head, body },
                        len,
                    }
                }
                Ok(Status::Partial) => Parsed::Partial,
                Err(_) => Parsed::Invalid,
            }
        }
        Kind::Response => {
            let mut response = httparse::Response::new(&mut headers);
            match config.parse_response(&mut response, buf) {
                Ok(Status::Complete(len)) => Parsed::Complete {
                    head: Head::Response {
                        status: response.code.unwrap_or_default(),
                        body: body_headers(response.headers),
                    },
                    len,
                },
                Ok(Status::Partial) => Parsed::Partial,
                Err(_) => Parsed::Invalid,
            }
        }
    }
}

/// A request method as text: static for the methods of RFC 9110 (and
/// PATCH), copied for any other.
fn method_text(method: &str) -> Text {
    const COMMON: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    match COMMON.iter().find(|common| **common == method) {
        Some(common) => Text::from(*common),
        None => Text::copied(method),
    }
}

/// The first value of header `name` (lowercase), as text without the
/// whitespace around it: borrowed unless it had to be made valid UTF-8.
fn header_text<'a>(headers: &[httparse::Header<'a>], name: &str) -> Option<Cow<'a, str>> {
    let value = headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case(name))?
        .value;
    Some(match String::from_utf8_lossy(value) {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    })
}

/// `Content-Length`, `Transfer-Encoding` and `Expect`, per RFC 9112 §6 and
/// RFC 9110 §10.1.1. Repeated fields are combined as the lists they are.
fn body_headers(headers: &[httparse::Header<'_>]) -> BodyHeaders {
    let mut body = BodyHeaders::default();
    for header in headers {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            body.content_length = Some(merge_content_length(body.content_length, header.value));
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // The last coding of the last field is the one that frames.
            let last = header
                .value
                .split(|&b| b == b',')
                .map(<[u8]>::trim_ascii)
                .rfind(|coding| !coding.is_empty());
            if let Some(last) = last {
                body.transfer_encoding = Some(if last.eq_ignore_ascii_case(b"chunked") {
                    TransferEncoding::Chunked
                } else {
                    TransferEncoding::Other
                });
            }
        } else if name.eq_ignore_ascii_case("expect") {
            body.expect_continue |= header
                .value
                .trim_ascii()
                .eq_ignore_ascii_case(b"100-continue");
        }
    }
    body
}

/// Combines a `Content-Length` field value with the ones before it: a list
/// of identical numbers is that number; anything else is invalid.
fn merge_content_length(before: Option<Result<u64, ()>>, value: &[u8]) -> Result<u64, ()> {
    let mut length = before.transpose()?;
    for item in value.split(|&b| b == b',') {
        let item = item.trim_ascii();
        if item.is_empty() || item.len() > 19 || !item.iter().all(u8::is_ascii_digit) {
            return Err(());
        }
        let value = item
            .iter()
            .fold(0u64, |acc, &digit| acc * 10 + u64::from(digit - b'0'));
        match length {
            Some(previous) if previous != value => return Err(()),
            _ => length = Some(value),
        }
    }
    length.ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(buf: &[u8]) -> (RequestHead, BodyHeaders, usize) {
        match parse(Kind::Request, buf) {
            Parsed::Complete {
                head: Head::Request { head, body },
                len,
            } => (head, body, len),
            other => panic!("{other:?}"),
        }
    }

    fn response(buf: &[u8]) -> (u16, BodyHeaders) {
        match parse(Kind::Response, buf) {
            Parsed::Complete {
                head: Head::Response { status, body },
                ..
            } => (status, body),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn request_fields_are_read_case_insensitively() {
        let buf = b"POST /a?b=1 HTTP/1.0\r\nhOsT: example.com \r\nTRACEPARENT: 00-ab-cd-01\r\n\
            Content-Length: 12\r\nexpect: 100-Continue\r\n\r\nbody";
        let (head, body, len) = request(buf);
        assert_eq!(head.method, "POST");
        assert_eq!(head.target, "/a?b=1");
        assert_eq!(head.version, 0);
        assert_eq!(head.host.as_deref(), Some("example.com"));
        assert_eq!(head.traceparent.as_deref(), Some("00-ab-cd-01"));
        assert_eq!(body.content_length, Some(Ok(12)));
        assert!(body.expect_continue);
        assert_eq!(body.transfer_encoding, None);
        assert_eq!(len, buf.len() - 4);
    }

    #[test]
    fn partial_and_invalid_heads() {
        assert_eq!(
            parse(Kind::Request, b"GET / HTTP/1.1\r\nHost:"),
            Parsed::Partial
        );
        assert_eq!(parse(Kind::Request, b"G"), Parsed::Partial);
        assert_eq!(parse(Kind::Request, b"\x16\x03\x01\x02"), Parsed::Invalid);
        assert_eq!(
            parse(Kind::Request, b"GET / HTTP/2.0\r\n\r\n"),
            Parsed::Invalid
        );
        assert_eq!(parse(Kind::Response, b"HTTP/1.1 20"), Parsed::Partial);
        assert_eq!(
            parse(Kind::Response, b"HTTP/1.1 OK\r\n\r\n"),
            Parsed::Invalid
        );
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "a: b\r\n".repeat(MAX_HEADERS + 1)
        );
        assert_eq!(parse(Kind::Request, many.as_bytes()), Parsed::Invalid);
    }

    #[test]
    fn header_lines_are_read_leniently() {
        let (status, body) = response(
            b"HTTP/1.1  200 OK\r\nContent-Length : 5\r\nX-Folded: a\r\n b\r\nBad\x01Name: 1\r\n\r\n",
        );
        assert_eq!(status, 200);
        assert_eq!(body.content_length, Some(Ok(5)));
        let (head, body, _) =
            request(b"GET / HTTP/1.1\r\nBad\x01Name: 1\r\nHost: h\r\nContent-Length: 2\r\n\r\n");
        assert_eq!(head.host.as_deref(), Some("h"));
        assert_eq!(body.content_length, Some(Ok(2)));
    }

    #[test]
    fn transfer_encoding_uses_the_last_coding() {
        let (_, body) = response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!(body.transfer_encoding, Some(TransferEncoding::Chunked));
        let (_, body) = response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
        );
        assert_eq!(body.transfer_encoding, Some(TransferEncoding::Other));
    }

    #[test]
    fn content_length_lists_must_agree() {
        let length = |fields: &[&str]| {
            let mut buf = String::from("HTTP/1.1 200 OK\r\n");
            for field in fields {
                buf.push_str(&format!("Content-Length: {field}\r\n"));
            }
            buf.push_str("\r\n");
            response(buf.as_bytes()).1.content_length
        };
        assert_eq!(length(&["5"]), Some(Ok(5)));
        assert_eq!(length(&["5, 5"]), Some(Ok(5)));
        assert_eq!(length(&["5", "5"]), Some(Ok(5)));
        assert_eq!(length(&["5", "6"]), Some(Err(())));
        assert_eq!(length(&["-1"]), Some(Err(())));
        assert_eq!(length(&[""]), Some(Err(())));
        assert_eq!(length(&["99999999999999999999"]), Some(Err(())));
        assert_eq!(length(&["1e3"]), Some(Err(())));
        assert_eq!(length(&[]), None);
    }
}
