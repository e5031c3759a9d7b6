//! The agent under test: `sonde run` started for one run and stopped after it,
//! with what it costs read from /proc and what it saw read from /metrics.

use std::{
    collections::BTreeSet,
    fs::{self, File},
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};

use super::{bpf, openloop, system};
use crate::{
    build_cmd,
    paths::{self, Profile},
    setup,
};

/// How long the agent may take to load its probes and answer /readyz.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long it may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running `sonde run`; killed on drop if still running.
#[derive(Debug)]
pub struct Agent {
    child: Child,
    listen: SocketAddr,
    log: PathBuf,
}

/// The agent to measure: built now, or the existing release binary.
pub fn binary(no_build: bool) -> Result<PathBuf> {
    if no_build {
        let binary = paths::agent_binary(Profile::Release);
        ensure!(
            binary.is_file(),
            "{} does not exist: run `cargo xtask build` or drop --no-build",
            binary.display()
        );
        return Ok(binary);
    }
    let route = setup::ensure()?;
    Ok(build_cmd::build(route, Profile::Release)?.binary)
}

/// The agent's command line as a report shows it.
pub fn command_line(extra: &[String]) -> String {
    let placeholder = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let args = run_args(placeholder, Path::new("SCRATCH/agent-data"), extra);
    format!("sonde {} > /dev/null", args.join(" ")).replace("127.0.0.1:0 ", "127.0.0.1:PORT ")
}

/// The `sonde run` arguments for a benchmark run: JSON lines (to /dev/null),
/// its own listen port and data directory, then `extra` (filters).
pub fn run_args(listen: SocketAddr, data_dir: &Path, extra: &[String]) -> Vec<String> {
    let mut args = vec![
        "run".to_owned(),
        "--log-format".to_owned(),
        "json".to_owned(),
        "--listen".to_owned(),
        listen.to_string(),
        "--data-dir".to_owned(),
        data_dir.display().to_string(),
    ];
    args.extend(extra.iter().cloned());
    args
}

impl Agent {
    /// Starts `binary run …` (stdout to /dev/null, stderr to `log`) and waits
    /// until /readyz answers 200.
    pub fn start(binary: &Path, extra: &[String], scratch: &Path, log: &Path) -> Result<Agent> {
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, system::free_port()?));
        let data_dir = scratch.join("agent-data");
        fs::create_dir_all(&data_dir)?;
        let stderr =
            File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let child = Command::new(binary)
            .args(run_args(listen, &data_dir, extra))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut agent = Agent {
            child,
            listen,
            log: log.to_owned(),
        };
        agent.wait_ready()?;
        Ok(agent)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the agent exited with {status} before it was ready; its log:\n{}",
                    system::tail(&self.log, 30)
                );
            }
            if let Ok((200, _)) = openloop::get(self.listen, "/readyz", Duration::from_secs(2)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the agent was not ready after {START_TIMEOUT:?}; its log:\n{}",
                    system::tail(&self.log, 30)
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails with the agent's log if it is no longer running.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "the agent exited with {status} during the run; its log:\n{}",
                system::tail(&self.log, 30)
            );
        }
        Ok(())
    }

    /// Ids of the BPF programs this agent holds (from its fds' fdinfo).
    pub fn program_ids(&self) -> Result<BTreeSet<u32>> {
        let fd_dir = format!("/proc/{}/fd", self.pid());
        let mut ids = BTreeSet::new();
        for entry in fs::read_dir(&fd_dir).with_context(|| format!("cannot list {fd_dir}"))? {
            let entry = entry?;
            let Ok(target) = fs::read_link(entry.path()) else {
                continue; // closed meanwhile
            };
            if target.as_os_str() != "anon_inode:bpf-prog" {
                continue;
            }
            let fdinfo = format!(
                "/proc/{}/fdinfo/{}",
                self.pid(),
                entry.file_name().to_string_lossy()
            );
            if let Some(id) = fs::read_to_string(&fdinfo)
                .ok()
                .as_deref()
                .and_then(bpf::fdinfo_prog_id)
            {
                ids.insert(id);
            }
        }
        Ok(ids)
    }

    /// The agent's /metrics page.
    pub fn metrics(&self) -> Result<Metrics> {
        let (status, body) = openloop::get(self.listen, "/metrics", Duration::from_secs(10))
            .context("cannot read the agent's /metrics")?;
        if status != 200 {
            bail!("the agent's /metrics answered {status}");
        }
        Ok(Metrics::parse(&body))
    }

    /// SIGTERM, then SIGKILL after [`STOP_TIMEOUT`]; whether it stopped in time.
    pub fn stop(mut self) -> bool {
        let target = self.child.id().to_string();
        system::stop(&mut self.child, &target, "TERM", STOP_TIMEOUT)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let target = self.child.id().to_string();
        system::stop(&mut self.child, &target, "TERM", STOP_TIMEOUT);
    }
}

/// The few series of the agent's /metrics a benchmark checks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// Inbound requests counted (sum of `http_server_request_duration_seconds_count`).
    pub server_requests: f64,
    /// Events lost for any reason (sum of `sonde_events_dropped_total`).
    pub dropped_events: f64,
    /// Calls to PostgreSQL servers counted (sum of
    /// `db_client_operation_duration_seconds_count{db_system_name="postgresql"}`).
    pub postgresql_operations: f64,
}

impl Metrics {
    /// Reads the Prometheus text format.
    pub fn parse(text: &str) -> Metrics {
        let mut metrics = Metrics::default();
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let (name, labels) = series.split_once('{').unwrap_or((series, ""));
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            match name {
                "http_server_request_duration_seconds_count" => metrics.server_requests += value,
                "sonde_events_dropped_total" => metrics.dropped_events += value,
                "db_client_operation_duration_seconds_count"
                    if has_label(labels, "db_system_name", "postgresql") =>
                {
                    metrics.postgresql_operations += value
                }
                _ => {}
            }
        }
        metrics
    }

    /// What changed from `before` to `self`.
    pub fn since(self, before: Metrics) -> Metrics {
        Metrics {
            server_requests: self.server_requests - before.server_requests,
            dropped_events: self.dropped_events - before.dropped_events,
            postgresql_operations: self.postgresql_operations - before.postgresql_operations,
        }
    }
}

/// Whether the labels of a series (`a="x",b="y"}`) hold `name="value"`.
fn has_label(labels: &str, name: &str, value: &str) -> bool {
    let wanted = format!("{name}=\"{value}\"");
    labels
        .trim_end_matches('}')
        .split(',')
        .any(|label| label == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_series_it_checks() {
        let text = "\
# HELP sonde_events_dropped_total Events lost, by reason
# TYPE sonde_events_dropped_total counter
sonde_events_dropped_total{probe=\"tcp_state\",event=\"tcp.connect\",reason=\"ringbuf_full\"} 3
sonde_events_dropped_total{probe=\"capture\",event=\"payload\",reason=\"channel_full\"} 4
http_server_request_duration_seconds_bucket{http_route=\"/hello\",le=\"0.005\"} 90
http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/hello\",service_name=\"shop\"} 100
http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/a b\",service_name=\"x\"} 5
http_client_request_duration_seconds_count{http_route=\"/hello\"} 100
db_client_operation_duration_seconds_count{db_system_name=\"postgresql\",db_operation_name=\"SELECT\"} 40
db_client_operation_duration_seconds_count{db_operation_name=\"INSERT\",db_system_name=\"postgresql\"} 2
db_client_operation_duration_seconds_bucket{db_system_name=\"postgresql\",le=\"0.005\"} 40
db_client_operation_duration_seconds_count{db_system_name=\"mysql\"} 7
garbage line
";
        let metrics = Metrics::parse(text);
        assert_eq!(
            metrics,
            Metrics {
                server_requests: 105.0,
                dropped_events: 7.0,
                postgresql_operations: 42.0,
            }
        );
        let later = Metrics {
            server_requests: 205.0,
            dropped_events: 7.0,
            postgresql_operations: 50.0,
        };
        assert_eq!(later.since(metrics).server_requests, 100.0);
        assert_eq!(later.since(metrics).postgresql_operations, 8.0);
    }

    #[test]
    fn runs_quietly_on_its_own_port_and_data_dir() {
        let listen: SocketAddr = "127.0.0.1:9999".parse().unwrap();
        let args = run_args(listen, Path::new("/tmp/d"), &["--comm".into(), "x".into()]);
        assert_eq!(
            args,
            [
                "run",
                "--log-format",
                "json",
                "--listen",
                "127.0.0.1:9999",
                "--data-dir",
                "/tmp/d",
                "--comm",
                "x"
            ]
        );
    }
}
