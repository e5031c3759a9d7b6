//! What a run of a benchmark comparing the host without and with the agent
//! does around its load: wait for a host without another sonde, start the
//! agent, read CPU times, eBPF run times and the agent's /metrics before and
//! after the load, stop the agent.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    thread,
    time::{Duration, Instant},
};

use anyhow::{ensure, Context, Result};
use clap::Args;

use super::{
    agent::{Agent, Metrics},
    bpf::{self, StatsEnabled},
    cgroup::Cgroup,
    system,
};
use crate::{paths, privileges};

/// A fresh agent's first moments are not measured.
pub const SETTLE: Duration = Duration::from_secs(1);
/// Then what it uses while the service is idle is measured for this long:
/// the host's own traffic (other people's tests) runs its programs too.
pub const IDLE_WINDOW: Duration = Duration::from_secs(2);
/// After the load, the agent gets this long to drain its rings.
pub const DRAIN: Duration = Duration::from_secs(1);
/// How long a stopped agent's programs may take to be released.
const UNLOAD_WAIT: Duration = Duration::from_secs(10);
/// How long to wait, before one run, for sonde programs loaded by someone
/// else to go away…
const QUIET_WAIT: Duration = Duration::from_secs(30);
/// … and over the whole benchmark, which must end in reasonable time.
const QUIET_WAIT_TOTAL: Duration = Duration::from_secs(120);

/// The agent's options of every benchmark.
#[derive(Debug, Clone, Args)]
pub struct AgentOptions {
    /// Run the agent of the measured runs without a filter: it then observes
    /// every process of the host (the load generator, and anyone else's
    /// tests) instead of only the benchmark's observed process (`--cgroup` of
    /// a cgroup made for it).
    #[arg(long)]
    pub unfiltered: bool,
    /// An argument added to `sonde run` in the measured runs (repeat it for
    /// more), e.g. `--agent-arg=--capture-bytes --agent-arg=0`.
    #[arg(long = "agent-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub agent_args: Vec<String>,
    /// Use target/release/sonde as it is instead of building it first.
    #[arg(long)]
    pub no_build: bool,
}

impl AgentOptions {
    /// The arguments of `sonde run` in the measured runs: `--cgroup` of
    /// `observed` unless unfiltered, then those given.
    pub fn run_args(&self, observed: &Cgroup) -> Vec<String> {
        let mut args = Vec::new();
        if !self.unfiltered {
            args.push("--cgroup".to_owned());
            args.push(observed.path().display().to_string());
        }
        args.extend(self.agent_args.iter().cloned());
        args
    }
}

/// Fails unless this process is root (the agent loads kernel programs, the
/// harness sets a sysctl) and `tools` (name, Debian package) are on PATH.
pub fn check_host(bench: &str, tools: &[(&str, &str)]) -> Result<()> {
    ensure!(
        privileges::is_root()?,
        "the benchmark loads kernel programs and sets sysctls: run it as root \
         (e.g. `sudo -E cargo xtask bench {bench}`)"
    );
    for (tool, package) in tools.iter().chain(&[("bpftool", "bpftool")]) {
        ensure!(
            paths::find_executable(tool).is_some(),
            "{tool} is missing: apt-get install -y {package}"
        );
    }
    Ok(())
}

/// What the agent used and saw during a run: from the start of the load to
/// the end of the drain that follows it (`window`).
#[derive(Debug, Clone)]
pub struct AgentUsage {
    pub window: Duration,
    pub cpu: Duration,
    pub peak_rss_kib: u64,
    /// eBPF run time by program; `None` when the run left
    /// `kernel.bpf_stats_enabled` off.
    pub bpf: Option<BTreeMap<String, bpf::Usage>>,
    /// Its /metrics over the run.
    pub seen: Metrics,
    /// What it used over the idle window before the load.
    pub idle: Idle,
}

/// Usage while the service was idle.
#[derive(Debug, Clone, Copy, Default)]
pub struct Idle {
    pub window: Duration,
    pub cpu: Duration,
    /// eBPF run time, all programs.
    pub bpf_ns: u64,
}

/// `amount` used over `window`, less what the idle rate (`idle_amount` over
/// `idle_window`) accounts for in that time.
pub fn net_of_idle(amount: f64, window: Duration, idle_amount: f64, idle_window: Duration) -> f64 {
    if idle_window.is_zero() {
        return amount;
    }
    amount - idle_amount * window.as_secs_f64() / idle_window.as_secs_f64()
}

impl AgentUsage {
    /// CPU milliseconds per 1,000 of `count` things done (requests,
    /// transactions) during the run.
    pub fn cpu_ms_per_1k(&self, count: u64) -> Option<f64> {
        (count > 0).then(|| self.cpu.as_secs_f64() * 1e6 / count as f64)
    }

    /// The same, less what its idle rate accounts for.
    pub fn cpu_ms_per_1k_net(&self, count: u64) -> Option<f64> {
        let cpu = net_of_idle(
            self.cpu.as_secs_f64(),
            self.window,
            self.idle.cpu.as_secs_f64(),
            self.idle.window,
        );
        (count > 0).then(|| cpu * 1e6 / count as f64)
    }

    /// CPU milliseconds per second of the idle window.
    pub fn idle_cpu_ms_per_s(&self) -> Option<f64> {
        let idle = self.idle;
        (!idle.window.is_zero()).then(|| idle.cpu.as_secs_f64() * 1e3 / idle.window.as_secs_f64())
    }

    /// eBPF nanoseconds, all programs: all of it, and less the idle rate.
    pub fn bpf_ns(&self) -> Option<(f64, f64)> {
        let bpf = self.bpf.as_ref()?;
        let total = bpf.values().map(|u| u.run_time_ns).sum::<u64>() as f64;
        let net = net_of_idle(
            total,
            self.window,
            self.idle.bpf_ns as f64,
            self.idle.window,
        );
        Some((total, net))
    }

    /// eBPF nanoseconds per one of `count` things done.
    pub fn bpf_ns_per(&self, count: u64) -> Option<f64> {
        let (total, _) = self.bpf_ns()?;
        (count > 0).then(|| total / count as f64)
    }
}

/// What was measured around one load.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Another agent's sonde programs were loaded during the run.
    pub foreign_sonde: bool,
    /// From just before the load to just after it (and the agent's drain).
    pub window: Duration,
    /// CPU time of each cgroup measured, in the order given, over `window`.
    pub cgroup_cpu: Vec<Duration>,
    /// Busy time of the whole host over `window`.
    pub host_busy: Duration,
    /// This process's CPU time and that of the children it waited for (a
    /// load run as a command) over `window`.
    pub own_cpu: Duration,
    pub agent: Option<AgentUsage>,
}

impl Measured {
    /// CPU time of every other process of the host: its busy time less this
    /// process and its children, the agent, and `besides` (the measured
    /// cgroups that hold no child of this process).
    pub fn other_cpu(&self, besides: Duration) -> Duration {
        let agent = self.agent.as_ref().map_or(Duration::ZERO, |a| a.cpu);
        self.host_busy
            .saturating_sub(self.own_cpu + agent + besides)
    }
}

/// Runs loads without and with the agent, and what the agents started cost.
#[derive(Debug)]
pub struct Harness {
    binary: PathBuf,
    /// Where the agents' logs and data go.
    scratch: PathBuf,
    ticks_per_second: u64,
    /// Peak RSS of every agent started, in KiB.
    peak_rss_kib: u64,
    agents_started: usize,
    /// What is left of [`QUIET_WAIT_TOTAL`].
    quiet_budget: Duration,
}

impl Harness {
    pub fn new(binary: PathBuf, scratch: PathBuf) -> Harness {
        Harness {
            binary,
            scratch,
            ticks_per_second: system::clock_ticks_per_second(),
            peak_rss_kib: 0,
            agents_started: 0,
            quiet_budget: QUIET_WAIT_TOTAL,
        }
    }

    /// Peak RSS of every agent started so far, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.peak_rss_kib
    }

    /// Reads `agent`'s peak RSS into [`Harness::peak_rss_kib`]; returns it.
    pub fn note_peak_rss(&mut self, agent: &Agent) -> Result<u64> {
        let peak_rss_kib = system::peak_rss_kib(agent.pid())?;
        self.peak_rss_kib = self.peak_rss_kib.max(peak_rss_kib);
        Ok(peak_rss_kib)
    }

    /// Waits up to [`QUIET_WAIT`] (while [`QUIET_WAIT_TOTAL`] lasts) until no
    /// sonde program is loaded: another agent (a test someone runs) taxes every
    /// process and skews both sides of a comparison. Returns whether one still is.
    pub fn wait_for_quiet_host(&mut self) -> Result<bool> {
        let started = Instant::now();
        let wait = QUIET_WAIT.min(self.quiet_budget);
        let mut warned = false;
        let result = loop {
            let loaded = bpf::programs()
                .context("cannot list the loaded eBPF programs")?
                .iter()
                .filter(|p| bpf::is_sonde(&p.name))
                .count();
            if loaded == 0 {
                break false;
            }
            if started.elapsed() >= wait {
                eprintln!(
                    "xtask: bench: another sonde is loaded ({loaded} programs); \
                     measuring anyway, the run is flagged"
                );
                break true;
            }
            if !warned {
                eprintln!(
                    "xtask: bench: another sonde is loaded ({loaded} programs); \
                     waiting up to {}s for it to go",
                    wait.as_secs()
                );
                warned = true;
            }
            thread::sleep(Duration::from_secs(1));
        };
        self.quiet_budget = self.quiet_budget.saturating_sub(started.elapsed());
        Ok(result)
    }

    /// Starts `sonde run` with `extra` arguments and lets it settle.
    pub fn start_agent(&mut self, extra: &[String]) -> Result<Agent> {
        self.agents_started += 1;
        let log = self
            .scratch
            .join(format!("agent-{}.log", self.agents_started));
        let agent = Agent::start(&self.binary, extra, &self.scratch, &log)?;
        thread::sleep(SETTLE);
        Ok(agent)
    }

    fn snapshot(&self, agent: Option<&Agent>, cgroups: &[&Cgroup]) -> Result<Snapshot> {
        let at = Instant::now();
        let ticks = self.ticks_per_second;
        Ok(Snapshot {
            at,
            host_busy: system::host_busy(ticks)?,
            cgroup_cpu: cgroups
                .iter()
                .map(|cgroup| cgroup.cpu_usage())
                .collect::<Result<_>>()?,
            own_cpu: system::own_cpu_time(ticks)?,
            cpu: match agent {
                Some(agent) => system::cpu_time(agent.pid(), ticks)?,
                None => Duration::ZERO,
            },
            programs: bpf::programs()?,
            metrics: match agent {
                Some(agent) => agent.metrics()?,
                None => Metrics::default(),
            },
        })
    }

    /// One run of `load`: without the agent when `agent_args` is `None`, else
    /// with `sonde run AGENT_ARGS` started (and settled) before it, measured
    /// idling for [`IDLE_WINDOW`], given [`DRAIN`] after it, and stopped;
    /// with `bpf_stats`, `kernel.bpf_stats_enabled` is on meanwhile, for the
    /// run time of its programs (which it slows down). `cgroups` are the
    /// ones whose CPU time is read.
    pub fn measure<T>(
        &mut self,
        agent_args: Option<&[String]>,
        bpf_stats: bool,
        cgroups: &[&Cgroup],
        load: impl FnOnce() -> Result<T>,
    ) -> Result<(T, Measured)> {
        let mut foreign_sonde = self.wait_for_quiet_host()?;
        let mut agent = agent_args.map(|args| self.start_agent(args)).transpose()?;
        // Counted only while enabled, and restored on every way out.
        let stats_enabled = agent
            .as_ref()
            .filter(|_| bpf_stats)
            .map(|_| StatsEnabled::enable())
            .transpose()?;
        let ours = match &agent {
            Some(agent) => agent.program_ids()?,
            None => BTreeSet::new(),
        };
        let idle_start = self.snapshot(agent.as_ref(), cgroups)?;
        if agent.is_some() {
            thread::sleep(IDLE_WINDOW);
        }
        let before = self.snapshot(agent.as_ref(), cgroups)?;
        foreign_sonde |= !bpf::foreign_sonde(&before.programs, &ours).is_empty();

        let outcome = load()?;

        if let Some(agent) = agent.as_mut() {
            thread::sleep(DRAIN);
            agent.check_running()?;
        }
        let after = self.snapshot(agent.as_ref(), cgroups)?;
        drop(stats_enabled);
        foreign_sonde |= !bpf::foreign_sonde(&after.programs, &ours).is_empty();
        let window = after.at.duration_since(before.at);
        let mut measured = Measured {
            foreign_sonde,
            window,
            cgroup_cpu: after
                .cgroup_cpu
                .iter()
                .zip(&before.cgroup_cpu)
                .map(|(after, before)| after.saturating_sub(*before))
                .collect(),
            host_busy: after.host_busy.saturating_sub(before.host_busy),
            own_cpu: after.own_cpu.saturating_sub(before.own_cpu),
            agent: None,
        };
        if let Some(agent) = agent {
            let peak_rss_kib = self.note_peak_rss(&agent)?;
            let idle_bpf = bpf::usage_between(&idle_start.programs, &before.programs, &ours);
            measured.agent = Some(AgentUsage {
                window,
                cpu: after.cpu.saturating_sub(before.cpu),
                peak_rss_kib,
                bpf: bpf_stats
                    .then(|| bpf::usage_between(&before.programs, &after.programs, &ours)),
                seen: after.metrics.since(before.metrics),
                idle: Idle {
                    window: before.at.duration_since(idle_start.at),
                    cpu: before.cpu.saturating_sub(idle_start.cpu),
                    bpf_ns: idle_bpf.values().map(|u| u.run_time_ns).sum(),
                },
            });
            self.stop_agent(agent, &ours)?;
        }
        Ok((outcome, measured))
    }

    /// Stops `agent`, then waits up to [`UNLOAD_WAIT`] until the kernel has
    /// released its programs (`ours`): they outlive the process for a
    /// moment, and the next run would take them for another agent's.
    pub fn stop_agent(&mut self, agent: Agent, ours: &BTreeSet<u32>) -> Result<()> {
        if !agent.stop() {
            eprintln!("xtask: bench: the agent did not stop on SIGTERM in time; killed it");
        }
        let deadline = Instant::now() + UNLOAD_WAIT;
        while Instant::now() < deadline {
            let programs = bpf::programs().context("cannot list the loaded eBPF programs")?;
            if !programs.iter().any(|p| ours.contains(&p.id)) {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

/// Readings taken around a run's idle window and load.
struct Snapshot {
    at: Instant,
    /// Busy time of the whole host.
    host_busy: Duration,
    /// CPU time of each cgroup measured.
    cgroup_cpu: Vec<Duration>,
    /// This process's CPU time and that of its children it waited for.
    own_cpu: Duration,
    /// The agent's CPU time.
    cpu: Duration,
    programs: Vec<bpf::Prog>,
    metrics: Metrics,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage() -> AgentUsage {
        AgentUsage {
            window: Duration::from_secs(10),
            cpu: Duration::from_millis(90),
            peak_rss_kib: 1024,
            bpf: Some(BTreeMap::from([(
                "sonde_sock_send".to_owned(),
                bpf::Usage {
                    run_time_ns: 4_500_000,
                    run_cnt: 9000,
                },
            )])),
            seen: Metrics::default(),
            idle: Idle {
                window: Duration::from_secs(2),
                cpu: Duration::from_millis(10),
                bpf_ns: 90_000,
            },
        }
    }

    #[test]
    fn agent_usage_per_unit_of_work() {
        let usage = usage();
        assert_eq!(usage.cpu_ms_per_1k(0), None);
        assert!((usage.cpu_ms_per_1k(9000).unwrap() - 10.0).abs() < 1e-9);
        // 90 ms less 10 ms / 2 s × 10 s.
        assert!((usage.cpu_ms_per_1k_net(9000).unwrap() - 40.0 / 9.0).abs() < 1e-9);
        assert_eq!(usage.idle_cpu_ms_per_s(), Some(5.0));
        assert_eq!(usage.bpf_ns(), Some((4_500_000.0, 4_050_000.0)));
        assert_eq!(usage.bpf_ns_per(9000), Some(500.0));
        let unmeasured = AgentUsage { bpf: None, ..usage };
        assert_eq!(unmeasured.bpf_ns_per(9000), None);
        assert_eq!(
            net_of_idle(7.0, Duration::from_secs(1), 3.0, Duration::ZERO),
            7.0
        );
    }

    #[test]
    fn other_cpu_leaves_out_what_is_accounted_for() {
        let measured = Measured {
            foreign_sonde: false,
            window: Duration::from_secs(10),
            cgroup_cpu: vec![Duration::from_secs(3)],
            host_busy: Duration::from_secs(10),
            own_cpu: Duration::from_secs(2),
            agent: Some(usage()),
        };
        assert_eq!(
            measured.other_cpu(Duration::from_secs(3)),
            Duration::from_millis(4910)
        );
        assert_eq!(measured.other_cpu(Duration::from_secs(30)), Duration::ZERO);
    }
}
