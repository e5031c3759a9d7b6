//! A fixed-rate (open-loop) HTTP/1.1 load: request `i` is due at
//! `start + i / rate`, whether or not earlier ones have been answered, and its
//! latency runs from that due time to the last byte of the response — so a
//! stall counts against every request it delays (no coordinated omission).
//! wrk cannot hold a rate and Debian has no wrk2.
//!
//! Also a one-shot `GET` for readiness checks and /metrics.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    sync::atomic::{AtomicU64, Ordering},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use super::stats;

/// How long one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What a fixed-rate run measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Requests due during the run (all were sent).
    pub sent: u64,
    /// 2xx responses.
    pub ok: u64,
    /// Failed exchanges and non-2xx responses.
    pub errors: u64,
    /// From the first due time to the last response.
    pub elapsed: Duration,
    /// Latency of every 2xx response, in nanoseconds, ascending.
    pub latencies_ns: Vec<u64>,
}

impl Outcome {
    pub fn achieved_rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile(&self, p: f64) -> Duration {
        Duration::from_nanos(stats::percentile(&self.latencies_ns, p).unwrap_or(0))
    }
}

/// Sends `GET path` to `addr` at `rate` requests a second for `duration`,
/// from `clients` threads (each request takes the next free one; a connection
/// is reused while the server keeps it open).
pub fn run(addr: SocketAddr, path: &str, rate: u32, duration: Duration, clients: usize) -> Outcome {
    let total = (u128::from(rate) * duration.as_millis() / 1000) as u64;
    let interval_ns = 1e9 / f64::from(rate.max(1));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: sonde-bench\r\nAccept: */*\r\n\r\n"
    );
    let next = AtomicU64::new(0);
    let start = Instant::now();
    let per_client: Vec<(u64, u64, Vec<u64>, Instant)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..clients.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut conn: Option<TcpStream> = None;
                    let mut buffer = Vec::with_capacity(4096);
                    let (mut ok, mut errors, mut latencies) = (0, 0, Vec::new());
                    let mut last = start;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let due = start + Duration::from_nanos((i as f64 * interval_ns) as u64);
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            thread::sleep(wait);
                        }
                        let result = exchange(&mut conn, addr, request.as_bytes(), &mut buffer);
                        last = Instant::now();
                        match result {
                            Ok(status) if (200..300).contains(&status) => {
                                ok += 1;
                                latencies.push(last.duration_since(due).as_nanos() as u64);
                            }
                            _ => errors += 1,
                        }
                    }
                    (ok, errors, latencies, last)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a load thread panicked"))
            .collect()
    });
    let mut outcome = Outcome {
        sent: total,
        ..Outcome::default()
    };
    let mut end = start;
    for (ok, errors, latencies, last) in per_client {
        outcome.ok += ok;
        outcome.errors += errors;
        outcome.latencies_ns.extend(latencies);
        end = end.max(last);
    }
    outcome.latencies_ns.sort_unstable();
    outcome.elapsed = end.duration_since(start);
    outcome
}

/// One request on `conn` (opened, or reopened once when a kept-alive
/// connection turns out closed); returns the response status. The connection
/// is dropped when the server closes it or says it will.
fn exchange(
    conn: &mut Option<TcpStream>,
    addr: SocketAddr,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<u16> {
    let reused = conn.is_some();
    match exchange_once(conn, addr, request, buffer) {
        Err(_) if reused => {
            *conn = None;
            exchange_once(conn, addr, request, buffer)
        }
        result => result,
    }
}

fn exchange_once(
    conn: &mut Option<TcpStream>,
    addr: SocketAddr,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> Result<u16> {
    let stream = match conn {
        Some(stream) => stream,
        None => conn.insert(connect(addr)?),
    };
    let result = send_and_read(stream, request, buffer);
    match result {
        Ok(head) if !head.close => Ok(head.status),
        Ok(head) => {
            *conn = None;
            Ok(head.status)
        }
        Err(error) => {
            *conn = None;
            Err(error)
        }
    }
}

fn connect(addr: SocketAddr) -> Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    Ok(stream)
}

/// Writes `request` and reads one whole response (head and body).
fn send_and_read(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> Result<Head> {
    stream.write_all(request)?;
    buffer.clear();
    let mut chunk = [0u8; 4096];
    let (head, head_len) = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            bail!("connection closed before a response");
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            let head = parse_head(&buffer[..end]).context("malformed response head")?;
            break (head, end + 4);
        }
        if buffer.len() > 64 * 1024 {
            bail!("response head over 64 KiB");
        }
    };
    match head.content_length {
        Some(length) => {
            let mut have = buffer.len() - head_len;
            while have < length {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    bail!("connection closed inside a body");
                }
                have += n;
            }
            Ok(head)
        }
        None if head.chunked => bail!("chunked responses are not supported"),
        // Delimited by the end of the connection.
        None => {
            while stream.read(&mut chunk)? > 0 {}
            Ok(Head {
                close: true,
                ..head
            })
        }
    }
}

/// What the client needs from a response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub content_length: Option<usize>,
    pub chunked: bool,
    /// The server closes the connection after this response.
    pub close: bool,
}

/// Parses a response head (status line and header lines, without the blank
/// line that ends it).
pub fn parse_head(head: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut status_line = lines.next()?.splitn(3, ' ');
    let version = status_line.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let status = status_line.next()?.parse().ok()?;
    let mut parsed = Head {
        status,
        content_length: None,
        chunked: false,
        close: version == "HTTP/1.0",
    };
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            parsed.content_length = Some(value.parse().ok()?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            parsed.chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                parsed.close = true;
            } else if value.contains("keep-alive") {
                parsed.close = false;
            }
        }
    }
    Some(parsed)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `GET path` over HTTP/1.0 (so the body ends with the connection): the
/// status and the body.
pub fn get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let end = find(&response, b"\r\n\r\n").context("no complete response head")?;
    let head = parse_head(&response[..end]).context("malformed response head")?;
    let body = String::from_utf8_lossy(&response[end + 4..]).into_owned();
    Ok((head.status, body))
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    #[test]
    fn reads_response_heads() {
        let head = parse_head(
            b"HTTP/1.1 200 OK\r\nServer: gunicorn\r\nConnection: close\r\nContent-Length: 6",
        )
        .unwrap();
        assert_eq!(
            head,
            Head {
                status: 200,
                content_length: Some(6),
                chunked: false,
                close: true
            }
        );
        let head = parse_head(b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked").unwrap();
        assert_eq!((head.status, head.chunked, head.close), (404, true, false));
        let head = parse_head(b"HTTP/1.0 200 OK\r\nConnection: keep-alive").unwrap();
        assert!(!head.close);
        assert!(parse_head(b"HTTP/1.0 200 OK").unwrap().close);
        assert_eq!(parse_head(b"SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_head(b"HTTP/1.1 abc OK"), None);
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nno colon"), None);
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x"), None);
    }

    /// A keep-alive server answering `responses` requests on each connection
    /// (then closing it), for as long as the test runs.
    fn serve(responses_per_connection: usize) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                thread::spawn(move || {
                    let mut buffer = [0u8; 4096];
                    for answered in 1..=responses_per_connection {
                        let mut request = Vec::new();
                        while find(&request, b"\r\n\r\n").is_none() {
                            match stream.read(&mut buffer) {
                                Ok(0) | Err(_) => return,
                                Ok(n) => request.extend_from_slice(&buffer[..n]),
                            }
                        }
                        let close = if answered == responses_per_connection {
                            "Connection: close\r\n"
                        } else {
                            ""
                        };
                        let response =
                            format!("HTTP/1.1 200 OK\r\n{close}Content-Length: 6\r\n\r\nhello\n");
                        if stream.write_all(response.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    #[test]
    fn holds_the_rate_over_closing_and_kept_alive_connections() {
        for per_connection in [1, 5] {
            let addr = serve(per_connection);
            let outcome = run(addr, "/hello", 200, Duration::from_millis(500), 4);
            assert_eq!(outcome.sent, 100);
            assert_eq!(outcome.ok, 100, "{outcome:?}");
            assert_eq!(outcome.errors, 0);
            assert_eq!(outcome.latencies_ns.len(), 100);
            assert!(outcome.latencies_ns.windows(2).all(|w| w[0] <= w[1]));
            // 100 requests due over 0.5 s: the run cannot end much earlier.
            assert!(outcome.elapsed >= Duration::from_millis(490), "{outcome:?}");
            assert!(outcome.percentile(50.0) > Duration::ZERO);
        }
    }

    #[test]
    fn get_returns_status_and_body() {
        let addr = serve(1);
        let (status, body) = get(addr, "/", Duration::from_secs(5)).unwrap();
        assert_eq!((status, body.as_str()), (200, "hello\n"));
    }
}
