//! The observed service: the Django test app (tests/django) under gunicorn
//! with sync workers, in its own process group.

use std::{
    env,
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use anyhow::{bail, Result};

use super::{
    cgroup::Cgroup,
    openloop,
    system::{self, Daemon},
};
use crate::{paths, process};

/// Where `tests/django/setup.sh` puts the venv unless `SONDE_TEST_VENV` says.
const DEFAULT_VENV: &str = "/opt/sonde-test-venv";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Worker processes.
pub const WORKERS: u32 = 2;
/// The fast view.
pub const HELLO: &str = "/hello";

/// tests/django.
pub fn project_dir() -> PathBuf {
    paths::workspace_root().join("tests/django")
}

/// Creates or refreshes the test venv (`tests/django/setup.sh`, which returns at
/// once when it is current) and returns its path.
pub fn ensure_venv() -> Result<PathBuf> {
    let script = project_dir().join("setup.sh");
    if !script.is_file() {
        bail!(
            "{} is missing: the Django test app is not in this checkout",
            script.display()
        );
    }
    process::run(&mut Command::new(&script))?;
    Ok(match env::var_os("SONDE_TEST_VENV") {
        Some(venv) if !venv.is_empty() => PathBuf::from(venv),
        _ => PathBuf::from(DEFAULT_VENV),
    })
}

/// The gunicorn command serving the test app on `addr`, started inside
/// `cgroup` when given.
pub fn command(venv: &Path, addr: SocketAddr, cgroup: Option<&Cgroup>) -> Command {
    let gunicorn = venv.join("bin/gunicorn");
    let mut command = match cgroup {
        Some(cgroup) => cgroup.command(gunicorn),
        None => Command::new(gunicorn),
    };
    command
        .arg("--chdir")
        .arg(project_dir())
        .args(["--bind", &addr.to_string()])
        .args(["--workers", &WORKERS.to_string(), "--worker-class", "sync"])
        .args(["--timeout", "120", "--graceful-timeout", "5"])
        .arg("shop.wsgi:application")
        .current_dir(project_dir())
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .env("DJANGO_SETTINGS_MODULE", "shop.settings")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

/// A running gunicorn; its whole process group is stopped on drop.
#[derive(Debug)]
pub struct Gunicorn {
    daemon: Daemon,
    addr: SocketAddr,
}

impl Gunicorn {
    /// Starts gunicorn on a free loopback port (output to `log`) and waits
    /// until the hello view answers 200.
    pub fn start(venv: &Path, cgroup: Option<&Cgroup>, log: &Path) -> Result<Gunicorn> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, system::free_port()?));
        let mut daemon = Daemon::spawn("gunicorn", &mut command(venv, addr, cgroup), log, "TERM")?;
        daemon.wait_ready(START_TIMEOUT, || {
            match openloop::get(addr, HELLO, Duration::from_secs(5)) {
                Ok((200, _)) => Ok(()),
                Ok((status, _)) => Err(format!("GET {HELLO} on {addr} answered {status}")),
                Err(error) => Err(format!("GET {HELLO} on {addr}: {error}")),
            }
        })?;
        Ok(Gunicorn { daemon, addr })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fails with gunicorn's output if it is no longer running.
    pub fn check_running(&mut self) -> Result<()> {
        self.daemon.check_running()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_sync_workers_on_the_given_address() {
        let addr: SocketAddr = "127.0.0.1:8123".parse().unwrap();
        let command = command(Path::new("/venv"), addr, None);
        assert_eq!(command.get_program(), "/venv/bin/gunicorn");
        let args: Vec<String> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let line = args.join(" ");
        assert!(line.contains("--bind 127.0.0.1:8123"), "{line}");
        assert!(line.contains("--workers 2 --worker-class sync"), "{line}");
        assert!(line.ends_with("shop.wsgi:application"), "{line}");
    }
}
