//! The database of `bench sql`: PostgreSQL 15 from Debian's packages, in a
//! directory of the benchmark's scratch space, run as the `postgres` system
//! user (it refuses root), listening on a free loopback port and on a Unix
//! socket in that directory, trusting every local client; stopped on drop.

use std::{
    ffi::OsStr,
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use anyhow::{ensure, Context, Result};

use super::{
    cgroup::Cgroup,
    system::{self, Daemon},
};

/// Where Debian's PostgreSQL 15 keeps its programs.
pub const BINDIR: &str = "/usr/lib/postgresql/15/bin";
/// What installs them (pgbench is in postgresql-contrib on older releases).
pub const PACKAGES: &str = "apt-get install -y postgresql postgresql-contrib";
/// The system user the server runs as, and the database superuser.
pub const USER: &str = "postgres";
/// The database pgbench fills and queries.
pub const DATABASE: &str = "postgres";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A program of [`BINDIR`], or an error naming the packages.
pub fn program(name: &str) -> Result<PathBuf> {
    let path = Path::new(BINDIR).join(name);
    ensure!(path.is_file(), "{} is missing: {PACKAGES}", path.display());
    Ok(path)
}

/// `program` run as [`USER`] (setpriv drops root, then execs it).
fn as_user(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new("setpriv");
    command
        .arg(format!("--reuid={USER}"))
        .arg(format!("--regid={USER}"))
        .args(["--init-groups", "--"])
        .arg(program);
    command
}

/// The settings the server starts with: loopback and `socket_dir` only, and
/// no durability (a throwaway cluster; select-only runs write nothing anyway).
pub fn settings(port: u16, socket_dir: &Path) -> Vec<String> {
    vec![
        "listen_addresses=127.0.0.1".to_owned(),
        format!("port={port}"),
        format!("unix_socket_directories={}", socket_dir.display()),
        "fsync=off".to_owned(),
        "synchronous_commit=off".to_owned(),
        "full_page_writes=off".to_owned(),
        // Scale 10 is about 160 MB: it all stays in shared buffers.
        "shared_buffers=256MB".to_owned(),
        "max_connections=50".to_owned(),
    ]
}

/// A running PostgreSQL server; stopped (fast shutdown) on drop.
#[derive(Debug)]
pub struct Postgres {
    daemon: Daemon,
    port: u16,
    /// Data, socket and log.
    dir: PathBuf,
}

impl Postgres {
    /// initdb in `dir` (created, and given to [`USER`]), then the server in
    /// `cgroup`, waiting until it accepts connections.
    pub fn start(dir: &Path, cgroup: &Cgroup) -> Result<Postgres> {
        let initdb = program("initdb")?;
        let server = program("postgres")?;
        let isready = program("pg_isready")?;
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let owner = format!("{USER}:{USER}");
        system::output(Command::new("chown").arg(owner).arg(dir), "coreutils")?;
        let data = dir.join("data");
        system::output(
            as_user(&initdb)
                .arg("-D")
                .arg(&data)
                .args(["-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C"])
                .args(["--no-sync", "--no-instructions"]),
            PACKAGES,
        )?;

        let port = system::free_port()?;
        // `sh` enters the cgroup as root, then setpriv drops to the user.
        let mut command = cgroup.command("setpriv");
        command
            .args(as_user(&server).get_args())
            .arg("-D")
            .arg(&data);
        for setting in settings(port, dir) {
            command.arg("-c").arg(setting);
        }
        // SIGINT is the fast shutdown: open sessions are cut.
        let log = dir.join("postgres.log");
        let mut daemon = Daemon::spawn("postgres", &mut command, &log, "INT")?;
        daemon.wait_ready(START_TIMEOUT, || {
            let status = Command::new(&isready)
                .arg("-q")
                .arg("-h")
                .arg(dir)
                .args(["-p", &port.to_string()])
                .status();
            match status {
                Ok(status) if status.success() => Ok(()),
                Ok(status) => Err(format!("pg_isready: {status}")),
                Err(error) => Err(format!("pg_isready: {error}")),
            }
        })?;
        Ok(Postgres {
            daemon,
            port,
            dir: dir.to_owned(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of its Unix socket (libpq's "host" for it).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// Fails with the server's log if it is no longer running.
    pub fn check_running(&mut self) -> Result<()> {
        self.daemon.check_running()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listens_on_loopback_and_its_own_socket_only() {
        let settings = settings(5999, Path::new("/tmp/pg"));
        assert!(settings.contains(&"listen_addresses=127.0.0.1".to_owned()));
        assert!(settings.contains(&"port=5999".to_owned()));
        assert!(settings.contains(&"unix_socket_directories=/tmp/pg".to_owned()));
    }

    #[test]
    fn drops_root_for_the_postgres_user() {
        let command = as_user("/usr/lib/postgresql/15/bin/initdb");
        assert_eq!(command.get_program(), "setpriv");
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(
            args,
            [
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
                "/usr/lib/postgresql/15/bin/initdb"
            ]
        );
    }
}
