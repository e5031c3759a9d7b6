//! `cargo xtask bench http`: what observing a Django service costs (issue 3,
//! "Performance").
//!
//! 1. The hello view under gunicorn (2 sync workers, in a cgroup of their
//!    own), driven by wrk at saturation, then by a fixed-rate client, in runs
//!    that alternate without and with the agent (A B B A …) in one invocation.
//!    Every run: gunicorn's CPU time per request, and the CPU time of every
//!    other process on the host (the machine is shared: a busy neighbour shows).
//!    With the agent: its CPU time and peak RSS from /proc, and, with
//!    `kernel.bpf_stats_enabled`, the run time of each of its eBPF programs.
//! 2. Syscall loops in this process (see `syscalls.rs`) without the agent,
//!    with it unfiltered, and with it filtered to no process.
//!
//! Results go to stdout and to the `## HTTP` section of BENCHMARKS.md.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    process::ExitCode,
    thread,
    time::{Duration, Instant},
};

use anyhow::{ensure, Context, Result};
use clap::Args;

use super::{
    agent::{self, Agent, Metrics},
    bpf::{self, StatsEnabled},
    cgroup::Cgroup,
    openloop, report,
    server::{self, Gunicorn},
    stats,
    syscalls::{Call, Loops},
    system::{self, ScratchDir},
    wrk,
};
use crate::{
    build_cmd,
    paths::{self, Profile},
    privileges, setup,
};

#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Pairs of saturation runs (wrk), each one run without the agent and one with it.
    #[arg(long, default_value_t = 5)]
    pub pairs: usize,
    /// Pairs of fixed-rate runs.
    #[arg(long, default_value_t = 3)]
    pub rate_pairs: usize,
    /// Seconds of each run.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Connections wrk keeps busy in a saturation run.
    #[arg(long, default_value_t = 8)]
    pub connections: u32,
    /// Requests per second of a fixed-rate run.
    #[arg(long, default_value_t = 500)]
    pub rate: u32,
    /// Rounds of the syscall loops (one round: no agent, agent, agent filtered
    /// to nothing, in alternating order); 0 skips them.
    #[arg(long, default_value_t = 3)]
    pub syscall_rounds: usize,
    /// write(2) calls per repetition of the file loop; the socket loops make a
    /// fifth as many (they are slower).
    #[arg(long, default_value_t = 500_000)]
    pub calls: u64,
    /// Repetitions of each loop per round.
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    /// Run the agent of the HTTP runs without a filter: it then observes every
    /// process of the host (wrk, and anyone else's tests) instead of only the
    /// benchmark's gunicorn (`--cgroup` of a cgroup made for it).
    #[arg(long)]
    pub unfiltered: bool,
    /// An argument added to `sonde run` in the HTTP runs (repeat it for more),
    /// e.g. `--agent-arg=--capture-bytes --agent-arg=0`.
    #[arg(long = "agent-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub agent_args: Vec<String>,
    /// Use target/release/sonde as it is instead of building it first.
    #[arg(long)]
    pub no_build: bool,
    /// A smoke run: one pair of 3 s runs of each load and one short round of
    /// loops; implies --no-write.
    #[arg(long)]
    pub quick: bool,
    /// Print the results without updating BENCHMARKS.md.
    #[arg(long)]
    pub no_write: bool,
}

impl HttpArgs {
    /// The arguments with `--quick` applied.
    fn plan(&self) -> HttpArgs {
        let mut plan = self.clone();
        if self.quick {
            plan.pairs = 1;
            plan.rate_pairs = 1;
            plan.seconds = 3;
            plan.syscall_rounds = plan.syscall_rounds.min(1);
            plan.calls = plan.calls.min(50_000);
            plan.reps = plan.reps.min(2);
            plan.no_write = true;
        }
        plan
    }

    fn duration(&self) -> Duration {
        Duration::from_secs(self.seconds.max(1))
    }

    pub fn calls(&self, call: Call) -> u64 {
        match call {
            Call::FileWrite => self.calls,
            Call::UdpSend | Call::TcpSend => (self.calls / 5).max(1),
        }
    }
}

/// Threads of the fixed-rate client: requests that can be in flight at once.
pub const RATE_CLIENTS: usize = 16;
/// A fresh agent's first moments are not measured.
pub const SETTLE: Duration = Duration::from_secs(1);
/// Then what it uses while the service is idle is measured for this long:
/// the host's own traffic (other people's tests) runs its programs too.
pub const IDLE_WINDOW: Duration = Duration::from_secs(2);
/// After the load, the agent gets this long to drain its rings.
pub const DRAIN: Duration = Duration::from_secs(1);
/// How long to wait, before one run, for sonde programs loaded by someone
/// else to go away…
const QUIET_WAIT: Duration = Duration::from_secs(30);
/// … and over the whole benchmark, which must end in reasonable time.
const QUIET_WAIT_TOTAL: Duration = Duration::from_secs(120);
/// The unobserved-process condition's filter.
const NOTHING_MATCHES: [&str; 2] = ["--comm", "nothing-matches"];

/// Which load a run puts on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// wrk, as fast as the server answers.
    Saturation,
    /// The open-loop client at `--rate`.
    FixedRate,
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct Run {
    pub load: Load,
    pub with_agent: bool,
    /// 2xx responses.
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Failed exchanges and non-2xx responses.
    pub errors: u64,
    /// Another agent's sonde programs were loaded during the run.
    pub foreign_sonde: bool,
    /// From just before the load to just after it (and the agent's drain).
    pub window: Duration,
    /// gunicorn's CPU time over `window`.
    pub service_cpu: Duration,
    /// CPU time of every other process of the host (not gunicorn, the load,
    /// this process or the agent) over `window`.
    pub other_cpu: Duration,
    pub agent: Option<AgentUsage>,
}

/// What the agent used and saw during a run: from the start of the load to
/// the end of the drain that follows it (`window`).
#[derive(Debug, Clone)]
pub struct AgentUsage {
    pub window: Duration,
    pub cpu: Duration,
    pub peak_rss_kib: u64,
    /// eBPF run time by program.
    pub bpf: BTreeMap<String, bpf::Usage>,
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

/// The syscall loops under one condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Condition {
    NoAgent,
    Agent,
    AgentFilteredOut,
}

impl Condition {
    pub const ALL: [Condition; 3] = [
        Condition::NoAgent,
        Condition::Agent,
        Condition::AgentFilteredOut,
    ];

    fn agent_args(self) -> Option<Vec<String>> {
        match self {
            Condition::NoAgent => None,
            Condition::Agent => Some(Vec::new()),
            Condition::AgentFilteredOut => {
                Some(NOTHING_MATCHES.iter().map(|s| (*s).to_owned()).collect())
            }
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Condition::NoAgent => "no agent",
            Condition::Agent => "agent, no filter",
            Condition::AgentFilteredOut => "agent --comm nothing-matches",
        }
    }
}

/// One timed repetition of a syscall loop.
#[derive(Debug, Clone, Copy)]
pub struct LoopSample {
    pub condition: Condition,
    pub call: Call,
    pub ns_per_call: f64,
    pub foreign_sonde: bool,
}

/// Everything measured.
#[derive(Debug)]
pub struct Results {
    pub plan: HttpArgs,
    pub runs: Vec<Run>,
    pub loops: Vec<LoopSample>,
    /// Peak RSS of every agent started, in KiB.
    pub peak_rss_kib: u64,
    /// `sonde run …` of the HTTP runs.
    pub agent_command: String,
    pub elapsed: Duration,
    /// /proc/loadavg's first three fields at the start and at the end.
    pub load_average: [String; 2],
}

pub fn main(args: &HttpArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let load_at_start = report::load_average();
    let plan = args.plan();
    ensure!(
        privileges::is_root()?,
        "the benchmark loads kernel programs and sets sysctls: run it as root \
         (e.g. `sudo -E cargo xtask bench http`)"
    );
    for (tool, package) in [("wrk", "wrk"), ("bpftool", "bpftool")] {
        ensure!(
            paths::find_executable(tool).is_some(),
            "{tool} is missing: apt-get install -y {package}"
        );
    }
    let binary = agent_binary(plan.no_build)?;
    let venv = server::ensure_venv()?;
    let mut scratch = ScratchDir::new("sonde-bench-http")?;
    // gunicorn runs in a cgroup of its own, for its CPU time, and (unless
    // --unfiltered) for the agent's filter.
    let cgroup = Cgroup::create(&format!("sonde-bench-{}", std::process::id()))?;
    let mut http_agent_args = Vec::new();
    if !plan.unfiltered {
        http_agent_args.push("--cgroup".to_owned());
        http_agent_args.push(cgroup.path().display().to_string());
    }
    http_agent_args.extend(plan.agent_args.iter().cloned());
    let mut bench = Bench {
        plan: plan.clone(),
        http_agent_args: http_agent_args.clone(),
        service: cgroup,
        binary,
        scratch: scratch.path().to_owned(),
        ticks_per_second: system::clock_ticks_per_second(),
        peak_rss_kib: 0,
        agents_started: 0,
        quiet_budget: QUIET_WAIT_TOTAL,
    };
    let measured = bench.run_all(&venv);
    let (runs, loops) = match measured {
        Ok(measured) => measured,
        Err(error) => {
            scratch.keep();
            return Err(error);
        }
    };
    let results = Results {
        agent_command: agent_command_line(&http_agent_args),
        plan,
        runs,
        loops,
        peak_rss_kib: bench.peak_rss_kib,
        elapsed: started.elapsed(),
        load_average: [load_at_start, report::load_average()],
    };
    let section = report::render(&results, &report::Machine::detect(), &invocation());
    println!("{section}");
    if !results.plan.no_write {
        let path = paths::workspace_root().join("BENCHMARKS.md");
        report::write_section(&path, &section)?;
        eprintln!("xtask: wrote the HTTP section of {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The agent to measure: built now, or the existing release binary.
fn agent_binary(no_build: bool) -> Result<PathBuf> {
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

/// How this benchmark was started, for the report.
fn invocation() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("cargo xtask {}", args.join(" "))
}

/// The agent's command line as the report shows it.
fn agent_command_line(extra: &[String]) -> String {
    let placeholder = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let args = agent::run_args(placeholder, Path::new("SCRATCH/agent-data"), extra);
    format!("sonde {} > /dev/null", args.join(" ")).replace("127.0.0.1:0 ", "127.0.0.1:PORT ")
}

struct Bench {
    plan: HttpArgs,
    /// Filter and extra arguments of the HTTP runs' agent.
    http_agent_args: Vec<String>,
    /// gunicorn's cgroup.
    service: Cgroup,
    binary: PathBuf,
    scratch: PathBuf,
    ticks_per_second: u64,
    peak_rss_kib: u64,
    agents_started: usize,
    /// What is left of [`QUIET_WAIT_TOTAL`].
    quiet_budget: Duration,
}

impl Bench {
    fn run_all(&mut self, venv: &Path) -> Result<(Vec<Run>, Vec<LoopSample>)> {
        let plan = self.plan.clone();
        let mut runs = Vec::new();
        {
            let log = self.scratch.join("gunicorn.log");
            let mut gunicorn = Gunicorn::start(venv, Some(&self.service), &log)?;
            eprintln!("xtask: bench: gunicorn on {}; warming up", gunicorn.addr());
            wrk::run(
                gunicorn.addr(),
                server::HELLO,
                plan.connections,
                Duration::from_secs(3),
            )?;
            openloop::run(
                gunicorn.addr(),
                server::HELLO,
                plan.rate,
                Duration::from_secs(1),
                RATE_CLIENTS,
            );
            for (load, pairs) in [
                (Load::Saturation, plan.pairs),
                (Load::FixedRate, plan.rate_pairs),
            ] {
                for index in 0..2 * pairs {
                    let with_agent = stats::with_agent_at(index);
                    let run = self.load_run(&mut gunicorn, load, with_agent)?;
                    eprintln!(
                        "xtask: bench: {} run {}/{}: {}",
                        report::load_name(load),
                        index + 1,
                        2 * pairs,
                        report::run_line(&run)
                    );
                    runs.push(run);
                }
            }
        }
        let loops = self.syscall_loops()?;
        Ok((runs, loops))
    }

    /// Waits up to [`QUIET_WAIT`] (while [`QUIET_WAIT_TOTAL`] lasts) until no
    /// sonde program is loaded: another agent (a test someone runs) taxes every
    /// process and skews both sides of a comparison. Returns whether one still is.
    fn wait_for_quiet_host(&mut self) -> Result<bool> {
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

    fn snapshot(&self, agent: Option<&Agent>) -> Result<Snapshot> {
        let at = Instant::now();
        let ticks = self.ticks_per_second;
        Ok(Snapshot {
            at,
            host_busy: system::host_busy(ticks)?,
            service_cpu: self.service.cpu_usage()?,
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

    fn start_agent(&mut self, extra: &[String]) -> Result<Agent> {
        self.agents_started += 1;
        let log = self
            .scratch
            .join(format!("agent-{}.log", self.agents_started));
        let agent = Agent::start(&self.binary, extra, &self.scratch, &log)?;
        thread::sleep(SETTLE);
        Ok(agent)
    }

    fn load_run(&mut self, gunicorn: &mut Gunicorn, load: Load, with_agent: bool) -> Result<Run> {
        let mut foreign_sonde = self.wait_for_quiet_host()?;
        let extra = self.http_agent_args.clone();
        let mut agent = match with_agent {
            true => Some(self.start_agent(&extra)?),
            false => None,
        };
        // Counted only while enabled, and restored on every way out.
        let stats_enabled = agent.as_ref().map(|_| StatsEnabled::enable()).transpose()?;
        let ours = match &agent {
            Some(agent) => agent.program_ids()?,
            None => BTreeSet::new(),
        };
        let idle_start = self.snapshot(agent.as_ref())?;
        if agent.is_some() {
            thread::sleep(IDLE_WINDOW);
        }
        let before = self.snapshot(agent.as_ref())?;
        foreign_sonde |= !bpf::foreign_sonde(&before.programs, &ours).is_empty();

        let addr = gunicorn.addr();
        let duration = self.plan.duration();
        let mut run = match load {
            Load::Saturation => {
                let report = wrk::run(addr, server::HELLO, self.plan.connections, duration)?;
                Run {
                    load,
                    with_agent,
                    requests: report.requests.saturating_sub(report.bad_status),
                    requests_per_second: report.requests_per_second,
                    p50: report.p50,
                    p99: report.p99,
                    errors: report.socket_errors + report.bad_status,
                    foreign_sonde,
                    window: Duration::ZERO,
                    service_cpu: Duration::ZERO,
                    other_cpu: Duration::ZERO,
                    agent: None,
                }
            }
            Load::FixedRate => {
                let outcome =
                    openloop::run(addr, server::HELLO, self.plan.rate, duration, RATE_CLIENTS);
                Run {
                    load,
                    with_agent,
                    requests: outcome.ok,
                    requests_per_second: outcome.achieved_rate(),
                    p50: outcome.percentile(50.0),
                    p99: outcome.percentile(99.0),
                    errors: outcome.sent.saturating_sub(outcome.ok),
                    foreign_sonde,
                    window: Duration::ZERO,
                    service_cpu: Duration::ZERO,
                    other_cpu: Duration::ZERO,
                    agent: None,
                }
            }
        };
        gunicorn.check_running()?;

        if let Some(agent) = agent.as_mut() {
            thread::sleep(DRAIN);
            agent.check_running()?;
        }
        let after = self.snapshot(agent.as_ref())?;
        drop(stats_enabled);
        run.foreign_sonde |= !bpf::foreign_sonde(&after.programs, &ours).is_empty();
        run.window = after.at.duration_since(before.at);
        run.service_cpu = after.service_cpu.saturating_sub(before.service_cpu);
        let ours_cpu = run.service_cpu
            + after.own_cpu.saturating_sub(before.own_cpu)
            + after.cpu.saturating_sub(before.cpu);
        run.other_cpu = after
            .host_busy
            .saturating_sub(before.host_busy)
            .saturating_sub(ours_cpu);
        if let Some(agent) = agent {
            let peak_rss_kib = system::peak_rss_kib(agent.pid())?;
            self.peak_rss_kib = self.peak_rss_kib.max(peak_rss_kib);
            let idle_bpf = bpf::usage_between(&idle_start.programs, &before.programs, &ours);
            run.agent = Some(AgentUsage {
                window: after.at.duration_since(before.at),
                cpu: after.cpu.saturating_sub(before.cpu),
                peak_rss_kib,
                bpf: bpf::usage_between(&before.programs, &after.programs, &ours),
                seen: after.metrics.since(before.metrics),
                idle: Idle {
                    window: before.at.duration_since(idle_start.at),
                    cpu: before.cpu.saturating_sub(idle_start.cpu),
                    bpf_ns: idle_bpf.values().map(|u| u.run_time_ns).sum(),
                },
            });
            if !agent.stop() {
                eprintln!("xtask: bench: the agent did not stop on SIGTERM in time; killed it");
            }
        }
        Ok(run)
    }

    /// Rounds of every loop under every condition, in alternating order.
    fn syscall_loops(&mut self) -> Result<Vec<LoopSample>> {
        let plan = self.plan.clone();
        let mut samples = Vec::new();
        if plan.syscall_rounds == 0 {
            return Ok(samples);
        }
        let mut loops = Loops::new(&self.scratch)?;
        // Unmeasured first pass: page cache, socket buffers, CPU frequency.
        for call in Call::ALL {
            loops.measure(call, plan.calls(call) / 5 + 1)?;
        }
        for round in 0..plan.syscall_rounds {
            let mut order = Condition::ALL.to_vec();
            if round % 2 == 1 {
                order.reverse();
            }
            for condition in order {
                let mut foreign_sonde = self.wait_for_quiet_host()?;
                let mut agent = match condition.agent_args() {
                    Some(args) => Some(self.start_agent(&args)?),
                    None => None,
                };
                let ours = match &agent {
                    Some(agent) => agent.program_ids()?,
                    None => BTreeSet::new(),
                };
                let mut round_samples = Vec::new();
                for _ in 0..plan.reps {
                    for call in Call::ALL {
                        let ns_per_call = loops.measure(call, plan.calls(call))?;
                        round_samples.push((call, ns_per_call));
                    }
                }
                foreign_sonde |= !bpf::foreign_sonde(&bpf::programs()?, &ours).is_empty();
                if let Some(agent) = agent.as_mut() {
                    agent.check_running()?;
                    self.peak_rss_kib = self.peak_rss_kib.max(system::peak_rss_kib(agent.pid())?);
                }
                if let Some(agent) = agent {
                    agent.stop();
                }
                let best = |call| {
                    let values: Vec<f64> = round_samples
                        .iter()
                        .filter(|(c, _)| *c == call)
                        .map(|(_, ns)| *ns)
                        .collect();
                    stats::min(&values).unwrap_or(0.0)
                };
                eprintln!(
                    "xtask: bench: loops round {}/{} {:<30} best ns/call: write {:.0}, udp {:.0}, tcp {:.0}{}",
                    round + 1,
                    plan.syscall_rounds,
                    condition.describe(),
                    best(Call::FileWrite),
                    best(Call::UdpSend),
                    best(Call::TcpSend),
                    if foreign_sonde { " (another sonde was loaded)" } else { "" }
                );
                samples.extend(
                    round_samples
                        .into_iter()
                        .map(|(call, ns_per_call)| LoopSample {
                            condition,
                            call,
                            ns_per_call,
                            foreign_sonde,
                        }),
                );
            }
        }
        Ok(samples)
    }
}

/// Readings taken around a run's idle window and load.
struct Snapshot {
    at: Instant,
    /// Busy time of the whole host.
    host_busy: Duration,
    /// gunicorn's CPU time.
    service_cpu: Duration,
    /// This process's CPU time and that of its children it waited for (wrk).
    own_cpu: Duration,
    /// The agent's CPU time.
    cpu: Duration,
    programs: Vec<bpf::Prog>,
    metrics: Metrics,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: HttpArgs,
    }

    #[test]
    fn quick_shrinks_the_plan_and_does_not_write() {
        let cli = Cli::try_parse_from(["http", "--quick"]).unwrap();
        let plan = cli.args.plan();
        assert_eq!((plan.pairs, plan.rate_pairs, plan.seconds), (1, 1, 3));
        assert!(plan.no_write);
        let cli = Cli::try_parse_from(["http"]).unwrap();
        let plan = cli.args.plan();
        assert_eq!((plan.pairs, plan.seconds, plan.rate), (5, 10, 500));
        assert!(!plan.no_write);
        assert_eq!(plan.calls(Call::TcpSend), plan.calls / 5);
    }

    #[test]
    fn agent_arguments_may_look_like_options() {
        let cli =
            Cli::try_parse_from(["http", "--agent-arg=--comm", "--agent-arg", "gunicorn"]).unwrap();
        assert_eq!(cli.args.agent_args, ["--comm", "gunicorn"]);
        assert!(!cli.args.unfiltered);
        assert_eq!(
            agent_command_line(&cli.args.agent_args),
            "sonde run --log-format json --listen 127.0.0.1:PORT --data-dir SCRATCH/agent-data \
             --comm gunicorn > /dev/null"
        );
    }
}
