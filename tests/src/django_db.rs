//! The Django test app with a database (issue 4): `shop.settings_db` under the
//! servers of [`crate::django`], against the PostgreSQL, MariaDB and Redis of
//! [`crate::databases`], with one of three drivers ([`Driver`]); its /db/
//! views ([`View`]); and the query log its middleware writes, one JSON line
//! per request ([`QueryRecord`]): the truth the agent's database spans are
//! compared with.
//!
//! What Django logs is not all that crosses the wire: transaction control,
//! connection set-up and health checks that the drivers send themselves are
//! not in [`QueryRecord::sql`] (see tests/tests/db/main.rs).

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
    process::{self, Command},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, PoisonError, Weak,
    },
    thread,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    client::Request,
    command::output_within,
    databases::{self, Databases, Transport, DB_NAME, DB_PASSWORD, DB_USER},
    django::{self, App, Server, ServerKind},
    paths::TempDir,
};

/// The settings module of the app with a database.
pub const SETTINGS_MODULE: &str = "shop.settings_db";
/// The e-mail [`View::Transaction`] posts: it reaches the database inside an
/// INSERT (as a literal in Django's log; as a bound parameter on the wire
/// with psycopg 3's server-side binding).
pub const CANARY_EMAIL: &str = "sonde-canary-5e1d@shop.invalid";
/// The seed data (`python -m django setup_db`): customers 1 to 20, orders 1
/// to 40 (order i belongs to customer (i - 1) % 20 + 1).
pub const SEED_CUSTOMERS: u64 = 20;
pub const SEED_ORDERS: u64 = 40;
/// The orders /db/n-plus-one lists (then one query for each one's customer).
pub const LISTED_ORDERS: usize = 20;
/// The statement of /db/error.
pub const ERROR_SQL: &str = "SELECT * FROM sonde_no_such_table";
/// The key /db/cached keeps the order count under, after the cache's prefix
/// and version: Redis has it as `<prefix>:1:order-count`.
pub const CACHED_KEY: &str = "order-count";
/// How long `setup_db` (migrate and seed) may take.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(120);

/// The database driver Django uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Driver {
    /// PostgreSQL through psycopg2 (client-side parameters, simple query
    /// protocol), forced although psycopg 3 is installed.
    Psycopg2,
    /// PostgreSQL through psycopg 3 with `server_side_binding`: the extended
    /// protocol, parameters bound by the server.
    Psycopg3,
    /// MariaDB through mysqlclient (`MySQLdb`, libmariadb): text protocol,
    /// parameters interpolated by the client.
    Mysqlclient,
}

impl Driver {
    pub const ALL: [Driver; 3] = [Driver::Psycopg2, Driver::Psycopg3, Driver::Mysqlclient];

    pub fn name(self) -> &'static str {
        match self {
            Driver::Psycopg2 => "psycopg2",
            Driver::Psycopg3 => "psycopg3",
            Driver::Mysqlclient => "mysqlclient",
        }
    }

    /// The value of `SONDE_TEST_DB` that selects it.
    pub fn setting(self) -> &'static str {
        match self {
            Driver::Psycopg2 => "postgresql-psycopg2",
            Driver::Psycopg3 => "postgresql-psycopg3",
            Driver::Mysqlclient => "mysql",
        }
    }

    /// The Python module Django's backend loaded (`QueryRecord::driver`).
    pub fn module(self) -> &'static str {
        match self {
            Driver::Psycopg2 => "psycopg2",
            Driver::Psycopg3 => "psycopg",
            Driver::Mysqlclient => "MySQLdb",
        }
    }

    pub fn is_postgres(self) -> bool {
        matches!(self, Driver::Psycopg2 | Driver::Psycopg3)
    }

    /// The TCP address of its server in `dbs`.
    pub fn server_addr(self, dbs: &Databases) -> std::net::SocketAddr {
        if self.is_postgres() {
            dbs.postgres.addr()
        } else {
            dbs.mariadb.addr()
        }
    }
}

/// How the app reaches its database and cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbConfig {
    pub driver: Driver,
    /// For the database and Redis alike.
    pub transport: Transport,
    /// Django's `CONN_MAX_AGE` in seconds: 0 opens and closes a connection
    /// in every request that queries.
    pub conn_max_age: u32,
}

impl DbConfig {
    /// Over TCP, a connection per request.
    pub fn new(driver: Driver) -> DbConfig {
        DbConfig {
            driver,
            transport: Transport::Tcp,
            conn_max_age: 0,
        }
    }

    pub fn over(self, transport: Transport) -> DbConfig {
        DbConfig { transport, ..self }
    }

    pub fn with_conn_max_age(self, seconds: u32) -> DbConfig {
        DbConfig {
            conn_max_age: seconds,
            ..self
        }
    }

    /// The environment `shop.settings_db` reads (see its docstring).
    pub fn env(
        &self,
        dbs: &Databases,
        query_log: &Path,
        cache_prefix: &str,
    ) -> Vec<(String, String)> {
        let (host, port) = match (self.driver.is_postgres(), self.transport) {
            (true, Transport::Tcp) => ("127.0.0.1".to_owned(), dbs.postgres.port().to_string()),
            (true, Transport::Unix) => (
                dbs.postgres.socket_dir().display().to_string(),
                dbs.postgres.port().to_string(),
            ),
            (false, Transport::Tcp) => ("127.0.0.1".to_owned(), dbs.mariadb.port().to_string()),
            (false, Transport::Unix) => (
                dbs.mariadb.socket_path().display().to_string(),
                String::new(),
            ),
        };
        [
            ("SONDE_TEST_DB", self.driver.setting().to_owned()),
            ("SONDE_TEST_DB_HOST", host),
            ("SONDE_TEST_DB_PORT", port),
            ("SONDE_TEST_DB_NAME", DB_NAME.to_owned()),
            ("SONDE_TEST_DB_USER", DB_USER.to_owned()),
            ("SONDE_TEST_DB_PASSWORD", DB_PASSWORD.to_owned()),
            ("SONDE_TEST_CONN_MAX_AGE", self.conn_max_age.to_string()),
            ("SONDE_TEST_REDIS_URL", dbs.redis.url(self.transport)),
            ("SONDE_TEST_CACHE_PREFIX", cache_prefix.to_owned()),
            ("SONDE_TEST_QUERY_LOG", query_log.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

impl fmt::Display for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} over {}, CONN_MAX_AGE={}",
            self.driver.name(),
            self.transport.name(),
            self.conn_max_age
        )
    }
}

/// The /db/ views, each with a known number of queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// `GET /db/one`: 1 query.
    One,
    /// `GET /db/ten`: 10 queries, one statement with ids 1 to 10.
    Ten,
    /// `GET /db/n-plus-one`: 1 query for 20 orders, then 20 for their
    /// customers (identical once normalized): 21.
    NPlusOne,
    /// `POST /db/transaction` with `email=`[`CANARY_EMAIL`]: in
    /// `transaction.atomic()`, 3 writes (INSERT customer, INSERT order,
    /// UPDATE counter); Django logs them between `BEGIN` and `COMMIT`: 5.
    Transaction,
    /// `GET /db/error`: [`ERROR_SQL`] fails, 500; 1 query.
    Error,
    /// `GET /db/cached`: the order count through Redis (`get_or_set`): on a
    /// miss 1 query and the commands GET, SET, GET; on a hit 0 and GET.
    Cached,
}

impl View {
    pub const ALL: [View; 6] = [
        View::One,
        View::Ten,
        View::NPlusOne,
        View::Transaction,
        View::Error,
        View::Cached,
    ];

    pub fn path(self) -> &'static str {
        match self {
            View::One => "/db/one",
            View::Ten => "/db/ten",
            View::NPlusOne => "/db/n-plus-one",
            View::Transaction => "/db/transaction",
            View::Error => "/db/error",
            View::Cached => "/db/cached",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            View::Error => 500,
            _ => 200,
        }
    }

    /// The request that drives it (the route is the path: no parameters).
    pub fn request(self) -> Request {
        match self {
            View::Transaction => Request::post_form(
                self.path(),
                self.path(),
                self.status(),
                &format!("email={}", CANARY_EMAIL.replace('@', "%40")),
            ),
            _ => Request::get(self.path(), self.path(), self.status()),
        }
    }

    /// The statements Django logs for one request (for /db/cached: on a
    /// miss; a hit logs none).
    pub fn queries(self) -> usize {
        match self {
            View::One | View::Error | View::Cached => 1,
            View::Ten => 10,
            View::NPlusOne => 1 + LISTED_ORDERS,
            View::Transaction => 5,
        }
    }

    /// INSERT, UPDATE and DELETE statements among [`View::queries`].
    pub fn writes(self) -> usize {
        match self {
            View::Transaction => 3,
            _ => 0,
        }
    }
}

/// One line of the query log: what one request did, as Django and redis-py
/// saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRecord {
    /// The `X-Sonde-Request` header, if the request had one.
    pub request_id: Option<u64>,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The worker process, and the thread (`threading.get_native_id()`,
    /// the kernel's tid) that ran the view.
    pub pid: u32,
    pub thread_id: u32,
    /// The module of Django's backend: `psycopg2`, `psycopg` or `MySQLdb`.
    pub driver: String,
    /// Whether Django opened a database connection during the request.
    pub connected: bool,
    /// Statements Django logged while opening that connection (MariaDB: the
    /// server-variable query on a thread's first connection, then `SET
    /// SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED`; PostgreSQL: none).
    pub setup_sql: Vec<String>,
    /// `sql.len()`: the view's statements.
    pub queries: usize,
    /// The view's statements as Django logs them (`connection.queries`):
    /// parameters interpolated; `BEGIN` and `COMMIT` of `atomic()` included.
    pub sql: Vec<String>,
    /// Redis commands the cache sent (`cache_commands.len()`).
    pub cache_calls: usize,
    pub cache_commands: Vec<String>,
}

impl QueryRecord {
    /// Parses one line of the query log; `None` if it is not one.
    pub fn parse(line: &str) -> Option<QueryRecord> {
        let value: Value = serde_json::from_str(line).ok()?;
        let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
        let number = |key: &str| value.get(key)?.as_u64();
        let texts = |key: &str| -> Option<Vec<String>> {
            value
                .get(key)?
                .as_array()?
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        Some(QueryRecord {
            request_id: value.get("request_id").and_then(Value::as_u64),
            method: text("method")?,
            path: text("path")?,
            status: u16::try_from(number("status")?).ok()?,
            pid: u32::try_from(number("pid")?).ok()?,
            thread_id: u32::try_from(number("thread_id")?).ok()?,
            driver: text("driver")?,
            connected: value.get("connected")?.as_bool()?,
            setup_sql: texts("setup_sql")?,
            queries: usize::try_from(number("queries")?).ok()?,
            sql: texts("sql")?,
            cache_calls: usize::try_from(number("cache_calls")?).ok()?,
            cache_commands: texts("cache_commands")?,
        })
    }

    /// The view's INSERT, UPDATE and DELETE statements.
    pub fn writes(&self) -> usize {
        self.sql
            .iter()
            .filter(|sql| {
                let head = sql.trim_start().to_ascii_uppercase();
                ["INSERT", "UPDATE", "DELETE"]
                    .iter()
                    .any(|w| head.starts_with(w))
            })
            .count()
    }

    /// [`QueryRecord::sql`] normalized ([`normalize_sql`]).
    pub fn normalized(&self) -> Vec<String> {
        self.sql.iter().map(|s| normalize_sql(s)).collect()
    }
}

/// A statement with its literals (quoted strings, numbers) and placeholders
/// (`$1`, `%s`) replaced by `?` and its whitespace collapsed, the way a query
/// digest groups statements.
pub fn normalize_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    // Whether the previous character belongs to a word (so a digit is part
    // of an identifier, not a number).
    let mut in_word = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                while let Some(c) = chars.next() {
                    if c == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
                out.push('?');
                in_word = false;
            }
            '%' if chars.peek() == Some(&'s') => {
                chars.next();
                out.push('?');
                in_word = false;
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('?');
                in_word = false;
            }
            c if c.is_ascii_digit() && !in_word => {
                while chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    chars.next();
                }
                out.push('?');
                in_word = false;
            }
            c if c.is_whitespace() => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                in_word = false;
            }
            c => {
                out.push(c);
                in_word = c.is_alphanumeric() || c == '_';
            }
        }
    }
    out.trim_end().to_owned()
}

/// Runs `python -m django setup_db` for `driver`'s database: migrate, then
/// the seed data (once). Panics with its output when it fails.
pub fn migrate_and_seed(dbs: &Databases, driver: Driver) {
    let venv = django::venv();
    let env = DbConfig::new(driver).env(dbs, Path::new("/dev/null"), "setup");
    let mut command = Command::new(venv.join("bin/python"));
    command
        .args(["-m", "django", "setup_db"])
        .current_dir(django::project_dir())
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .env("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .envs(env);
    let output = output_within(&mut command, SETUP_TIMEOUT);
    assert!(
        output.status.success(),
        "setup_db for {} failed ({}):\n{}{}",
        driver.name(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The three servers started, with both databases migrated and seeded.
pub fn start_databases() -> Databases {
    let started = Instant::now();
    let dbs = Databases::start();
    let up = started.elapsed();
    thread::scope(|scope| {
        let postgres = scope.spawn(|| migrate_and_seed(&dbs, Driver::Psycopg2));
        migrate_and_seed(&dbs, Driver::Mysqlclient);
        databases::join(postgres);
    });
    eprintln!(
        "sonde-tests: PostgreSQL, MariaDB and Redis up in {up:.1?}, migrated and seeded in {:.1?}",
        started.elapsed()
    );
    dbs
}

/// The servers of [`start_databases`], shared by the tests of a process that
/// run at the same time: started by the first, stopped when the last lets go.
pub fn shared_databases() -> Arc<Databases> {
    static SHARED: Mutex<Weak<Databases>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(dbs) = shared.upgrade() {
        return dbs;
    }
    let dbs = Arc::new(start_databases());
    *shared = Arc::downgrade(&dbs);
    dbs
}

/// The app with a database under a server, with its own query log and cache
/// key prefix. The server's warm-up also sends /db/one from every client
/// slot (so with `CONN_MAX_AGE` > 0 the threads it reached hold a connection).
#[derive(Debug)]
pub struct DbServer {
    server: Server,
    config: DbConfig,
    query_log: PathBuf,
    cache_prefix: String,
    _dir: TempDir,
}

impl DbServer {
    pub fn start(kind: ServerKind, dbs: &Databases, config: DbConfig) -> DbServer {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = TempDir::new(&format!("sonde-db-{}", config.driver.name()));
        let query_log = dir.path().join("queries.jsonl");
        let cache_prefix = format!(
            "sonde-{}-{}",
            process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let app = App {
            settings_module: SETTINGS_MODULE.into(),
            env: config.env(dbs, &query_log, &cache_prefix),
            warm_up: vec![View::One.request()],
        };
        let server = Server::start_app(kind, &app);
        DbServer {
            server,
            config,
            query_log,
            cache_prefix,
            _dir: dir,
        }
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    pub fn server_mut(&mut self) -> &mut Server {
        &mut self.server
    }

    pub fn config(&self) -> DbConfig {
        self.config
    }

    /// The cache's `KEY_PREFIX`, unique to this server.
    pub fn cache_prefix(&self) -> &str {
        &self.cache_prefix
    }

    /// The Redis key of /db/cached's value.
    pub fn cached_key(&self) -> String {
        format!("{}:1:{CACHED_KEY}", self.cache_prefix)
    }

    pub fn query_log_path(&self) -> &Path {
        &self.query_log
    }

    /// Every record so far (the warm-up's included), in the order written.
    pub fn query_log(&self) -> Vec<QueryRecord> {
        std::fs::read_to_string(&self.query_log)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                QueryRecord::parse(line).unwrap_or_else(|| {
                    panic!(
                        "a line of {} is not a query record: {line}",
                        self.query_log.display()
                    )
                })
            })
            .collect()
    }

    /// The records of the requests numbered `ids` (and no others), by
    /// number, once all are written. Panics after 15 s, or if a number has
    /// two records.
    pub fn query_records(&self, ids: &[u64]) -> BTreeMap<u64, QueryRecord> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut by_id = BTreeMap::new();
            for record in self.query_log() {
                if let Some(id) = record.request_id {
                    if let Some(old) = by_id.insert(id, record) {
                        panic!("request {id} has two query records, one is {old:?}");
                    }
                }
            }
            let missing: Vec<u64> = ids
                .iter()
                .copied()
                .filter(|id| !by_id.contains_key(id))
                .collect();
            if missing.is_empty() {
                by_id.retain(|id, _| ids.contains(id));
                return by_id;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {} requests have no record in {} ({}), e.g. {:?}; server output:\n{}",
                missing.len(),
                ids.len(),
                self.query_log.display(),
                self.config,
                &missing[..missing.len().min(10)],
                self.server.output()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_literals_and_placeholders() {
        assert_eq!(
            normalize_sql("SELECT \"t1\".\"id\" FROM \"t1\"  WHERE \"t1\".\"id\" = 17 LIMIT 21"),
            "SELECT \"t1\".\"id\" FROM \"t1\" WHERE \"t1\".\"id\" = ? LIMIT ?"
        );
        assert_eq!(
            normalize_sql("INSERT INTO x (a, b) VALUES ('it''s', 2.5) RETURNING x.id"),
            "INSERT INTO x (a, b) VALUES (?, ?) RETURNING x.id"
        );
        assert_eq!(
            normalize_sql("UPDATE c SET v = (v + $1) WHERE n = %s"),
            "UPDATE c SET v = (v + ?) WHERE n = ?"
        );
    }

    #[test]
    fn parses_a_query_record() {
        let line = r#"{"request_id":7,"method":"POST","path":"/db/transaction","status":200,"pid":10,"thread_id":11,"driver":"MySQLdb","connected":true,"setup_sql":["SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"],"queries":5,"sql":["BEGIN","INSERT INTO a VALUES (1)","INSERT INTO b VALUES (2)","UPDATE c SET v = v + 1","COMMIT"],"cache_calls":0,"cache_commands":[]}"#;
        let record = QueryRecord::parse(line).unwrap();
        assert_eq!(record.request_id, Some(7));
        assert_eq!((record.pid, record.thread_id, record.status), (10, 11, 200));
        assert_eq!(record.queries, 5);
        assert_eq!(record.writes(), 3);
        assert_eq!(record.setup_sql.len(), 1);
        let anonymous = line.replace(r#""request_id":7"#, r#""request_id":null"#);
        assert_eq!(QueryRecord::parse(&anonymous).unwrap().request_id, None);
        assert_eq!(QueryRecord::parse("{}"), None);
        assert_eq!(QueryRecord::parse("not json"), None);
    }

    #[test]
    fn views_post_the_canary() {
        let request = View::Transaction.request();
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.form.as_deref(),
            Some("email=sonde-canary-5e1d%40shop.invalid")
        );
        assert_eq!(View::NPlusOne.queries(), 21);
    }
}
