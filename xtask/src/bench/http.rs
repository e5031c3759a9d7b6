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
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use anyhow::Result;
use clap::Args;

use super::{
    agent, bpf,
    cgroup::Cgroup,
    harness::{self, AgentOptions, AgentUsage, Harness},
    openloop, report,
    server::{self, Gunicorn},
    stats,
    syscalls::{Call, Loops},
    system::ScratchDir,
    wrk,
};
use crate::paths;

#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Pairs of saturation runs (wrk), each one run without the agent and one with it.
    /// Enough that the median ratio outlasts the shared host's drift: single
    /// pairs here vary by ±10 %.
    #[arg(long, default_value_t = 8)]
    pub pairs: usize,
    /// Pairs of fixed-rate runs.
    #[arg(long, default_value_t = 5)]
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
    /// The agent of the HTTP runs (the observed process is gunicorn).
    #[command(flatten)]
    pub agent: AgentOptions,
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
    /// The paired runs (eBPF statistics off).
    pub runs: Vec<Run>,
    /// With-agent runs with eBPF statistics on, one per load, outside the
    /// pairs.
    pub stats_runs: Vec<Run>,
    pub loops: Vec<LoopSample>,
    /// Peak RSS of every agent started, in KiB.
    pub peak_rss_kib: u64,
    /// `sonde run …` of the HTTP runs.
    pub agent_command: String,
    pub timing: report::Timing,
}

pub fn main(args: &HttpArgs) -> Result<ExitCode> {
    let stopwatch = report::Stopwatch::start();
    let plan = args.plan();
    harness::check_host("http", &[("wrk", "wrk")])?;
    let binary = agent::binary(plan.agent.no_build)?;
    let venv = server::ensure_venv()?;
    let mut scratch = ScratchDir::new("sonde-bench-http")?;
    // gunicorn runs in a cgroup of its own, for its CPU time, and (unless
    // --unfiltered) for the agent's filter.
    let cgroup = Cgroup::create(&format!("sonde-bench-{}", std::process::id()))?;
    let http_agent_args = plan.agent.run_args(&cgroup);
    let mut bench = Bench {
        plan: plan.clone(),
        http_agent_args: http_agent_args.clone(),
        service: cgroup,
        scratch: scratch.path().to_owned(),
        harness: Harness::new(binary, scratch.path().to_owned()),
    };
    let measured = bench.run_all(&venv);
    let (runs, stats_runs, loops) = match measured {
        Ok(measured) => measured,
        Err(error) => {
            scratch.keep();
            return Err(error);
        }
    };
    let results = Results {
        agent_command: agent::command_line(&http_agent_args),
        plan,
        runs,
        stats_runs,
        loops,
        peak_rss_kib: bench.harness.peak_rss_kib(),
        timing: stopwatch.stop(),
    };
    let section = report::render(&results, &report::Machine::detect(), &report::invocation());
    println!("{section}");
    if !results.plan.no_write {
        let path = paths::workspace_root().join("BENCHMARKS.md");
        report::write_section(&path, report::HEADING, &section)?;
        eprintln!("xtask: wrote the HTTP section of {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

struct Bench {
    plan: HttpArgs,
    /// Filter and extra arguments of the HTTP runs' agent.
    http_agent_args: Vec<String>,
    /// gunicorn's cgroup.
    service: Cgroup,
    scratch: PathBuf,
    harness: Harness,
}

impl Bench {
    /// The paired runs, the with-agent runs with eBPF statistics (one per
    /// load), and the syscall loops.
    fn run_all(&mut self, venv: &Path) -> Result<(Vec<Run>, Vec<Run>, Vec<LoopSample>)> {
        let plan = self.plan.clone();
        let mut runs = Vec::new();
        let mut stats_runs = Vec::new();
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
                // The pairs run with eBPF statistics off (they add a clock
                // read to every program run: a cost of measuring, not of the
                // agent); one more with-agent run with them on gives the
                // eBPF time.
                for index in 0..=2 * pairs {
                    let paired = index < 2 * pairs;
                    let with_agent = !paired || stats::with_agent_at(index);
                    let run = self.load_run(&mut gunicorn, load, with_agent, !paired)?;
                    eprintln!(
                        "xtask: bench: {} run {}/{}: {}",
                        report::load_name(load),
                        index + 1,
                        2 * pairs,
                        report::run_line(&run)
                    );
                    if paired {
                        runs.push(run);
                    } else {
                        stats_runs.push(run);
                    }
                }
            }
        }
        let loops = self.syscall_loops()?;
        Ok((runs, stats_runs, loops))
    }

    fn load_run(
        &mut self,
        gunicorn: &mut Gunicorn,
        load: Load,
        with_agent: bool,
        bpf_stats: bool,
    ) -> Result<Run> {
        let agent_args = with_agent.then_some(self.http_agent_args.as_slice());
        let addr = gunicorn.addr();
        let duration = self.plan.duration();
        let (plan, service) = (&self.plan, &self.service);
        let (mut run, measured) =
            self.harness
                .measure(agent_args, bpf_stats, &[service], || {
                    let run = match load {
                        Load::Saturation => {
                            let report = wrk::run(addr, server::HELLO, plan.connections, duration)?;
                            Run {
                                load,
                                with_agent,
                                requests: report.requests.saturating_sub(report.bad_status),
                                requests_per_second: report.requests_per_second,
                                p50: report.p50,
                                p99: report.p99,
                                errors: report.socket_errors + report.bad_status,
                                foreign_sonde: false,
                                window: Duration::ZERO,
                                service_cpu: Duration::ZERO,
                                other_cpu: Duration::ZERO,
                                agent: None,
                            }
                        }
                        Load::FixedRate => {
                            let outcome = openloop::run(
                                addr,
                                server::HELLO,
                                plan.rate,
                                duration,
                                RATE_CLIENTS,
                            );
                            Run {
                                load,
                                with_agent,
                                requests: outcome.ok,
                                requests_per_second: outcome.achieved_rate(),
                                p50: outcome.percentile(50.0),
                                p99: outcome.percentile(99.0),
                                errors: outcome.sent.saturating_sub(outcome.ok),
                                foreign_sonde: false,
                                window: Duration::ZERO,
                                service_cpu: Duration::ZERO,
                                other_cpu: Duration::ZERO,
                                agent: None,
                            }
                        }
                    };
                    gunicorn.check_running()?;
                    Ok(run)
                })?;
        run.foreign_sonde = measured.foreign_sonde;
        run.window = measured.window;
        run.service_cpu = measured.cgroup_cpu[0];
        run.other_cpu = measured.other_cpu(run.service_cpu);
        run.agent = measured.agent;
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
                let mut foreign_sonde = self.harness.wait_for_quiet_host()?;
                let mut agent = match condition.agent_args() {
                    Some(args) => Some(self.harness.start_agent(&args)?),
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
                    self.harness.note_peak_rss(agent)?;
                }
                if let Some(agent) = agent {
                    self.harness.stop_agent(agent, &ours)?;
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
        assert_eq!((plan.pairs, plan.seconds, plan.rate), (8, 10, 500));
        assert!(!plan.no_write);
        assert_eq!(plan.calls(Call::TcpSend), plan.calls / 5);
    }

    #[test]
    fn agent_arguments_may_look_like_options() {
        let cli =
            Cli::try_parse_from(["http", "--agent-arg=--comm", "--agent-arg", "gunicorn"]).unwrap();
        assert_eq!(cli.args.agent.agent_args, ["--comm", "gunicorn"]);
        assert!(!cli.args.agent.unfiltered);
        assert_eq!(
            agent::command_line(&cli.args.agent.agent_args),
            "sonde run --log-format json --listen 127.0.0.1:PORT --data-dir SCRATCH/agent-data \
             --comm gunicorn > /dev/null"
        );
    }
}
