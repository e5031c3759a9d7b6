//! A raw HTTP/1.1 client over TCP or a Unix-domain stream socket (keep-alive or
//! one request per connection; Content-Length, chunked and close-delimited
//! bodies), and a driver that sends a known mix of requests and records what the
//! server answered.
//!
//! Every request carries a unique [`REQUEST_ID_HEADER`], which the test servers
//! write to their access logs, so that the client's record of a request, the
//! server's log line and (through the connection's port and order) the agent's
//! span can be matched one to one.

use std::{
    collections::BTreeMap,
    fmt,
    io::{self, Read, Write},
    net::{Shutdown, SocketAddr, TcpStream},
    os::unix::net::UnixStream,
    path::PathBuf,
    sync::atomic::{AtomicU64, Ordering},
    thread,
    time::{Duration, Instant, SystemTime},
};

/// The header that numbers each request (see [`next_request_id`]).
pub const REQUEST_ID_HEADER: &str = "X-Sonde-Request";

/// How long one read or write may block before the exchange fails.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Size of the body [`standard_mix`] POSTs to /upload.
pub const UPLOAD_BYTES: usize = 1 << 20;

/// A unique number for a request, within this test process.
pub fn next_request_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn next_connection_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Where a server listens: a TCP address, or a Unix-domain socket file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Endpoint {
    /// The `Host` header to send: the address, or `localhost` for a socket
    /// file (as `curl --unix-socket` does).
    pub fn host(&self) -> String {
        match self {
            Endpoint::Tcp(addr) => addr.to_string(),
            Endpoint::Unix(_) => "localhost".into(),
        }
    }
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Endpoint {
        Endpoint::Tcp(addr)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(addr) => write!(f, "{addr}"),
            Endpoint::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// A connected stream of either family.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn connect(endpoint: &Endpoint) -> io::Result<Stream> {
        match endpoint {
            Endpoint::Tcp(addr) => {
                let stream = TcpStream::connect_timeout(addr, IO_TIMEOUT)?;
                stream.set_nodelay(true)?;
                Ok(Stream::Tcp(stream))
            }
            Endpoint::Unix(path) => Ok(Stream::Unix(UnixStream::connect(path)?)),
        }
    }

    fn set_timeouts(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
            Stream::Unix(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
        }
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            Stream::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    /// The local port; 0 on a Unix socket, which has none.
    fn local_port(&self) -> io::Result<u16> {
        match self {
            Stream::Tcp(s) => Ok(s.local_addr()?.port()),
            Stream::Unix(_) => Ok(0),
        }
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(how),
            Stream::Unix(s) => s.shutdown(how),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

/// (`http.route`, `http.request.method`, `http.response.status_code`): the key
/// every count is compared by.
pub type RouteKey = (String, String, u16);

/// A request to send, with the route template the agent should report for it
/// and the status the test app answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Path only; the query string is kept apart in `query`.
    pub path: String,
    pub query: Option<String>,
    /// The expected `http.route`.
    pub route: String,
    pub expect_status: u16,
    /// Bytes of body to send (with Content-Length); 0 sends none.
    pub body: usize,
    /// An `application/x-www-form-urlencoded` body, sent instead of `body`.
    pub form: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn get(path: &str, route: &str, expect_status: u16) -> Request {
        Request {
            method: "GET".into(),
            path: path.into(),
            query: None,
            route: route.into(),
            expect_status,
            body: 0,
            form: None,
            headers: Vec::new(),
        }
    }

    pub fn post(path: &str, route: &str, expect_status: u16, body: usize) -> Request {
        Request {
            method: "POST".into(),
            body,
            ..Request::get(path, route, expect_status)
        }
    }

    /// A POST of the form `form` (already encoded, e.g. `email=a%40b.invalid`).
    pub fn post_form(path: &str, route: &str, expect_status: u16, form: &str) -> Request {
        Request {
            method: "POST".into(),
            form: Some(form.into()),
            ..Request::get(path, route, expect_status)
        }
    }

    pub fn with_query(mut self, query: &str) -> Request {
        self.query = Some(query.into());
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The request target: the path, then `?query` if there is one.
    pub fn target(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }

    pub fn key(&self) -> RouteKey {
        (self.route.clone(), self.method.clone(), self.expect_status)
    }
}

/// One request and its response, as the client saw them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The value of [`REQUEST_ID_HEADER`].
    pub id: u64,
    pub request: Request,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client's port: the server span's `network.peer.port` (0 on a Unix
    /// socket, which has no port).
    pub local_port: u16,
    /// Which connection (numbered in this process) carried it.
    pub connection: u64,
    /// Its place on that connection, from 0.
    pub sequence: u32,
    /// Wall-clock time just before the first byte was written.
    pub sent_at: SystemTime,
    /// From the first byte written to the last byte read.
    pub latency: Duration,
}

impl Exchange {
    /// The key the agent should count this exchange under: the expected route,
    /// the method, and the status the server really answered.
    pub fn key(&self) -> RouteKey {
        (
            self.request.route.clone(),
            self.request.method.clone(),
            self.status,
        )
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A client connection. `server_keeps_alive` says whether the server may keep
/// it open between requests: uwsgi's `--http-socket` closes after each response
/// without saying so, so the client cannot always tell from the response.
#[derive(Debug)]
pub struct Conn {
    stream: Stream,
    endpoint: Endpoint,
    local_port: u16,
    id: u64,
    sequence: u32,
    buf: Vec<u8>,
    open: bool,
    server_keeps_alive: bool,
}

impl Conn {
    /// Connects to `endpoint`: a `SocketAddr`, or an [`Endpoint::Unix`] path.
    pub fn open(endpoint: impl Into<Endpoint>, server_keeps_alive: bool) -> io::Result<Conn> {
        let endpoint = endpoint.into();
        let stream = Stream::connect(&endpoint)?;
        stream.set_timeouts(Some(IO_TIMEOUT))?;
        let local_port = stream.local_port()?;
        Ok(Conn {
            stream,
            endpoint,
            local_port,
            id: next_connection_id(),
            sequence: 0,
            buf: Vec::new(),
            open: true,
            server_keeps_alive,
        })
    }

    /// The client's (ephemeral) port; 0 on a Unix socket.
    pub fn local_port(&self) -> u16 {
        self.local_port
    }

    /// Whether another request may be sent on this connection.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Sends `request` and reads the whole response. With `keep_alive` the
    /// request asks to keep the connection open (`Connection: keep-alive`),
    /// otherwise it says `Connection: close`.
    pub fn exchange(&mut self, request: &Request, keep_alive: bool) -> io::Result<Exchange> {
        if !self.open {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the connection is closed (or the server said it would close it)",
            ));
        }
        let id = next_request_id();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: sonde-tests\r\nAccept: */*\r\n{REQUEST_ID_HEADER}: {id}\r\nConnection: {}\r\n",
            request.method,
            request.target(),
            self.endpoint.host(),
            if keep_alive { "keep-alive" } else { "close" },
        );
        for (name, value) in &request.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(form) = &request.form {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                form.len()
            ));
        } else if request.body > 0 || request.method == "POST" {
            head.push_str(&format!(
                "Content-Type: application/octet-stream\r\nContent-Length: {}\r\n",
                request.body
            ));
        }
        head.push_str("\r\n");

        let sent_at = SystemTime::now();
        let started = Instant::now();
        self.stream.write_all(head.as_bytes())?;
        if let Some(form) = &request.form {
            self.stream.write_all(form.as_bytes())?;
        }
        let chunk = [b'x'; 64 * 1024];
        let mut left = if request.form.is_some() {
            0
        } else {
            request.body
        };
        while left > 0 {
            let n = left.min(chunk.len());
            self.stream.write_all(&chunk[..n])?;
            left -= n;
        }
        let response = self.read_response()?;
        let latency = started.elapsed();

        let says_close = response
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let old_version = response.version == "HTTP/1.0"
            && !response
                .header("connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("keep-alive"));
        if !keep_alive
            || !self.server_keeps_alive
            || says_close
            || old_version
            || response.until_close
        {
            self.open = false;
        }
        let exchange = Exchange {
            id,
            request: request.clone(),
            status: response.status,
            response_headers: response.headers,
            body: response.body,
            local_port: self.local_port,
            connection: self.id,
            sequence: self.sequence,
            sent_at,
            latency,
        };
        self.sequence += 1;
        Ok(exchange)
    }

    /// Writes raw bytes (for garbage).
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Closes the writing half, as a client that sent a truncated request does.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    /// Whatever the server sends until it closes, errors or `timeout` passes.
    pub fn drain(&mut self, timeout: Duration) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        let deadline = Instant::now() + timeout;
        let mut tmp = [0u8; 16 * 1024];
        while Instant::now() < deadline {
            let wait = deadline.saturating_duration_since(Instant::now());
            if self
                .stream
                .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
                .is_err()
            {
                break;
            }
            match self.stream.read(&mut tmp) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&tmp[..n]),
            }
        }
        self.open = false;
        out
    }

    /// Reads more bytes into the buffer; an error at end of stream.
    fn fill(&mut self) -> io::Result<()> {
        let mut tmp = [0u8; 64 * 1024];
        let n = self.stream.read(&mut tmp)?;
        if n == 0 {
            self.open = false;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the server closed the connection ({} bytes of an unfinished response buffered)",
                    self.buf.len()
                ),
            ));
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(())
    }

    /// The next `\r\n`-terminated line, without the terminator.
    fn line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n") {
                let line = self.buf[..end].to_vec();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            self.fill()?;
        }
    }

    fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    fn read_response(&mut self) -> io::Result<RawResponse> {
        loop {
            let head = loop {
                if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                    let head = self.buf[..end].to_vec();
                    self.buf.drain(..end + 4);
                    break head;
                }
                self.fill()?;
            };
            let mut response = parse_head(&head)?;
            if (100..200).contains(&response.status) {
                continue; // 100 Continue and friends: the real response follows
            }
            let length = response
                .header("content-length")
                .map(|v| {
                    v.trim()
                        .parse::<usize>()
                        .map_err(|e| invalid(format!("Content-Length {v:?}: {e}")))
                })
                .transpose()?;
            let chunked = response
                .header("transfer-encoding")
                .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
            if response.status == 204 || response.status == 304 {
                // No body.
            } else if chunked {
                response.body = self.read_chunked()?;
            } else if let Some(length) = length {
                response.body = self.take(length)?;
            } else {
                response.until_close = true;
                loop {
                    match self.fill() {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                        Err(e) => return Err(e),
                    }
                }
                response.body = std::mem::take(&mut self.buf);
            }
            return Ok(response);
        }
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.line()?;
            let text = String::from_utf8_lossy(&line);
            let size_text = text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|e| invalid(format!("chunk size {size_text:?}: {e}")))?;
            if size == 0 {
                // Trailers, up to an empty line.
                while !self.line()?.is_empty() {}
                return Ok(body);
            }
            body.extend_from_slice(&self.take(size)?);
            if !self.line()?.is_empty() {
                return Err(invalid("no CRLF after a chunk".into()));
            }
        }
    }
}

#[derive(Debug)]
struct RawResponse {
    version: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    until_close: bool,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &[u8]) -> io::Result<RawResponse> {
    let text = std::str::from_utf8(head).map_err(|e| invalid(format!("response head: {e}")))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default().to_owned();
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| version.starts_with("HTTP/"))
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(RawResponse {
        version,
        status,
        headers,
        body: Vec::new(),
        until_close: false,
    })
}

/// A small deterministic generator (xorshift64*), so that a failing mix can be
/// replayed from its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    /// `n` random lowercase hex digits (never all zeros).
    pub fn hex(&mut self, n: usize) -> String {
        loop {
            let text: String = (0..n)
                .map(|_| char::from_digit(self.below(16) as u32, 16).expect("a hex digit"))
                .collect();
            if text.bytes().any(|b| b != b'0') {
                return text;
            }
        }
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// The standard mix over the test app's routes, `total` requests in a shuffled
/// order; `/call-backend` is left out when `with_backend` is false. About a third
/// of the GETs carry a unique query string (which must never reach a span).
///
/// | share | request | answer |
/// | --- | --- | --- |
/// | rest | GET /hello | 200 |
/// | 20 % | GET /items/{random id ≥ 1} | 200 |
/// | 3 % | GET /items/0 (a view raising Http404) | 404 |
/// | 5 % | GET /does-not-exist (no URL pattern) | 404 |
/// | 5 % | GET /error (the view raises) | 500 |
/// | 5 % | GET /slow (sleeps 50 ms) | 200 |
/// | 3 % | POST /upload with a 1 MiB body | 200 |
/// | 2 % | GET /upload | 405 |
/// | 7 % | GET /stream (a chunked streaming response) | 200 |
/// | 5 % | GET /call-backend (calls the backend with requests) | 200 |
pub fn standard_mix(total: usize, with_backend: bool, seed: u64) -> Vec<Request> {
    let mut rng = Rng::new(seed);
    let share = |percent: usize| total * percent / 100;
    let mut requests = Vec::with_capacity(total);
    for _ in 0..share(20) {
        let id = 1 + rng.below(1_000_000);
        requests.push(Request::get(&format!("/items/{id}"), "/items/{id}", 200));
    }
    let fixed: [(usize, Request); 8] = [
        (3, Request::get("/items/0", "/items/{id}", 404)),
        (5, Request::get("/does-not-exist", "/does-not-exist", 404)),
        (5, Request::get("/error", "/error", 500)),
        (5, Request::get("/slow", "/slow", 200)),
        (3, Request::post("/upload", "/upload", 200, UPLOAD_BYTES)),
        (2, Request::get("/upload", "/upload", 405)),
        (7, Request::get("/stream", "/stream", 200)),
        (5, Request::get("/call-backend", "/call-backend", 200)),
    ];
    for (percent, request) in fixed {
        if request.path == "/call-backend" && !with_backend {
            continue;
        }
        requests.extend(std::iter::repeat_n(request, share(percent)));
    }
    while requests.len() < total {
        requests.push(Request::get("/hello", "/hello", 200));
    }
    rng.shuffle(&mut requests);
    for (i, request) in requests.iter_mut().enumerate() {
        if request.method == "GET" && i % 3 == 0 {
            request.query = Some(format!("n={i}&q=sonde+test"));
        }
    }
    requests
}

/// How [`run_mix`] spreads requests over threads and connections.
#[derive(Debug, Clone, Copy)]
pub struct MixOptions {
    /// Client threads, each with its own connections.
    pub threads: usize,
    /// Whether the server keeps connections open between requests.
    pub server_keeps_alive: bool,
    /// Percentage of sessions that ask for keep-alive and send several
    /// requests; the others send one request with `Connection: close`.
    pub keep_alive_percent: u64,
    /// Requests in a keep-alive session: 2 to this many.
    pub max_session: u64,
    pub seed: u64,
}

impl MixOptions {
    pub fn new(server_keeps_alive: bool) -> MixOptions {
        MixOptions {
            threads: 4,
            server_keeps_alive,
            keep_alive_percent: 50,
            max_session: 20,
            seed: 0x50DE,
        }
    }
}

/// What [`run_mix`] did.
#[derive(Debug, Clone)]
pub struct MixReport {
    pub exchanges: Vec<Exchange>,
    pub elapsed: Duration,
}

impl MixReport {
    /// Exchanges per (route, method, status), as the client saw them.
    pub fn counts(&self) -> BTreeMap<RouteKey, u64> {
        count(&self.exchanges)
    }

    /// Panics, listing a few, unless every response had the expected status
    /// (otherwise the test app or the harness is broken, not the agent).
    pub fn assert_statuses(&self) {
        assert_statuses(&self.exchanges);
    }

    /// Distinct connections used.
    pub fn connections(&self) -> usize {
        let mut ids: Vec<u64> = self.exchanges.iter().map(|e| e.connection).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

/// Exchanges per (route, method, status).
pub fn count<'a>(exchanges: impl IntoIterator<Item = &'a Exchange>) -> BTreeMap<RouteKey, u64> {
    let mut counts = BTreeMap::new();
    for exchange in exchanges {
        *counts.entry(exchange.key()).or_default() += 1;
    }
    counts
}

/// Panics unless every exchange got its expected status.
pub fn assert_statuses(exchanges: &[Exchange]) {
    let wrong: Vec<String> = exchanges
        .iter()
        .filter(|e| e.status != e.request.expect_status)
        .map(|e| {
            format!(
                "{} {} -> {} (expected {}): {}",
                e.request.method,
                e.request.target(),
                e.status,
                e.request.expect_status,
                String::from_utf8_lossy(&e.body[..e.body.len().min(300)])
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} responses had an unexpected status (the test app is broken, not the agent); first ones:\n{}",
        wrong.len(),
        exchanges.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );
}

/// Sends every request to `addr` (a `SocketAddr` or an [`Endpoint`]) from
/// `options.threads` threads (request `i` goes to thread `i % threads`), each
/// alternating keep-alive sessions and single requests on new connections.
/// Panics, with what failed, on any I/O error: the server is expected to
/// answer everything.
pub fn run_mix(addr: impl Into<Endpoint>, requests: &[Request], options: MixOptions) -> MixReport {
    let addr = &addr.into();
    let started = Instant::now();
    let threads = options.threads.max(1);
    let results: Vec<Result<Vec<Exchange>, String>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<&Request> = requests.iter().skip(t).step_by(threads).collect();
                let seed = options.seed.wrapping_add(t as u64 + 1);
                scope.spawn(move || drive(addr, &mine, options, seed))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("client thread panicked".into()))
            })
            .collect()
    });
    let mut exchanges = Vec::with_capacity(requests.len());
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(mut done) => exchanges.append(&mut done),
            Err(e) => errors.push(e),
        }
    }
    assert!(
        errors.is_empty(),
        "the client could not complete the mix against {addr}:\n{}",
        errors.join("\n")
    );
    exchanges.sort_by_key(|e| e.sent_at);
    MixReport {
        exchanges,
        elapsed: started.elapsed(),
    }
}

fn drive(
    addr: &Endpoint,
    requests: &[&Request],
    options: MixOptions,
    seed: u64,
) -> Result<Vec<Exchange>, String> {
    let mut rng = Rng::new(seed);
    let mut done = Vec::with_capacity(requests.len());
    let mut next = 0;
    while next < requests.len() {
        let keep_alive = rng.below(100) < options.keep_alive_percent;
        let session = if keep_alive {
            2 + rng.below(options.max_session.max(2) - 1) as usize
        } else {
            1
        };
        let mut conn: Option<Conn> = None;
        for request in requests.iter().skip(next).take(session) {
            let reusable = conn.as_ref().is_some_and(Conn::is_open);
            if !reusable {
                conn = Some(
                    Conn::open(addr.clone(), options.server_keeps_alive)
                        .map_err(|e| format!("connect to {addr}: {e}"))?,
                );
            }
            let c = conn.as_mut().expect("a connection was just opened");
            let exchange = c.exchange(request, keep_alive).map_err(|e| {
                format!(
                    "{} {} on connection {} (port {}, request {} on it): {e}",
                    request.method,
                    request.target(),
                    c.id,
                    c.local_port,
                    c.sequence
                )
            })?;
            done.push(exchange);
            next += 1;
        }
    }
    Ok(done)
}

/// Opens a connection to `addr`, sends `warm` on it (keep-alive), then runs `f`
/// (e.g. starting the agent) and returns the connection, still open when the
/// server keeps connections alive, for the caller to keep using.
pub fn open_before<R>(
    addr: impl Into<Endpoint>,
    server_keeps_alive: bool,
    warm: &[Request],
    f: impl FnOnce() -> R,
) -> (Conn, Vec<Exchange>, R) {
    let addr = addr.into();
    let mut conn = Conn::open(addr.clone(), server_keeps_alive)
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    let warmed: Vec<Exchange> = warm
        .iter()
        .map(|request| {
            conn.exchange(request, true).unwrap_or_else(|e| {
                panic!("{} {} before `f`: {e}", request.method, request.target())
            })
        })
        .collect();
    assert_statuses(&warmed);
    let result = f();
    (conn, warmed, result)
}

#[cfg(test)]
mod tests {
    use std::{
        net::{Ipv4Addr, TcpListener},
        os::unix::net::UnixListener,
    };

    use super::*;
    use crate::paths::TempDir;

    /// A one-connection server that answers each request head with the next
    /// canned response and then closes when the canned responses run out.
    fn serve(responses: Vec<&'static [u8]>) -> (SocketAddr, thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || answer(listener.accept().unwrap().0, responses));
        (addr, handle)
    }

    /// Reads each request on `stream` and answers it with the next response;
    /// returns the request heads.
    fn answer(mut stream: impl Read + Write, responses: Vec<&'static [u8]>) -> Vec<String> {
        let mut heads = Vec::new();
        let mut buf = Vec::new();
        for response in responses {
            let mut tmp = [0u8; 4096];
            let end = loop {
                if let Some(end) = find(&buf, b"\r\n\r\n") {
                    break end;
                }
                let n = stream.read(&mut tmp).unwrap();
                assert!(n > 0, "client closed early");
                buf.extend_from_slice(&tmp[..n]);
            };
            let head = String::from_utf8(buf[..end].to_vec()).unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map_or(0, |v| v.parse().unwrap());
            buf.drain(..end + 4);
            while buf.len() < length {
                let n = stream.read(&mut tmp).unwrap();
                buf.extend_from_slice(&tmp[..n]);
            }
            buf.drain(..length);
            heads.push(head);
            stream.write_all(response).unwrap();
        }
        heads
    }

    #[test]
    fn talks_over_a_unix_socket() {
        let dir = TempDir::new("sonde-client-unix");
        let path = dir.path().join("app.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let server = thread::spawn(move || {
            answer(
                listener.accept().unwrap().0,
                vec![
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
                ],
            )
        });
        let mut conn = Conn::open(Endpoint::Unix(path.clone()), true).unwrap();
        assert_eq!(conn.local_port(), 0, "a Unix socket has no port");
        let first = conn.exchange(&Request::get("/a", "/a", 200), true).unwrap();
        let second = conn.exchange(&Request::get("/b", "/b", 500), true).unwrap();
        assert_eq!((first.status, first.body.as_slice()), (200, &b"ok"[..]));
        assert_eq!((second.status, second.sequence), (500, 1));
        assert_eq!(first.connection, second.connection, "kept alive");
        let heads = server.join().unwrap();
        assert!(heads[0].contains("\r\nHost: localhost\r\n"), "{}", heads[0]);
        assert_eq!(
            Endpoint::Unix(path.clone()).to_string(),
            format!("unix:{}", path.display())
        );
    }

    #[test]
    fn reads_length_chunked_and_close_delimited_bodies() {
        let (addr, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nTrailer: 1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\nuntil the end",
        ]);
        let mut conn = Conn::open(addr, true).unwrap();
        let first = conn
            .exchange(&Request::get("/a", "/a", 200).with_query("x=1"), true)
            .unwrap();
        assert_eq!((first.status, first.body.as_slice()), (200, &b"hello"[..]));
        assert!(conn.is_open());
        let second = conn
            .exchange(&Request::post("/b", "/b", 201, 100_000), true)
            .unwrap();
        assert_eq!(
            (second.status, second.body.as_slice()),
            (201, &b"abcde"[..])
        );
        assert_eq!((second.sequence, second.connection), (1, first.connection));
        let third = conn.exchange(&Request::get("/c", "/c", 200), true).unwrap();
        assert_eq!(third.body, b"until the end");
        assert!(
            !conn.is_open(),
            "a close-delimited body ends the connection"
        );
        let heads = server.join().unwrap();
        assert!(
            heads[0].starts_with("GET /a?x=1 HTTP/1.1\r\n"),
            "{}",
            heads[0]
        );
        assert!(heads[0].contains(&format!("{REQUEST_ID_HEADER}: {}", first.id)));
        assert!(heads[1].contains("Content-Length: 100000"), "{}", heads[1]);
        assert_ne!(first.id, second.id);
    }

    #[test]
    fn connection_close_is_honoured() {
        let (addr, server) = serve(vec![
            b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        ]);
        let mut conn = Conn::open(addr, true).unwrap();
        let exchange = conn.exchange(&Request::get("/x", "/x", 404), true).unwrap();
        assert_eq!(exchange.status, 404);
        assert!(!conn.is_open());
        assert!(conn.exchange(&Request::get("/x", "/x", 404), true).is_err());
        server.join().unwrap();
    }

    #[test]
    fn the_standard_mix_has_the_advertised_shares() {
        let mix = standard_mix(2000, true, 1);
        assert_eq!(mix.len(), 2000);
        let count = |path: &str, status: u16| {
            mix.iter()
                .filter(|r| r.path == path && r.expect_status == status)
                .count()
        };
        assert_eq!(count("/slow", 200), 100);
        assert_eq!(count("/error", 500), 100);
        assert_eq!(count("/items/0", 404), 60);
        assert_eq!(count("/call-backend", 200), 100);
        assert_eq!(mix.iter().filter(|r| r.route == "/items/{id}").count(), 460);
        assert!(mix.iter().any(|r| r.query.is_some()));
        assert!(mix.iter().all(|r| r.method == "GET" || r.query.is_none()));
        assert_eq!(standard_mix(2000, true, 1), mix, "the mix is deterministic");
        assert!(standard_mix(100, false, 1)
            .iter()
            .all(|r| r.path != "/call-backend"));
    }

    #[test]
    fn rng_hex_is_hex_and_not_zero() {
        let mut rng = Rng::new(7);
        for _ in 0..100 {
            let h = rng.hex(32);
            assert_eq!(h.len(), 32);
            assert!(h
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
    }
}
