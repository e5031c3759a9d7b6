//! How a message's body is delimited, from its head (RFC 9112 §6.3).
//!
//! A response's framing also depends on its request (HEAD, CONNECT), which
//! is why the caller passes the request method it paired the response with.

use super::head::{BodyHeaders, TransferEncoding};

/// How the body after a head ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body: the message ends with its head.
    None,
    /// `Content-Length` bytes (never 0: that is `None`).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes.
    UntilClose,
    /// An interim (1xx) response: the final response is still to come.
    Interim,
    /// The message ends with its head, and the connection stops speaking
    /// HTTP/1.x (101 Switching Protocols, a 2xx to CONNECT).
    Tunnel,
    /// The length cannot be known (RFC 9112 §6.3 items 4 and 5): the reader
    /// cannot find the next message and must resynchronise.
    Invalid,
}

/// A request's body: chunked if chunked is its last transfer coding,
/// `Content-Length` bytes otherwise, none without either.
pub(super) fn request(body: &BodyHeaders) -> Framing {
    match (body.transfer_encoding, body.content_length) {
        (Some(TransferEncoding::Chunked), _) => Framing::Chunked,
        (Some(TransferEncoding::Other), _) => Framing::Invalid,
        (None, Some(length)) => by_length(length),
        (None, None) => Framing::None,
    }
}

/// A response's body, given the method of the request it answers (None
/// when that request is unknown: assumed to be neither HEAD nor CONNECT).
///
/// A response without `Content-Length` or chunked coding is read until the
/// connection closes, whatever the versions and `Connection` fields say:
/// that is what RFC 9112 §6.3 item 8 prescribes and what clients do, and it
/// covers HTTP/1.0 responses and `Connection: close` ones.
pub(super) fn response(status: u16, body: &BodyHeaders, method: Option<&str>) -> Framing {
    match status {
        101 => return Framing::Tunnel,
        100..=199 => return Framing::Interim,
        200..=299 if method == Some("CONNECT") => return Framing::Tunnel,
        204 | 304 => return Framing::None,
        _ if method == Some("HEAD") => return Framing::None,
        _ => {}
    }
    match (body.transfer_encoding, body.content_length) {
        (Some(TransferEncoding::Chunked), _) => Framing::Chunked,
        (Some(TransferEncoding::Other), _) => Framing::UntilClose,
        (None, Some(length)) => by_length(length),
        (None, None) => Framing::UntilClose,
    }
}

fn by_length(length: Result<u64, ()>) -> Framing {
    match length {
        Ok(0) => Framing::None,
        Ok(length) => Framing::Length(length),
        Err(()) => Framing::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(
        content_length: Option<Result<u64, ()>>,
        transfer_encoding: Option<TransferEncoding>,
    ) -> BodyHeaders {
        BodyHeaders {
            content_length,
            transfer_encoding,
            expect_continue: false,
        }
    }

    #[test]
    fn requests() {
        assert_eq!(request(&headers(None, None)), Framing::None);
        assert_eq!(request(&headers(Some(Ok(0)), None)), Framing::None);
        assert_eq!(request(&headers(Some(Ok(7)), None)), Framing::Length(7));
        assert_eq!(request(&headers(Some(Err(())), None)), Framing::Invalid);
        // Transfer-Encoding overrides Content-Length.
        assert_eq!(
            request(&headers(Some(Ok(7)), Some(TransferEncoding::Chunked))),
            Framing::Chunked
        );
        assert_eq!(
            request(&headers(None, Some(TransferEncoding::Other))),
            Framing::Invalid
        );
    }

    #[test]
    fn responses() {
        let length = headers(Some(Ok(5)), None);
        let get = Some("GET");
        assert_eq!(response(200, &length, get), Framing::Length(5));
        assert_eq!(response(200, &length, None), Framing::Length(5));
        assert_eq!(response(200, &length, Some("HEAD")), Framing::None);
        assert_eq!(response(204, &length, get), Framing::None);
        assert_eq!(response(304, &length, get), Framing::None);
        assert_eq!(response(100, &length, get), Framing::Interim);
        assert_eq!(response(103, &length, get), Framing::Interim);
        assert_eq!(response(101, &length, get), Framing::Tunnel);
        assert_eq!(response(200, &length, Some("CONNECT")), Framing::Tunnel);
        assert_eq!(response(407, &length, Some("CONNECT")), Framing::Length(5));
        assert_eq!(
            response(200, &headers(None, None), get),
            Framing::UntilClose
        );
        assert_eq!(
            response(
                200,
                &headers(Some(Ok(5)), Some(TransferEncoding::Chunked)),
                get
            ),
            Framing::Chunked
        );
        assert_eq!(
            response(200, &headers(None, Some(TransferEncoding::Other)), get),
            Framing::UntilClose
        );
        assert_eq!(
            response(200, &headers(Some(Err(())), None), get),
            Framing::Invalid
        );
    }
}
