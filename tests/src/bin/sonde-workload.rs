//! `sonde-workload`: small, exactly countable things for the agent to observe.
//!
//! Each subcommand does one thing and prints one JSON line on stdout saying what
//! it did (pid, ports, byte counts), so a test can compare the agent's events with
//! the truth. The binary name is also its comm (`sonde-workload`, 14 bytes), which
//! the tests filter on with `sonde run --comm sonde-workload`; for that reason no
//! thread here is ever named (a named thread has its own comm).
//!
//! ```text
//! sonde-workload tcp-pair [--send N] [--recv N] [--ipv6 | --mapped]
//! sonde-workload tcp-reset [--send N] [--ipv6]
//! sonde-workload connect-refused [--ipv6]
//! sonde-workload exit (--code N | --signal N) [--threads N]
//! sonde-workload storm [--connections N] [--ipv6]
//! sonde-workload wait-then-go <subcommand> [args..]
//! ```

use std::{
    fs::File,
    io::{self, BufRead, Read, Write},
    net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream},
    os::fd::{AsRawFd, OwnedFd},
    process::ExitCode,
    sync::Arc,
    thread,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("sonde-workload: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let (command, rest) = args.split_first().ok_or_else(usage)?;
    if command == "wait-then-go" {
        return wait_then_go(rest);
    }
    let opts = Options::parse(rest)?;
    match command.as_str() {
        "tcp-pair" => tcp_pair(&opts),
        "tcp-reset" => tcp_reset(&opts),
        "connect-refused" => connect_refused(&opts),
        "exit" => exit(&opts),
        "storm" => storm(&opts),
        other => Err(format!("unknown subcommand {other:?}\n{}", usage())),
    }
}

fn usage() -> String {
    "usage: sonde-workload (tcp-pair [--send N] [--recv N] [--ipv6 | --mapped] | tcp-reset [--send N] [--ipv6] \
     | connect-refused [--ipv6] \
     | exit (--code N | --signal N) [--threads N] | storm [--connections N] [--ipv6] \
     | wait-then-go <subcommand> [args..])"
        .to_owned()
}

/// Options shared by the subcommands; each reads the ones it needs.
#[derive(Debug)]
struct Options {
    send: usize,
    recv: usize,
    family: Family,
    code: Option<u8>,
    signal: Option<i32>,
    threads: usize,
    connections: u64,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut opts = Options {
            send: 1000,
            recv: 2000,
            family: Family::V4,
            code: None,
            signal: None,
            threads: 2,
            connections: 50_000,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .ok_or_else(|| format!("{flag} needs a value"))
                    .cloned()
            };
            match flag.as_str() {
                "--send" => opts.send = number(flag, &value()?)?,
                "--recv" => opts.recv = number(flag, &value()?)?,
                "--ipv6" => opts.family = Family::V6,
                "--mapped" => opts.family = Family::Mapped,
                "--code" => opts.code = Some(number(flag, &value()?)?),
                "--signal" => opts.signal = Some(number(flag, &value()?)?),
                "--threads" => opts.threads = number(flag, &value()?)?,
                "--connections" => opts.connections = number(flag, &value()?)?,
                _ => return Err(format!("unknown option {flag:?}\n{}", usage())),
            }
        }
        Ok(opts)
    }

    /// The loopback address of the chosen family, for binding (port 0) and
    /// connecting. `--mapped` uses IPv6 sockets with the IPv4-mapped address
    /// ::ffff:127.0.0.1, so IPv4 travels through AF_INET6 sockets.
    fn loopback(&self, port: u16) -> SocketAddr {
        match self.family {
            Family::V4 => (Ipv4Addr::LOCALHOST, port).into(),
            Family::V6 => (Ipv6Addr::LOCALHOST, port).into(),
            Family::Mapped => (Ipv4Addr::LOCALHOST.to_ipv6_mapped(), port).into(),
        }
    }

    fn family(&self) -> &'static str {
        match self.family {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
            Family::Mapped => "ipv4-mapped",
        }
    }
}

/// Address family of the workload's sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
    /// AF_INET6 sockets talking IPv4 through ::ffff:127.0.0.1.
    Mapped,
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a valid number"))
}

fn print_line(value: &Value) {
    let mut out = io::stdout().lock();
    // A workload whose report cannot be written is useless to the test: fail loudly.
    writeln!(out, "{value}").expect("write to stdout");
    out.flush().expect("flush stdout");
}

fn pid() -> u32 {
    std::process::id()
}

fn tid() -> i64 {
    // SAFETY: gettid has no preconditions and cannot fail.
    i64::from(unsafe { libc::gettid() })
}

/// One connection, both ends in this process: the server end in a second thread
/// reads exactly `send` bytes, writes `recv` bytes and closes; the client end (main
/// thread) writes `send` bytes, reads to EOF and closes.
///
/// The client uses write(2)/read(2) and the server send(2)/recv(2) (what std's
/// `TcpStream` does), so both syscall families are exercised.
fn tcp_pair(opts: &Options) -> Result<ExitCode, String> {
    let listener = TcpListener::bind(opts.loopback(0)).map_err(|e| format!("bind: {e}"))?;
    let server_port = listener
        .local_addr()
        .map_err(|e| format!("local_addr: {e}"))?
        .port();
    let (send, recv) = (opts.send, opts.recv);

    let server = thread::spawn(move || -> Result<(i64, usize), String> {
        let (mut conn, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
        let server_tid = tid();
        let mut request = vec![0u8; send];
        conn.read_exact(&mut request)
            .map_err(|e| format!("server read: {e}"))?;
        conn.write_all(&vec![b's'; recv])
            .map_err(|e| format!("server write: {e}"))?;
        drop(conn);
        Ok((server_tid, request.len()))
    });

    let stream =
        TcpStream::connect(opts.loopback(server_port)).map_err(|e| format!("connect: {e}"))?;
    let client_port = stream
        .local_addr()
        .map_err(|e| format!("local_addr: {e}"))?
        .port();
    let mut client = File::from(OwnedFd::from(stream));
    client
        .write_all(&vec![b'c'; send])
        .map_err(|e| format!("client write: {e}"))?;
    let mut response = Vec::with_capacity(recv);
    client
        .read_to_end(&mut response)
        .map_err(|e| format!("client read: {e}"))?;
    drop(client);

    let (server_tid, server_received) = server
        .join()
        .map_err(|_| "server thread panicked".to_owned())??;
    print_line(&json!({
        "cmd": "tcp-pair",
        "pid": pid(),
        "client_tid": tid(),
        "server_tid": server_tid,
        "family": opts.family(),
        "client_port": client_port,
        "server_port": server_port,
        "client_sent": send,
        "client_received": response.len(),
        "server_received": server_received,
        "client_io": "write/read",
        "server_io": "send/recv",
    }));
    if response.len() != recv {
        return Err(format!(
            "client received {} bytes, expected {recv}",
            response.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// One connection whose server end, after reading the `send` bytes the client
/// wrote, closes with SO_LINGER 0: the server sends a RST, the client receives it
/// and its next read fails with ECONNRESET.
fn tcp_reset(opts: &Options) -> Result<ExitCode, String> {
    let listener = TcpListener::bind(opts.loopback(0)).map_err(|e| format!("bind: {e}"))?;
    let server_port = listener
        .local_addr()
        .map_err(|e| format!("local_addr: {e}"))?
        .port();
    let send = opts.send;
    let server = thread::spawn(move || -> Result<i64, String> {
        let (mut conn, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
        let mut request = vec![0u8; send];
        conn.read_exact(&mut request)
            .map_err(|e| format!("server read: {e}"))?;
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket fd and a pointer to a live `linger` of the size given.
        let rc = unsafe {
            libc::setsockopt(
                conn.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                std::ptr::from_ref(&linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(format!("SO_LINGER: {}", io::Error::last_os_error()));
        }
        drop(conn);
        Ok(tid())
    });

    let mut stream =
        TcpStream::connect(opts.loopback(server_port)).map_err(|e| format!("connect: {e}"))?;
    let client_port = stream
        .local_addr()
        .map_err(|e| format!("local_addr: {e}"))?
        .port();
    stream
        .write_all(&vec![b'c'; send])
        .map_err(|e| format!("client write: {e}"))?;
    let server_tid = server
        .join()
        .map_err(|_| "server thread panicked".to_owned())??;
    let mut buf = [0u8; 64];
    let result = stream.read(&mut buf);
    drop(stream);
    let errno = result.as_ref().err().and_then(io::Error::raw_os_error);
    print_line(&json!({
        "cmd": "tcp-reset",
        "pid": pid(),
        "client_tid": tid(),
        "server_tid": server_tid,
        "family": opts.family(),
        "client_port": client_port,
        "server_port": server_port,
        "client_error": errno.map(errno_name),
    }));
    match result {
        Err(e) if e.raw_os_error() == Some(libc::ECONNRESET) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(format!("client read failed, but not with ECONNRESET: {e}")),
        Ok(n) => Err(format!("client read returned {n} instead of ECONNRESET")),
    }
}

/// Connect to a loopback port nobody listens on (one that was just bound and
/// released), which fails with ECONNREFUSED.
fn connect_refused(opts: &Options) -> Result<ExitCode, String> {
    let port = {
        let listener = TcpListener::bind(opts.loopback(0)).map_err(|e| format!("bind: {e}"))?;
        listener
            .local_addr()
            .map_err(|e| format!("local_addr: {e}"))?
            .port()
    };
    let result = TcpStream::connect(opts.loopback(port));
    let errno = result.as_ref().err().and_then(io::Error::raw_os_error);
    print_line(&json!({
        "cmd": "connect-refused",
        "pid": pid(),
        "tid": tid(),
        "family": opts.family(),
        "port": port,
        "error": errno.map(errno_name),
        "errno": errno,
    }));
    match result {
        Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(format!("connect failed, but not with ECONNREFUSED: {e}")),
        Ok(_) => Err(format!("connect to port {port} unexpectedly succeeded")),
    }
}

fn errno_name(errno: i32) -> String {
    match errno {
        libc::ECONNREFUSED => "ECONNREFUSED".to_owned(),
        libc::ETIMEDOUT => "ETIMEDOUT".to_owned(),
        libc::ECONNRESET => "ECONNRESET".to_owned(),
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL".to_owned(),
        libc::ENETUNREACH => "ENETUNREACH".to_owned(),
        libc::EHOSTUNREACH => "EHOSTUNREACH".to_owned(),
        other => format!("errno {other}"),
    }
}

/// Exit with a code (`--code`) or by a signal (`--signal`) while `--threads`
/// other threads are still alive, so "one exit per process" is put to the test.
fn exit(opts: &Options) -> Result<ExitCode, String> {
    if opts.code.is_some() == opts.signal.is_some() {
        return Err("exit needs exactly one of --code N or --signal N".to_owned());
    }
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    for _ in 0..opts.threads {
        let started = started_tx.clone();
        thread::spawn(move || {
            let _ = started.send(tid());
            loop {
                thread::park();
            }
        });
    }
    let thread_ids: Vec<i64> = (0..opts.threads)
        .map(|_| started_rx.recv().map_err(|e| format!("thread start: {e}")))
        .collect::<Result<_, _>>()?;
    print_line(&json!({
        "cmd": "exit",
        "pid": pid(),
        "thread_ids": thread_ids,
        "code": opts.code,
        "signal": opts.signal,
    }));
    if let Some(signal) = opts.signal {
        // SAFETY: kill has no memory-safety preconditions.
        if unsafe { libc::kill(libc::getpid(), signal) } != 0 {
            return Err(format!("kill: {}", io::Error::last_os_error()));
        }
        // A signal whose default action is not to terminate lands here.
        thread::sleep(Duration::from_secs(5));
        return Err(format!("still alive 5 s after signal {signal}"));
    }
    std::process::exit(i32::from(opts.code.unwrap_or_default()))
}

/// Failures of one storm side, counted rather than retried.
#[derive(Debug, Default)]
struct Failures {
    count: u64,
    first: Option<String>,
}

impl Failures {
    fn record(&mut self, what: &str, error: impl std::fmt::Display) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(format!("{what}: {error}"));
        }
    }
}

/// `--connections` short connections, one after the other, as fast as possible.
/// The server end accepts and closes at once (so TIME_WAIT lands on the server's
/// side, where it does not use up ephemeral ports); the client connects, reads EOF
/// and closes. Nothing is retried: every failure is counted and reported, and the
/// exit code is 1 if there was any.
fn storm(opts: &Options) -> Result<ExitCode, String> {
    let listener = Arc::new(TcpListener::bind(opts.loopback(0)).map_err(|e| format!("bind: {e}"))?);
    let server_port = listener
        .local_addr()
        .map_err(|e| format!("local_addr: {e}"))?
        .port();
    let n = opts.connections;

    let server = {
        let listener = Arc::clone(&listener);
        thread::spawn(move || {
            let mut accepted = 0u64;
            let mut failures = Failures::default();
            while accepted < n {
                match listener.accept() {
                    Ok((conn, _)) => {
                        accepted += 1;
                        drop(conn);
                    }
                    // EINVAL: the client side gave up and shut the listener down.
                    Err(e) if e.raw_os_error() == Some(libc::EINVAL) => break,
                    Err(e) => {
                        failures.record("accept", e);
                        if failures.count > 100 {
                            break;
                        }
                    }
                }
            }
            (accepted, failures)
        })
    };

    let start = Instant::now();
    let mut connected = 0u64;
    let mut connect_failures = Failures::default();
    let mut read_failures = Failures::default();
    let mut unexpected_bytes = 0u64;
    let mut buf = [0u8; 64];
    for _ in 0..n {
        let mut stream = match TcpStream::connect(opts.loopback(server_port)) {
            Ok(stream) => stream,
            Err(e) => {
                connect_failures.record("connect", e);
                continue;
            }
        };
        connected += 1;
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => unexpected_bytes += k as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    read_failures.record("read", e);
                    break;
                }
            }
        }
        drop(stream);
    }
    let elapsed = start.elapsed();
    if connected < n {
        // Fewer connections arrived than the server waits for: wake its accept().
        // SAFETY: shutdown on a valid, open socket fd has no memory-safety preconditions.
        unsafe { libc::shutdown(listener.as_raw_fd(), libc::SHUT_RDWR) };
    }
    let (accepted, accept_failures) = server
        .join()
        .map_err(|_| "server thread panicked".to_owned())?;
    let failures = connect_failures.count
        + read_failures.count
        + accept_failures.count
        + u64::from(unexpected_bytes > 0)
        + u64::from(accepted != connected);
    print_line(&json!({
        "cmd": "storm",
        "pid": pid(),
        "family": opts.family(),
        "server_port": server_port,
        "connections": n,
        "connected": connected,
        "accepted": accepted,
        "connect_failures": connect_failures.count,
        "read_failures": read_failures.count,
        "accept_failures": accept_failures.count,
        "unexpected_bytes": unexpected_bytes,
        "first_error": connect_failures.first.or(read_failures.first).or(accept_failures.first),
        "failures": failures,
        "elapsed_ms": elapsed.as_millis() as u64,
        "connections_per_second": (connected as f64 / elapsed.as_secs_f64().max(1e-9)).round(),
    }));
    // The listener is closed only here, after the last connection is done with.
    drop(listener);
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Print `{"cmd":"wait","pid":..}`, wait for one line on stdin (or EOF), then run
/// the given subcommand: lets a test start an agent with `--pid` before the
/// process does anything.
fn wait_then_go(args: &[String]) -> Result<ExitCode, String> {
    if args.first().map(String::as_str) == Some("wait-then-go") {
        return Err("wait-then-go cannot wait for itself".to_owned());
    }
    print_line(&json!({ "cmd": "wait", "pid": pid() }));
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("stdin: {e}"))?;
    run(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_parse_and_reject_garbage() {
        let opts = Options::parse(&args(&["--send", "5", "--recv", "7", "--ipv6"])).unwrap();
        assert_eq!((opts.send, opts.recv, opts.family), (5, 7, Family::V6));
        assert!(Options::parse(&args(&["--send"])).is_err());
        assert!(Options::parse(&args(&["--send", "many"])).is_err());
        assert!(Options::parse(&args(&["--frobnicate"])).is_err());
        assert!(Options::parse(&args(&["--code", "300"])).is_err());
    }
}
