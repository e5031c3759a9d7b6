//! Real database servers for the database tests (issue 4): PostgreSQL 15,
//! MariaDB and Redis, each in its own temp dir, listening on a free loopback
//! port AND on a Unix socket in that dir, in its own process group, stopped on
//! drop.
//!
//! PostgreSQL and MariaDB run as their system users (`postgres`, `mysql`) when
//! the tests run as root (PostgreSQL refuses root), as the current user
//! otherwise. Each has a database [`DB_NAME`] owned by [`DB_USER`], whose
//! password [`DB_PASSWORD`] is checked over TCP and over the socket alike
//! (PostgreSQL: scram-sha-256 everywhere; MariaDB: `mysql_native_password`).
//! Redis runs without persistence and without a password.
//!
//! The servers log what reached them, for tests that compare with the wire:
//! PostgreSQL every statement, connection and disconnection
//! ([`Postgres::log`]), MariaDB its general query log ([`MariaDb::general_log`]).
//!
//! A missing server binary fails the test with the package to install.

use std::{
    collections::HashSet,
    ffi::CString,
    fs::{self, File},
    io::{BufRead, BufReader, Write},
    net::{Ipv4Addr, SocketAddr, TcpStream},
    os::unix::{fs::chown, net::UnixStream, process::CommandExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use crate::{agent::free_port, command::output_within, paths::TempDir};

/// The database the app uses, on both servers.
pub const DB_NAME: &str = "shop";
/// The app's database user, on both servers.
pub const DB_USER: &str = "sonde";
/// [`DB_USER`]'s password.
pub const DB_PASSWORD: &str = "sonde-test-password";
/// The PostgreSQL superuser's password (user `postgres`).
pub const PG_SUPERUSER_PASSWORD: &str = "sonde-test-superuser";
/// Where Debian's PostgreSQL 15 keeps its server binaries; [`PG_BINDIR_ENV`]
/// overrides it.
pub const DEFAULT_PG_BINDIR: &str = "/usr/lib/postgresql/15/bin";
pub const PG_BINDIR_ENV: &str = "SONDE_TEST_PG_BINDIR";
/// How long a server may take to accept its first client.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long [`Postgres::stop`] and the others wait before SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);

const PG_PACKAGE: &str = "postgresql-15 (apt-get install postgresql)";
const MARIADB_PACKAGE: &str = "mariadb-server (apt-get install mariadb-server)";
const REDIS_PACKAGE: &str = "redis-server (apt-get install redis-server)";

/// How a client reaches a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// The server's loopback port.
    Tcp,
    /// The server's Unix socket.
    Unix,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Unix => "unix",
        }
    }
}

/// Panics, naming the package to install, unless `path` is a file.
pub fn require_binary(path: &Path, package: &str) -> PathBuf {
    assert!(
        path.is_file(),
        "{} is missing: install {package}",
        path.display()
    );
    path.to_path_buf()
}

/// The first of `names` found on PATH (or as /usr/sbin, /usr/bin), or a panic
/// naming `package`.
fn find_binary(names: &[&str], package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/sbin", "/usr/bin", "/sbin"].map(PathBuf::from));
    for name in names {
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("none of {names:?} is installed: install {package}");
}

/// A system user that a server runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunAs {
    uid: u32,
    gid: u32,
}

/// The system user `name` when this process is root (servers drop to it),
/// `None` otherwise (servers run as the current user).
fn service_user(name: &str, package: &str) -> Option<RunAs> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let c_name = CString::new(name).expect("a user name without NUL");
    // SAFETY: passwd is plain data; getpwnam_r fills it and points its strings
    // into `buf`, which outlives the call; only the ids are read.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the sizes given.
    let rc = unsafe {
        libc::getpwnam_r(
            c_name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    assert!(
        rc == 0 && !result.is_null(),
        "the system user `{name}` does not exist (its package creates it): install {package}"
    );
    Some(RunAs {
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
    })
}

fn run_as(command: &mut Command, user: Option<RunAs>) -> &mut Command {
    if let Some(user) = user {
        command.uid(user.uid).gid(user.gid);
    }
    command
}

fn give_to(path: &Path, user: Option<RunAs>) {
    if let Some(user) = user {
        chown(path, Some(user.uid), Some(user.gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }
}

/// Runs a setup command to completion; panics with its output if it fails.
fn run_setup(what: &str, command: &mut Command) -> String {
    let output = output_within(command, READY_TIMEOUT);
    assert!(
        output.status.success(),
        "{what} failed ({}): {command:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The last `n` lines of a file, for failure messages.
fn tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A server process in its own process group, with its output in a file.
#[derive(Debug)]
struct Daemon {
    name: &'static str,
    child: Option<Child>,
    /// Where its diagnostics go (stdout and stderr, or its own error log).
    log: PathBuf,
    /// The signal that shuts it down quickly.
    stop_signal: libc::c_int,
}

impl Daemon {
    fn spawn(
        name: &'static str,
        command: &mut Command,
        output: &Path,
        log: PathBuf,
        stop_signal: libc::c_int,
    ) -> Daemon {
        let file = File::create(output).expect("create the server's output file");
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("dup the output file"))
            .stderr(file)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        Daemon {
            name,
            child: Some(child),
            log,
            stop_signal,
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    /// Panics with the end of its log if it has exited.
    fn assert_running(&mut self, doing: &str) {
        if let Some(status) = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            panic!(
                "{} exited with {status} while {doing}; the end of {}:\n{}",
                self.name,
                self.log.display(),
                tail(&self.log, 40)
            );
        }
    }

    /// Retries `probe` until it succeeds, the server exits, or
    /// [`READY_TIMEOUT`] passes.
    fn wait_ready(&mut self, mut probe: impl FnMut() -> Result<(), String>) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            self.assert_running("starting");
            let last = match probe() {
                Ok(()) => return,
                Err(e) => e,
            };
            assert!(
                Instant::now() < deadline,
                "{} not ready after {READY_TIMEOUT:?} ({last}); the end of {}:\n{}",
                self.name,
                self.log.display(),
                tail(&self.log, 40)
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The stop signal, then SIGKILL to the process group after
    /// [`STOP_TIMEOUT`]; `true` if it had been running until then.
    fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let pid = child.id() as libc::pid_t;
        let was_running = matches!(child.try_wait(), Ok(None));
        if was_running {
            // SAFETY: kill has no memory-safety preconditions; the child is not reaped.
            unsafe { libc::kill(pid, self.stop_signal) };
            let sent = Instant::now();
            while matches!(child.try_wait(), Ok(None)) && sent.elapsed() < STOP_TIMEOUT {
                thread::sleep(Duration::from_millis(20));
            }
        }
        // Whatever is left of the group (children of the server), then reap.
        // SAFETY: as above; the group was made by `process_group(0)`.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = child.wait();
        was_running
    }

    /// [`Daemon::stop`], panicking if the server had died before.
    fn stop_checked(&mut self) {
        if !self.stop() {
            panic!(
                "{} had exited before it was stopped; the end of {}:\n{}",
                self.name,
                self.log.display(),
                tail(&self.log, 40)
            );
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A PostgreSQL 15 server: `initdb` and `postgres` from [`DEFAULT_PG_BINDIR`].
#[derive(Debug)]
pub struct Postgres {
    daemon: Daemon,
    psql: PathBuf,
    port: u16,
    socket_dir: PathBuf,
    // Last: removed after the server stopped.
    dir: TempDir,
}

impl Postgres {
    /// The server's temp dir (data, socket, logs), removed after it stops.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// initdb (scram-sha-256 for every connection, no fsync), then
    /// `postgres` on a free port and a socket in its dir, with
    /// `log_statement=all`; then the role [`DB_USER`] and its database
    /// [`DB_NAME`]. About a second.
    pub fn start() -> Postgres {
        let bindir = match std::env::var_os(PG_BINDIR_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => PathBuf::from(DEFAULT_PG_BINDIR),
        };
        let initdb = require_binary(&bindir.join("initdb"), PG_PACKAGE);
        let server = require_binary(&bindir.join("postgres"), PG_PACKAGE);
        let psql = require_binary(&bindir.join("psql"), PG_PACKAGE);
        let user = service_user("postgres", PG_PACKAGE);

        let dir = TempDir::new("sonde-postgres");
        give_to(dir.path(), user);
        let data = dir.path().join("data");
        let password_file = dir.path().join("superuser-password");
        fs::write(&password_file, PG_SUPERUSER_PASSWORD).expect("write the password file");
        give_to(&password_file, user);
        run_setup(
            "initdb",
            run_as(Command::new(&initdb).arg("-D").arg(&data), user)
                .args(["-U", "postgres", "--auth=scram-sha-256", "-E", "UTF8"])
                .args(["--locale=C", "--no-sync", "--no-instructions"])
                .arg(format!("--pwfile={}", password_file.display())),
        );

        let port = free_port();
        let socket_dir = dir.path().to_path_buf();
        let log = dir.path().join("postgres.log");
        let mut command = Command::new(&server);
        run_as(&mut command, user).arg("-D").arg(&data);
        let settings = [
            "listen_addresses=127.0.0.1".to_owned(),
            format!("port={port}"),
            format!("unix_socket_directories={}", socket_dir.display()),
            // A throwaway cluster: no durability.
            "fsync=off".into(),
            "synchronous_commit=off".into(),
            "full_page_writes=off".into(),
            "shared_buffers=32MB".into(),
            "max_connections=200".into(),
            // UTC, as Django asks with USE_TZ: it then sends no SET TIME ZONE.
            "timezone=UTC".into(),
            "log_timezone=UTC".into(),
            "log_statement=all".into(),
            "log_connections=on".into(),
            "log_disconnections=on".into(),
            "log_line_prefix=%m [%p] %u@%d ".into(),
        ];
        for setting in settings {
            command.arg("-c").arg(setting);
        }
        let mut daemon = Daemon::spawn("postgres", &mut command, &log, log.clone(), libc::SIGINT);
        daemon.wait_ready(|| {
            try_run(&mut psql_command(
                &psql,
                &socket_dir,
                port,
                "postgres",
                "SELECT 1",
            ))
        });
        let postgres = Postgres {
            daemon,
            psql,
            port,
            socket_dir,
            dir,
        };
        postgres.superuser_sql(
            "postgres",
            &format!("CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD}'"),
        );
        postgres.superuser_sql(
            "postgres",
            &format!("CREATE DATABASE {DB_NAME} OWNER {DB_USER}"),
        );
        postgres
    }

    /// The TCP address (127.0.0.1 and the port).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of the Unix socket: what libpq and Django call the host.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The socket file itself, `.s.PGSQL.<port>` in [`Postgres::socket_dir`].
    pub fn socket_path(&self) -> PathBuf {
        self.socket_dir.join(format!(".s.PGSQL.{}", self.port))
    }

    /// The postmaster.
    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// The server's log: every statement (`statement:` for the simple query
    /// protocol, `execute <name>:` for the extended one, with a `DETAIL:
    /// parameters:` line), connection and disconnection, one `[pid]` (the
    /// backend) per session.
    pub fn log_path(&self) -> &Path {
        &self.daemon.log
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Runs `sql` in `database` as the superuser over the socket (with psql);
    /// returns the rows, unaligned and without headers. Panics on an error.
    pub fn superuser_sql(&self, database: &str, sql: &str) -> String {
        let mut command = psql_command(&self.psql, &self.socket_dir, self.port, database, sql);
        run_setup(&format!("psql -c {sql:?}"), &mut command)
            .trim_end()
            .to_owned()
    }

    /// Runs `sql` in [`DB_NAME`] as `user` with `password` over `transport`
    /// (psql); the rows, or psql's error.
    pub fn sql_as(
        &self,
        user: &str,
        password: &str,
        transport: Transport,
        sql: &str,
    ) -> Result<String, String> {
        let host = match transport {
            Transport::Tcp => "127.0.0.1".to_owned(),
            Transport::Unix => self.socket_dir.display().to_string(),
        };
        let mut command = psql_login(&self.psql, &host, self.port, (user, password), DB_NAME, sql);
        output_text(&mut command)
    }

    /// Fast shutdown (SIGINT: open sessions are cut); panics if the server
    /// had died before.
    pub fn stop(&mut self) {
        self.daemon.stop_checked();
    }
}

/// psql as the superuser over the socket, unaligned rows without headers.
fn psql_command(psql: &Path, socket_dir: &Path, port: u16, database: &str, sql: &str) -> Command {
    psql_login(
        psql,
        &socket_dir.display().to_string(),
        port,
        ("postgres", PG_SUPERUSER_PASSWORD),
        database,
        sql,
    )
}

fn psql_login(
    psql: &Path,
    host: &str,
    port: u16,
    (user, password): (&str, &str),
    database: &str,
    sql: &str,
) -> Command {
    let mut command = Command::new(psql);
    command
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .args([
            "-h",
            host,
            "-p",
            &port.to_string(),
            "-U",
            user,
            "-d",
            database,
        ])
        .args(["-c", sql])
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "5")
        .env_remove("PGSERVICE")
        .env_remove("PGPASSFILE");
    command
}

/// Runs a client command: its stdout, trimmed, or its stderr when it fails.
fn output_text(command: &mut Command) -> Result<String, String> {
    let output = output_within(command, Duration::from_secs(30));
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_owned())
    } else {
        Err(format!(
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Runs a probe command; `Err` with its stderr when it fails.
fn try_run(command: &mut Command) -> Result<(), String> {
    let output = output_within(command, Duration::from_secs(10));
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// A MariaDB server: `mariadb-install-db`, then `mariadbd`.
#[derive(Debug)]
pub struct MariaDb {
    daemon: Daemon,
    client: PathBuf,
    port: u16,
    socket: PathBuf,
    general_log: PathBuf,
    // Last: removed after the server stopped.
    dir: TempDir,
}

impl MariaDb {
    /// The server's temp dir (data, socket, logs), removed after it stops.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `mariadb-install-db` (root without a password, on the socket only),
    /// then `mariadbd` on a free port and a socket in its dir, with the general
    /// query log on; then the database [`DB_NAME`] and the user [`DB_USER`]
    /// (`@localhost` for the socket, `@127.0.0.1` for TCP). A few seconds.
    pub fn start() -> MariaDb {
        let install = find_binary(&["mariadb-install-db", "mysql_install_db"], MARIADB_PACKAGE);
        let server = find_binary(&["mariadbd", "mysqld"], MARIADB_PACKAGE);
        let client = find_binary(&["mariadb", "mysql"], MARIADB_PACKAGE);
        let user = service_user("mysql", MARIADB_PACKAGE);

        let dir = TempDir::new("sonde-mariadb");
        give_to(dir.path(), user);
        let data = dir.path().join("data");
        // InnoDB settings shared by the bootstrap and the server.
        let innodb = [
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
        ];
        run_setup(
            "mariadb-install-db",
            run_as(&mut Command::new(&install), user)
                // Must come first: ignore /etc/mysql.
                .arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
                .args(["--skip-name-resolve", "--skip-log-bin"])
                .args(innodb),
        );

        let port = free_port();
        let socket = dir.path().join("mysqld.sock");
        let general_log = dir.path().join("general.log");
        let error_log = dir.path().join("error.log");
        let mut command = Command::new(&server);
        run_as(&mut command, user)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", socket.display()))
            .arg(format!(
                "--pid-file={}",
                dir.path().join("mysqld.pid").display()
            ))
            .arg(format!("--tmpdir={}", dir.path().display()))
            .arg(format!("--log-error={}", error_log.display()))
            .arg("--general-log=1")
            .arg(format!("--general-log-file={}", general_log.display()))
            .args([
                "--skip-name-resolve",
                "--skip-log-bin",
                "--max-connections=200",
            ])
            .arg("--character-set-server=utf8mb4")
            .args(innodb);
        let output = dir.path().join("mariadbd.out");
        let mut daemon = Daemon::spawn("mariadbd", &mut command, &output, error_log, libc::SIGTERM);
        daemon.wait_ready(|| try_run(&mut mariadb_command(&client, &socket, "SELECT 1")));
        let mariadb = MariaDb {
            daemon,
            client,
            port,
            socket,
            general_log,
            dir,
        };
        mariadb.root_sql(&format!(
            "CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4; \
             CREATE USER '{DB_USER}'@'localhost' IDENTIFIED BY '{DB_PASSWORD}'; \
             CREATE USER '{DB_USER}'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}'; \
             GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'localhost'; \
             GRANT ALL ON {DB_NAME}.* TO '{DB_USER}'@'127.0.0.1';"
        ));
        mariadb
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The socket file (what Django's mysql backend takes as a host starting
    /// with `/`).
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// The general query log: every command each connection sent
    /// (`Connect`, `Query`, `Quit`, ...), numbered by connection id.
    pub fn general_log_path(&self) -> &Path {
        &self.general_log
    }

    pub fn general_log(&self) -> String {
        fs::read_to_string(&self.general_log).unwrap_or_default()
    }

    /// The server's error log.
    pub fn error_log_path(&self) -> &Path {
        &self.daemon.log
    }

    /// Runs `sql` as root over the socket (with the mariadb client); returns
    /// the rows, tab-separated, without headers. Panics on an error.
    pub fn root_sql(&self, sql: &str) -> String {
        let mut command = mariadb_command(&self.client, &self.socket, sql);
        run_setup(&format!("mariadb -e {sql:?}"), &mut command)
            .trim_end()
            .to_owned()
    }

    /// Runs `sql` in [`DB_NAME`] as `user` with `password` over `transport`
    /// (the mariadb client); the rows, or the client's error.
    pub fn sql_as(
        &self,
        user: &str,
        password: &str,
        transport: Transport,
        sql: &str,
    ) -> Result<String, String> {
        let mut command = Command::new(&self.client);
        command.arg("--no-defaults");
        match transport {
            Transport::Tcp => command
                .args(["--protocol=TCP", "--host=127.0.0.1"])
                .arg(format!("--port={}", self.port)),
            Transport::Unix => command.arg(format!("--socket={}", self.socket.display())),
        };
        command
            .arg(format!("--user={user}"))
            .arg(format!("--password={password}"))
            .arg(format!("--database={DB_NAME}"))
            .args([
                "--batch",
                "--skip-column-names",
                "--connect-timeout=5",
                "-e",
                sql,
            ]);
        output_text(&mut command)
    }

    /// SIGTERM (a clean shutdown); panics if the server had died before.
    pub fn stop(&mut self) {
        self.daemon.stop_checked();
    }
}

/// The mariadb client as root over the socket, tab-separated rows without headers.
fn mariadb_command(client: &Path, socket: &Path, sql: &str) -> Command {
    let mut command = Command::new(client);
    command
        .arg("--no-defaults")
        .arg(format!("--socket={}", socket.display()))
        .args(["--user=root", "--batch", "--skip-column-names"])
        .args(["--connect-timeout=5", "-e", sql]);
    command
}

/// A reply of Redis (RESP2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Integer(i64),
    /// `None` for the null bulk string.
    Bulk(Option<Vec<u8>>),
    /// `None` for the null array.
    Array(Option<Vec<Resp>>),
}

impl Resp {
    /// A bulk or simple string as text.
    pub fn text(&self) -> Option<String> {
        match self {
            Resp::Simple(s) => Some(s.clone()),
            Resp::Bulk(Some(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        }
    }

    /// The elements of an array reply, as text.
    pub fn texts(&self) -> Vec<String> {
        match self {
            Resp::Array(Some(items)) => items.iter().filter_map(Resp::text).collect(),
            _ => Vec::new(),
        }
    }

    fn read(reader: &mut impl BufRead) -> std::io::Result<Resp> {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, line.to_owned());
        let (kind, rest) = line.split_at_checked(1).ok_or_else(bad)?;
        let number = || rest.parse::<i64>().map_err(|_| bad());
        Ok(match kind {
            "+" => Resp::Simple(rest.into()),
            "-" => Resp::Error(rest.into()),
            ":" => Resp::Integer(number()?),
            "$" => match number()? {
                -1 => Resp::Bulk(None),
                len => {
                    let mut bytes = vec![0; len as usize + 2];
                    std::io::Read::read_exact(reader, &mut bytes)?;
                    bytes.truncate(len as usize);
                    Resp::Bulk(Some(bytes))
                }
            },
            "*" => match number()? {
                -1 => Resp::Array(None),
                len => Resp::Array(Some(
                    (0..len)
                        .map(|_| Resp::read(reader))
                        .collect::<std::io::Result<_>>()?,
                )),
            },
            _ => return Err(bad()),
        })
    }
}

/// A Redis server (`redis-server`, no persistence).
#[derive(Debug)]
pub struct Redis {
    daemon: Daemon,
    port: u16,
    socket: PathBuf,
    // Last: removed after the server stopped.
    dir: TempDir,
}

impl Redis {
    /// The server's temp dir (data, socket, logs), removed after it stops.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `redis-server` on a free port and a socket in its dir, with neither
    /// RDB snapshots nor an AOF.
    pub fn start() -> Redis {
        let server = find_binary(&["redis-server"], REDIS_PACKAGE);
        let dir = TempDir::new("sonde-redis");
        let port = free_port();
        let socket = dir.path().join("redis.sock");
        let log = dir.path().join("redis.log");
        let mut command = Command::new(server);
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--unixsocket")
            .arg(&socket)
            .args(["--unixsocketperm", "700"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .args(["--logfile", ""]);
        let mut daemon = Daemon::spawn(
            "redis-server",
            &mut command,
            &log,
            log.clone(),
            libc::SIGTERM,
        );
        daemon.wait_ready(|| {
            let stream =
                TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(|e| e.to_string())?;
            match redis_command(stream, &["PING"]) {
                Ok(Resp::Simple(pong)) if pong == "PONG" => Ok(()),
                other => Err(format!("PING: {other:?}")),
            }
        });
        Redis {
            daemon,
            port,
            socket,
            dir,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn socket_path(&self) -> &Path {
        &self.socket
    }

    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// The URL of database 0 for redis-py (and Django's RedisCache).
    pub fn url(&self, transport: Transport) -> String {
        match transport {
            Transport::Tcp => format!("redis://{}/0", self.addr()),
            Transport::Unix => format!("unix://{}?db=0", self.socket.display()),
        }
    }

    /// Sends one command on a new connection over `transport` and returns
    /// the reply. Panics on an I/O error.
    pub fn command_over(&self, transport: Transport, args: &[&str]) -> Resp {
        let reply = match transport {
            Transport::Tcp => {
                TcpStream::connect(self.addr()).and_then(|stream| redis_command(stream, args))
            }
            Transport::Unix => {
                UnixStream::connect(&self.socket).and_then(|stream| redis_command(stream, args))
            }
        };
        reply.unwrap_or_else(|e| panic!("redis {args:?} over {}: {e}", transport.name()))
    }

    /// [`Redis::command_over`] TCP.
    pub fn command(&self, args: &[&str]) -> Resp {
        self.command_over(Transport::Tcp, args)
    }

    /// SIGTERM; panics if the server had died before.
    pub fn stop(&mut self) {
        self.daemon.stop_checked();
    }
}

fn redis_command<S>(stream: S, args: &[&str]) -> std::io::Result<Resp>
where
    S: std::io::Read + Write,
{
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        request.extend_from_slice(arg.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    let mut reader = BufReader::new(stream);
    reader.get_mut().write_all(&request)?;
    Resp::read(&mut reader)
}

/// The three servers, started at once.
#[derive(Debug)]
pub struct Databases {
    pub postgres: Postgres,
    pub mariadb: MariaDb,
    pub redis: Redis,
}

impl Databases {
    /// Starts the three servers in parallel (a few seconds: MariaDB's
    /// bootstrap is the longest).
    pub fn start() -> Databases {
        thread::scope(|scope| {
            let postgres = scope.spawn(Postgres::start);
            let mariadb = scope.spawn(MariaDb::start);
            let redis = Redis::start();
            Databases {
                postgres: join(postgres),
                mariadb: join(mariadb),
                redis,
            }
        })
    }

    /// Stops the three; panics if any had died before.
    pub fn stop(&mut self) {
        self.postgres.stop();
        self.mariadb.stop();
        self.redis.stop();
    }
}

/// Joins a thread, passing its panic on.
pub(crate) fn join<T>(handle: thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// How many established TCP connections the processes `pids` hold to
/// `server` (from /proc: their socket fds, matched with /proc/net/tcp).
pub fn established_connections(pids: &[u32], server: SocketAddr) -> usize {
    let mut inodes = HashSet::new();
    for pid in pids {
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = fs::read_link(fd.path()) {
                if let Some(inode) = target
                    .to_str()
                    .and_then(|t| t.strip_prefix("socket:["))
                    .and_then(|t| t.strip_suffix(']'))
                    .and_then(|t| t.parse::<u64>().ok())
                {
                    inodes.insert(inode);
                }
            }
        }
    }
    let table = fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
    table
        .lines()
        .skip(1)
        .filter_map(parse_tcp_line)
        .filter(|(remote, state, inode)| {
            *remote == server && *state == TCP_ESTABLISHED && inodes.contains(inode)
        })
        .count()
}

const TCP_ESTABLISHED: u8 = 1;

/// (remote address, state, inode) of a /proc/net/tcp line.
fn parse_tcp_line(line: &str) -> Option<(SocketAddr, u8, u64)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (addr, port) = fields.get(2)?.split_once(':')?;
    // The address is the in-memory u32, printed in host (little-endian) order.
    let addr = u32::from_str_radix(addr, 16).ok()?;
    let ip = Ipv4Addr::from(addr.to_le_bytes());
    let port = u16::from_str_radix(port, 16).ok()?;
    let state = u8::from_str_radix(fields.get(3)?, 16).ok()?;
    let inode = fields.get(9)?.parse().ok()?;
    Some((SocketAddr::from((ip, port)), state, inode))
}

#[cfg(test)]
mod tests {
    use std::{io::Cursor, net::TcpListener};

    use super::*;

    #[test]
    #[should_panic(expected = "is missing: install postgresql-15 (apt-get install postgresql)")]
    fn a_missing_binary_names_its_package() {
        require_binary(Path::new("/nonexistent/initdb"), PG_PACKAGE);
    }

    #[test]
    fn parses_resp_replies() {
        let mut input =
            Cursor::new(b"*3\r\n$3\r\nabc\r\n$-1\r\n:42\r\n+OK\r\n-ERR no\r\n$0\r\n\r\n".to_vec());
        assert_eq!(
            Resp::read(&mut input).unwrap(),
            Resp::Array(Some(vec![
                Resp::Bulk(Some(b"abc".to_vec())),
                Resp::Bulk(None),
                Resp::Integer(42)
            ]))
        );
        assert_eq!(Resp::read(&mut input).unwrap().text().unwrap(), "OK");
        assert_eq!(
            Resp::read(&mut input).unwrap(),
            Resp::Error("ERR no".into())
        );
        assert_eq!(
            Resp::read(&mut input).unwrap(),
            Resp::Bulk(Some(Vec::new()))
        );
        assert!(Resp::read(&mut input).is_err());
    }

    #[test]
    fn parses_proc_net_tcp_lines() {
        let line = "   3: 0100007F:9C1E 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1";
        assert_eq!(
            parse_tcp_line(line),
            Some((
                SocketAddr::from((Ipv4Addr::LOCALHOST, 0x1F90)),
                TCP_ESTABLISHED,
                123456
            ))
        );
    }

    #[test]
    fn counts_own_connections() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let server = listener.local_addr().unwrap();
        let me = [std::process::id()];
        let before = established_connections(&me, server);
        let a = TcpStream::connect(server).unwrap();
        let b = TcpStream::connect(server).unwrap();
        // Both ends are ours; only the client ends have `server` as the remote.
        assert_eq!(established_connections(&me, server), before + 2);
        drop((a, b));
    }
}
