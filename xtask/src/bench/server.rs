//! The observed service: the Django test app (tests/django) under gunicorn
//! with sync workers, in its own process group.

use std::{
    env,
    fs::File,
    net::{Ipv4Addr, SocketAddr},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use super::{cgroup::Cgroup, openloop, system};
use crate::{paths, process};

/// Where `tests/django/setup.sh` puts the venv unless `SONDE_TEST_VENV` says.
const DEFAULT_VENV: &str = "/opt/sonde-test-venv";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

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
        Some(cgroup) => {
            let mut sh = Command::new("sh");
            sh.arg("-c").arg(cgroup.enter_then_exec()).arg(gunicorn);
            sh
        }
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
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Gunicorn {
    /// Starts gunicorn on a free loopback port (output to `log`) and waits
    /// until the hello view answers 200.
    pub fn start(venv: &Path, cgroup: Option<&Cgroup>, log: &Path) -> Result<Gunicorn> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, system::free_port()?));
        let output =
            File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let mut command = command(venv, addr, cgroup);
        eprintln!("xtask: running {}", process::display(&command));
        let child = command
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .process_group(0)
            .spawn()
            .context("cannot start gunicorn")?;
        let mut server = Gunicorn {
            child,
            addr,
            log: log.to_owned(),
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "gunicorn exited with {status}; its output:\n{}",
                    system::tail(&self.log, 30)
                );
            }
            let last = match openloop::get(self.addr, HELLO, Duration::from_secs(5)) {
                Ok((200, _)) => return Ok(()),
                Ok((status, _)) => format!("GET {HELLO} answered {status}"),
                Err(error) => format!("GET {HELLO}: {error}"),
            };
            if Instant::now() > deadline {
                bail!(
                    "gunicorn on {} not ready after {START_TIMEOUT:?} ({last}); its output:\n{}",
                    self.addr,
                    system::tail(&self.log, 30)
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fails with gunicorn's output if it is no longer running.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "gunicorn exited with {status} during the benchmark; its output:\n{}",
                system::tail(&self.log, 30)
            );
        }
        Ok(())
    }
}

impl Drop for Gunicorn {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        system::stop(&mut self.child, &group, STOP_TIMEOUT);
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
