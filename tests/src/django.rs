//! The Django test app (tests/django) under real servers: gunicorn with sync or
//! gthread workers, uwsgi, and the small backend `/call-backend` calls. Each runs
//! on a free loopback port (or, when asked, on a Unix socket file), in its own
//! process group, with an access log that this module parses.
//!
//! The servers come from the venv built by `tests/django/setup.sh`
//! ([`venv`]); a missing or stale venv fails the test with what to run.

use std::{
    collections::BTreeMap,
    fs::File,
    net::{Ipv4Addr, SocketAddr},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use crate::{
    agent::free_port,
    client::{self, Conn, Endpoint, Request},
    paths::{workspace_root, TempDir},
};

/// Where `tests/django/setup.sh` puts the venv, unless [`VENV_ENV`] says otherwise.
pub const DEFAULT_VENV: &str = "/opt/sonde-test-venv";
/// Overrides [`DEFAULT_VENV`], for the tests and `setup.sh` alike.
pub const VENV_ENV: &str = "SONDE_TEST_VENV";
/// The settings module of the test app; with no `OTEL_SERVICE_NAME` in its
/// environment, the agent names the service after it.
pub const SETTINGS_MODULE: &str = "shop.settings";
/// `OTEL_SERVICE_NAME` of the backend.
pub const BACKEND_SERVICE: &str = "sonde-test-backend";
/// How long a server may take to answer its first request.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The file name of the socket [`Server::start_on_unix_socket`] binds, in the
/// server's temp dir.
pub const UNIX_SOCKET_NAME: &str = "shop.sock";
/// How long [`Server::stop`] waits after SIGTERM before SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// What a server runs: the settings module, extra environment, and requests
/// added to the warm-up. The default is the no-database app of the HTTP tests
/// ([`SETTINGS_MODULE`]); `django_db` makes the one with a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub settings_module: String,
    pub env: Vec<(String, String)>,
    /// Sent, besides the standard routes, by every warm-up client.
    pub warm_up: Vec<Request>,
}

impl Default for App {
    fn default() -> App {
        App {
            settings_module: SETTINGS_MODULE.into(),
            env: Vec::new(),
            warm_up: Vec::new(),
        }
    }
}

/// The format of gunicorn's access log; uwsgi's `--logformat` writes the same
/// fields (see [`AccessRecord::parse`]). `D` is the request time in microseconds.
pub const GUNICORN_ACCESS_FORMAT: &str =
    r#"sonde-access pid=%(p)s rid=%({x-sonde-request}i)s status=%(s)s us=%(D)s line="%(r)s""#;
pub const UWSGI_ACCESS_FORMAT: &str = r#"sonde-access pid=%(pid) rid=%(var.HTTP_X_SONDE_REQUEST) status=%(status) us=%(micros) line="%(method) %(uri) %(proto)""#;

/// tests/django in the work tree.
pub fn project_dir() -> PathBuf {
    workspace_root().join("tests/django")
}

/// The test venv, checked: it exists, has the servers, and was built from the
/// current requirements.txt. Panics with the command to run otherwise.
pub fn venv() -> PathBuf {
    let venv = match std::env::var_os(VENV_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(DEFAULT_VENV),
    };
    let fix = format!(
        "run `tests/django/setup.sh` (with {VENV_ENV}={} if that is where it should be)",
        venv.display()
    );
    for bin in ["python", "gunicorn", "uwsgi"] {
        let path = venv.join("bin").join(bin);
        assert!(
            path.is_file(),
            "the Django test venv has no {} (set {VENV_ENV} or use the default {DEFAULT_VENV}): {fix}",
            path.display()
        );
    }
    let stamp = std::fs::read_to_string(venv.join(".sonde-stamp")).unwrap_or_default();
    let requirements = std::fs::read_to_string(project_dir().join("requirements.txt"))
        .expect("read tests/django/requirements.txt");
    assert!(
        stamp.contains(requirements.trim()),
        "the Django test venv at {} was not built from the current tests/django/requirements.txt \
         (or its build did not finish): {fix}",
        venv.display()
    );
    venv
}

/// Which server runs the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `gunicorn -w 2 -k sync`: one request per connection (it answers
    /// `Connection: close`), one request at a time per worker.
    GunicornSync,
    /// `gunicorn -w 2 -k gthread --threads 4 --keep-alive 120`: keep-alive.
    GunicornGthread,
    /// `uwsgi --http-socket`, 2 processes × 2 threads: closes the connection
    /// after every response (without a `Connection: close` header).
    Uwsgi,
    /// `uwsgi --http11-socket`, 2 processes × 2 threads: keep-alive, but uwsgi
    /// 2.0 neither chunks nor closes a response without Content-Length, so a
    /// streaming response never ends on it: do not ask it for /stream.
    UwsgiKeepAlive,
    /// The backend of `/call-backend` (tests/django/backend.py) under
    /// `gunicorn -w 1 -k sync`, with `OTEL_SERVICE_NAME` = [`BACKEND_SERVICE`].
    Backend,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::GunicornSync => "gunicorn-sync",
            ServerKind::GunicornGthread => "gunicorn-gthread",
            ServerKind::Uwsgi => "uwsgi",
            ServerKind::UwsgiKeepAlive => "uwsgi-http11",
            ServerKind::Backend => "backend",
        }
    }

    /// Whether a connection stays open after a response (when the client asks).
    pub fn keeps_alive(self) -> bool {
        matches!(
            self,
            ServerKind::GunicornGthread | ServerKind::UwsgiKeepAlive
        )
    }

    /// Worker processes under the master.
    pub fn workers(self) -> usize {
        match self {
            ServerKind::Backend => 1,
            _ => 2,
        }
    }

    /// Requests one server can work on at once.
    pub fn concurrency(self) -> usize {
        match self {
            ServerKind::GunicornSync => 2,
            ServerKind::GunicornGthread => 8,
            ServerKind::Uwsgi | ServerKind::UwsgiKeepAlive => 4,
            ServerKind::Backend => 1,
        }
    }

    fn is_uwsgi(self) -> bool {
        matches!(self, ServerKind::Uwsgi | ServerKind::UwsgiKeepAlive)
    }
}

/// One line of a server's access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    /// The worker that served the request.
    pub pid: u32,
    /// The [`client::REQUEST_ID_HEADER`] value, if the request had one.
    pub request_id: Option<u64>,
    pub status: u16,
    /// The server's own measure of the request's duration.
    pub duration: Duration,
    pub method: String,
    /// The request target, query string included.
    pub target: String,
}

impl AccessRecord {
    /// Parses a line written with [`GUNICORN_ACCESS_FORMAT`] or
    /// [`UWSGI_ACCESS_FORMAT`]; `None` for other lines.
    pub fn parse(line: &str) -> Option<AccessRecord> {
        let rest = line.trim_end().strip_prefix("sonde-access ")?;
        let (fields, request_line) = rest.split_once(" line=\"")?;
        let request_line = request_line.strip_suffix('"')?;
        let mut values = BTreeMap::new();
        for field in fields.split_whitespace() {
            let (key, value) = field.split_once('=')?;
            values.insert(key, value);
        }
        // gunicorn writes `<pid>`.
        let pid = values
            .get("pid")?
            .trim_start_matches('<')
            .trim_end_matches('>')
            .parse()
            .ok()?;
        let request_id = values.get("rid").and_then(|v| v.parse().ok());
        let status = values.get("status")?.parse().ok()?;
        let micros: u64 = values.get("us")?.parse().ok()?;
        let mut parts = request_line.split(' ');
        let method = parts.next()?.to_owned();
        let target = parts.next()?.to_owned();
        Some(AccessRecord {
            pid,
            request_id,
            status,
            duration: Duration::from_micros(micros),
            method,
            target,
        })
    }
}

/// A running server. Stopped (SIGTERM, then SIGKILL to its process group) on
/// drop if still running.
#[derive(Debug)]
pub struct Server {
    kind: ServerKind,
    child: Option<Child>,
    endpoint: Endpoint,
    access_log: PathBuf,
    output_log: PathBuf,
    _dir: TempDir,
}

impl Server {
    /// Starts the app under `kind` on a free loopback port, with `BACKEND_URL`
    /// pointing at `backend` when given, and waits until every route answers
    /// (each worker is warmed up, so first-request costs stay out of the test).
    /// Panics with the server's output when it does not come up.
    pub fn start(kind: ServerKind, backend: Option<&Server>) -> Server {
        let dir = TempDir::new(&format!("sonde-{}", kind.name()));
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        Server::launch(kind, backend, &App::default(), dir, Endpoint::Tcp(addr))
    }

    /// Like [`Server::start`] without a backend, running `app` (its settings
    /// module and environment, and its warm-up requests after the standard ones).
    pub fn start_app(kind: ServerKind, app: &App) -> Server {
        let dir = TempDir::new(&format!("sonde-{}", kind.name()));
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        Server::launch(kind, None, app, dir, Endpoint::Tcp(addr))
    }

    /// Like [`Server::start`], but bound to a Unix socket file,
    /// [`UNIX_SOCKET_NAME`] in the server's temp dir, instead of a port (no
    /// backend: `BACKEND_URL` would need a port).
    pub fn start_on_unix_socket(kind: ServerKind) -> Server {
        let dir = TempDir::new(&format!("sonde-{}-unix", kind.name()));
        let path = dir.path().join(UNIX_SOCKET_NAME);
        Server::launch(kind, None, &App::default(), dir, Endpoint::Unix(path))
    }

    fn launch(
        kind: ServerKind,
        backend: Option<&Server>,
        app: &App,
        dir: TempDir,
        endpoint: Endpoint,
    ) -> Server {
        let venv = venv();
        let access_log = dir.path().join("access.log");
        let output_log = dir.path().join("server.log");
        let mut command = server_command(kind, &venv, &endpoint, &access_log);
        command
            .current_dir(project_dir())
            .env_remove("OTEL_SERVICE_NAME")
            .env_remove("PYTHONPATH")
            .env_remove("PYTHONHOME")
            .env("DJANGO_SETTINGS_MODULE", &app.settings_module)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUNBUFFERED", "1")
            .envs(app.env.iter().map(|(k, v)| (k, v)));
        match (kind, backend) {
            (ServerKind::Backend, _) => {
                command.env("OTEL_SERVICE_NAME", BACKEND_SERVICE);
            }
            (_, Some(backend)) => {
                command.env("BACKEND_URL", format!("http://{}", backend.addr()));
            }
            (_, None) => {
                command.env_remove("BACKEND_URL");
            }
        }
        let output = File::create(&output_log).expect("create the server's log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("dup the log file"))
            .stderr(output)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let mut server = Server {
            kind,
            child: Some(child),
            endpoint,
            access_log,
            output_log,
            _dir: dir,
        };
        server.wait_ready(backend.is_some(), &app.warm_up);
        server
    }

    /// The backend of `/call-backend`.
    pub fn backend() -> Server {
        Server::start(ServerKind::Backend, None)
    }

    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// Where the server listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The TCP address; panics for a server on a Unix socket.
    pub fn addr(&self) -> SocketAddr {
        match &self.endpoint {
            Endpoint::Tcp(addr) => *addr,
            Endpoint::Unix(path) => panic!(
                "{} listens on the Unix socket {}, not on a TCP address",
                self.kind.name(),
                path.display()
            ),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// The socket file, for a server on a Unix socket.
    pub fn socket_path(&self) -> Option<&Path> {
        match &self.endpoint {
            Endpoint::Tcp(_) => None,
            Endpoint::Unix(path) => Some(path),
        }
    }

    /// The master (arbiter) process.
    pub fn master_pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    /// The worker processes: the master's children.
    pub fn worker_pids(&self) -> Vec<u32> {
        children_of(self.master_pid())
    }

    /// Everything the server printed (its error log), for failure messages.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output_log).unwrap_or_default()
    }

    fn output_tail(&self) -> String {
        let text = self.output();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Every access log line written so far.
    pub fn access_log(&self) -> Vec<AccessRecord> {
        std::fs::read_to_string(&self.access_log)
            .unwrap_or_default()
            .lines()
            .filter_map(AccessRecord::parse)
            .collect()
    }

    /// The access records of the requests numbered `ids`, by number, once all
    /// are logged (servers log after the response is sent). Panics after 15 s.
    pub fn access_records(&self, ids: &[u64]) -> BTreeMap<u64, AccessRecord> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let by_id: BTreeMap<u64, AccessRecord> = self
                .access_log()
                .into_iter()
                .filter_map(|r| Some((r.request_id?, r)))
                .collect();
            let missing: Vec<u64> = ids
                .iter()
                .copied()
                .filter(|id| !by_id.contains_key(id))
                .collect();
            if missing.is_empty() {
                return by_id;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {} requests are not in the {} access log ({}), e.g. ids {:?}; server output:\n{}",
                missing.len(),
                ids.len(),
                self.kind.name(),
                self.access_log.display(),
                &missing[..missing.len().min(10)],
                self.output_tail()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_ready(&mut self, with_backend: bool, extra_warm_up: &[Request]) {
        let deadline = Instant::now() + START_TIMEOUT;
        let probe = if self.kind == ServerKind::Backend {
            "/orders/1"
        } else {
            "/hello"
        };
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "{} exited with {status} before answering; its output:\n{}",
                    self.kind.name(),
                    self.output_tail()
                );
            }
            let answer = Conn::open(self.endpoint.clone(), false)
                .and_then(|mut conn| conn.exchange(&Request::get(probe, probe, 200), false));
            let last = match answer {
                Ok(r) if r.status == 200 => break,
                Ok(r) => format!("GET {probe} answered {}", r.status),
                Err(e) => format!("GET {probe}: {e}"),
            };
            assert!(
                Instant::now() < deadline,
                "{} on {} not ready after {START_TIMEOUT:?} ({last}); its output:\n{}",
                self.kind.name(),
                self.endpoint,
                self.output_tail()
            );
            thread::sleep(Duration::from_millis(100));
        }
        while self.worker_pids().len() < self.kind.workers() {
            assert!(
                Instant::now() < deadline,
                "{} has {:?} workers, expected {}; its output:\n{}",
                self.kind.name(),
                self.worker_pids(),
                self.kind.workers(),
                self.output_tail()
            );
            thread::sleep(Duration::from_millis(50));
        }
        if self.kind != ServerKind::Backend {
            self.warm_up(with_backend, extra_warm_up);
        }
    }

    /// Sends every kind of request from as many threads as the server has
    /// request slots, a few times, so that every worker (and thread) has
    /// imported and initialised what the test will use.
    fn warm_up(&self, with_backend: bool, extra: &[Request]) {
        let mut requests = vec![
            Request::get("/hello", "/hello", 200),
            Request::get("/items/1", "/items/{id}", 200),
            Request::get("/items/0", "/items/{id}", 404),
            Request::get("/does-not-exist", "/does-not-exist", 404),
            Request::get("/error", "/error", 500),
            Request::get("/slow", "/slow", 200),
            Request::post("/upload", "/upload", 200, 1000),
            Request::get("/upload", "/upload", 405),
        ];
        if self.kind != ServerKind::UwsgiKeepAlive {
            requests.push(Request::get("/stream", "/stream", 200));
        }
        if with_backend {
            requests.push(Request::get("/call-backend", "/call-backend", 200));
        }
        requests.extend_from_slice(extra);
        let slots = self.kind.concurrency();
        thread::scope(|scope| {
            for _ in 0..slots {
                scope.spawn(|| {
                    for _ in 0..3 {
                        for request in &requests {
                            let mut conn =
                                Conn::open(self.endpoint.clone(), self.kind.keeps_alive())
                                    .unwrap_or_else(|e| panic!("warm-up connect: {e}"));
                            let exchange = conn.exchange(request, false).unwrap_or_else(|e| {
                                panic!(
                                    "warm-up {} {} on {}: {e}; server output:\n{}",
                                    request.method,
                                    request.path,
                                    self.kind.name(),
                                    self.output_tail()
                                )
                            });
                            client::assert_statuses(std::slice::from_ref(&exchange));
                        }
                    }
                });
            }
        });
    }

    /// SIGTERM to the master, which stops its workers; SIGKILL to the whole
    /// process group after [`STOP_TIMEOUT`]. Panics if the master had died
    /// before (the test's traffic must not have killed it).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id() as libc::pid_t;
        if let Ok(Some(status)) = child.try_wait() {
            kill_group(pid);
            panic!(
                "{} had exited with {status} before it was stopped; its output:\n{}",
                self.kind.name(),
                self.output_tail()
            );
        }
        // SAFETY: kill has no memory-safety preconditions; the child is not reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let sent = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if sent.elapsed() >= STOP_TIMEOUT => {
                    kill_group(pid);
                    let _ = child.wait();
                    break;
                }
                Ok(None) => thread::sleep(Duration::from_millis(20)),
            }
        }
        // Workers the master left behind, if any.
        kill_group(pid);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id() as libc::pid_t;
            // SAFETY: as in `stop`.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let sent = Instant::now();
            while sent.elapsed() < STOP_TIMEOUT {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
            kill_group(pid);
            let _ = child.wait();
        }
    }
}

/// SIGKILL to the process group `pgid` (which this module created with
/// `process_group(0)`, so it holds only the server and its workers).
fn kill_group(pgid: libc::pid_t) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
}

fn server_command(
    kind: ServerKind,
    venv: &Path,
    endpoint: &Endpoint,
    access_log: &Path,
) -> Command {
    // Both take `host:port`; gunicorn wants `unix:` before a socket path,
    // uwsgi takes the bare path.
    let bind = match (endpoint, kind.is_uwsgi()) {
        (Endpoint::Tcp(addr), _) => addr.to_string(),
        (Endpoint::Unix(path), true) => path.display().to_string(),
        (Endpoint::Unix(path), false) => format!("unix:{}", path.display()),
    };
    let access_log = access_log.display().to_string();
    if kind.is_uwsgi() {
        let mut command = Command::new(venv.join("bin/uwsgi"));
        let socket = if kind == ServerKind::UwsgiKeepAlive {
            "--http11-socket"
        } else {
            "--http-socket"
        };
        command
            .args([socket, &bind])
            .args(["--module", "shop.wsgi:application"])
            .arg("--chdir")
            .arg(project_dir())
            .arg("--home")
            .arg(venv)
            .args(["--master", "--processes", "2", "--threads", "2"])
            .args([
                "--die-on-term",
                "--need-app",
                "--strict",
                "--single-interpreter",
            ])
            // Keep-alive connections may idle while the agent starts.
            .args(["--socket-timeout", "120"])
            .args(["--req-logger", &format!("file:{access_log}")])
            .args(["--logformat", UWSGI_ACCESS_FORMAT]);
        return command;
    }
    let mut command = Command::new(venv.join("bin/gunicorn"));
    command
        .arg("--chdir")
        .arg(project_dir())
        .args(["--bind", &bind])
        .args(["--workers", &kind.workers().to_string()])
        // Keep-alive connections may idle while the agent starts; a sync worker
        // waiting for a slow client must not be killed meanwhile.
        .args([
            "--keep-alive",
            "120",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
        ])
        .args(["--access-logfile", &access_log])
        .args(["--access-logformat", GUNICORN_ACCESS_FORMAT]);
    match kind {
        ServerKind::GunicornGthread => {
            command.args(["--worker-class", "gthread", "--threads", "4"]);
        }
        _ => {
            command.args(["--worker-class", "sync"]);
        }
    }
    command.arg(if kind == ServerKind::Backend {
        "backend:application"
    } else {
        "shop.wsgi:application"
    });
    command
}

/// The processes whose parent is `pid`, from /proc.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut children: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| parent_of(p) == Some(pid))
        .collect();
    children.sort_unstable();
    children
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The comm, in parentheses, may hold spaces: fields follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gunicorn_and_uwsgi_access_lines() {
        let gunicorn = AccessRecord::parse(
            r#"sonde-access pid=<5910> rid=77 status=404 us=2146 line="GET /items/0?n=3&q=a+b HTTP/1.1""#,
        )
        .unwrap();
        assert_eq!(
            gunicorn,
            AccessRecord {
                pid: 5910,
                request_id: Some(77),
                status: 404,
                duration: Duration::from_micros(2146),
                method: "GET".into(),
                target: "/items/0?n=3&q=a+b".into(),
            }
        );
        let uwsgi = AccessRecord::parse(
            r#"sonde-access pid=6015 rid=- status=200 us=1930 line="POST /upload HTTP/1.1""#,
        )
        .unwrap();
        assert_eq!(uwsgi.pid, 6015);
        assert_eq!(uwsgi.request_id, None);
        assert_eq!(uwsgi.duration, Duration::from_micros(1930));
        assert_eq!(uwsgi.method, "POST");
        assert_eq!(
            AccessRecord::parse("[INFO] Booting worker with pid: 1"),
            None
        );
        assert_eq!(
            AccessRecord::parse(
                r#"sonde-access pid=<1> rid=1 status=x us=1 line="GET / HTTP/1.1""#
            ),
            None
        );
    }

    #[test]
    fn finds_own_children() {
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        let found = children_of(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&child.id()), "{found:?}");
    }
}
