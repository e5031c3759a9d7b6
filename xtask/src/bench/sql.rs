//! `cargo xtask bench sql`: what observing PostgreSQL clients costs, and how
//! fast the parsers are (issue 4, "Performance").
//!
//! 1. The agent's criterion benchmarks of PostgreSQL framing and SQL
//!    normalization (agent/benches), their estimates read back.
//! 2. PostgreSQL 15 in the scratch directory (in a cgroup of its own),
//!    `pgbench -i`, then pgbench's select-only script over TCP, in runs that
//!    alternate without and with the agent (A B B A …), with the simple query
//!    protocol and then a second mode (prepared statements by default).
//!    pgbench runs in a cgroup of its own, which the agent is told to
//!    observe; each run is a new pgbench, whose connections open after the
//!    agent started. Every run: pgbench's throughput and latency, the CPU
//!    time of the server, of pgbench and of every other process of the host;
//!    with the agent: its CPU time, peak RSS, and the calls it counted
//!    against pgbench's transactions. After the pairs of a mode, with-agent
//!    runs with `kernel.bpf_stats_enabled=1` give the eBPF run time: the
//!    statistics add a clock read before and after every program run, a
//!    cost of the measurement that the pairs leave out.
//!
//! Results go to stdout and to the `## SQL` section of BENCHMARKS.md.

use std::{
    process::ExitCode,
    time::{Duration, SystemTime},
};

use anyhow::Result;
use clap::Args;

use super::{
    agent,
    cgroup::Cgroup,
    criterion::{self, Estimate},
    harness::{self, AgentOptions, Harness, Measured},
    pgbench::{self, Mode},
    postgres::{self, Postgres},
    report, sql_report, stats,
    system::{self, ScratchDir},
};
use crate::paths;

#[derive(Debug, Clone, Args)]
pub struct SqlArgs {
    /// Pairs of runs with the simple query protocol, each one run without the
    /// agent and one with it. Enough that the median ratio outlasts the
    /// shared host's drift: single pairs here vary by ±10 %.
    #[arg(long, default_value_t = 7)]
    pub pairs: usize,
    /// The second query mode measured.
    #[arg(long, value_enum, default_value_t = Mode::Prepared)]
    pub variant: Mode,
    /// Pairs of runs in the second mode; 0 skips it.
    #[arg(long, default_value_t = 5)]
    pub variant_pairs: usize,
    /// With-agent runs per mode after the pairs, with
    /// `kernel.bpf_stats_enabled=1` for the eBPF time per transaction (the
    /// pairs leave it off: it adds to every program run).
    #[arg(long, default_value_t = 1)]
    pub stats_runs: usize,
    /// Seconds of each run.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// pgbench's clients (connections).
    #[arg(long, default_value_t = 8)]
    pub clients: u32,
    /// pgbench's threads.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// pgbench's scale factor (100,000 accounts each).
    #[arg(long, default_value_t = 10)]
    pub scale: u32,
    /// The agent of the measured runs (the observed process is pgbench).
    #[command(flatten)]
    pub agent: AgentOptions,
    /// Leave the criterion benchmarks out.
    #[arg(long)]
    pub no_criterion: bool,
    /// A smoke run: one pair of 3 s runs of each mode, no criterion;
    /// implies --no-write.
    #[arg(long)]
    pub quick: bool,
    /// Print the results without updating BENCHMARKS.md.
    #[arg(long)]
    pub no_write: bool,
}

impl SqlArgs {
    /// The arguments with `--quick` applied.
    fn plan(&self) -> SqlArgs {
        let mut plan = self.clone();
        if self.quick {
            plan.pairs = 1;
            plan.variant_pairs = plan.variant_pairs.min(1);
            plan.stats_runs = plan.stats_runs.min(1);
            plan.seconds = 3;
            plan.no_criterion = true;
            plan.no_write = true;
        }
        plan
    }

    /// The query modes measured and their pairs of runs.
    pub fn modes(&self) -> Vec<(Mode, usize)> {
        let mut modes = vec![(Mode::Simple, self.pairs)];
        if self.variant != Mode::Simple && self.variant_pairs > 0 {
            modes.push((self.variant, self.variant_pairs));
        }
        modes
    }

    fn load(&self, port: u16, mode: Mode, duration: Duration) -> pgbench::Load {
        pgbench::Load {
            port,
            clients: self.clients,
            threads: self.threads,
            duration,
            mode,
        }
    }
}

/// The criterion benchmarks run, by target.
const CRITERION_BENCHES: [&str; 2] = ["postgres_framing", "sql_normalize"];
/// The estimates read back, `GROUP/FUNCTION`.
pub const FRAMING_RECORDINGS: &str = "postgres/framing_recordings";
pub const FRAMING_SMALL: &str = "postgres/framing_small_messages";
pub const DJANGO_POSTGRESQL: &str = "django/postgresql";
pub const DJANGO_MYSQL: &str = "django/mysql";
pub const DJANGO_UNKNOWN: &str = "django/postgresql_dialect_unknown";
pub const LARGE_INSERT: &str = "large/insert_4mib";
const ESTIMATES: [&str; 6] = [
    FRAMING_RECORDINGS,
    FRAMING_SMALL,
    DJANGO_POSTGRESQL,
    DJANGO_MYSQL,
    DJANGO_UNKNOWN,
    LARGE_INSERT,
];
/// An unmeasured pgbench run first: caches, and the server's plans.
pub const WARM_UP: Duration = Duration::from_secs(3);
/// Which of a run's cgroups is which in [`Measured::cgroup_cpu`].
pub const CLIENT: usize = 0;
pub const SERVER: usize = 1;

/// One measured pgbench run.
#[derive(Debug, Clone)]
pub struct Run {
    pub mode: Mode,
    pub with_agent: bool,
    pub report: pgbench::Report,
    pub measured: Measured,
}

impl Run {
    /// A run with `kernel.bpf_stats_enabled=1`, outside the pairs.
    pub fn with_bpf_stats(&self) -> bool {
        self.measured
            .agent
            .as_ref()
            .is_some_and(|agent| agent.bpf.is_some())
    }

    fn cpu_us_per_transaction(&self, which: usize) -> Option<f64> {
        let cpu = self.measured.cgroup_cpu.get(which)?;
        let transactions = self.report.transactions;
        (transactions > 0).then(|| cpu.as_secs_f64() * 1e6 / transactions as f64)
    }

    /// The server's CPU microseconds per transaction.
    pub fn server_us(&self) -> Option<f64> {
        self.cpu_us_per_transaction(SERVER)
    }

    /// pgbench's CPU microseconds per transaction.
    pub fn client_us(&self) -> Option<f64> {
        self.cpu_us_per_transaction(CLIENT)
    }

    /// Other processes' CPU time during the run, in CPUs (pgbench is a child
    /// of this process: it is in its own CPU time already).
    pub fn other_cpus(&self) -> Option<f64> {
        let measured = &self.measured;
        let server = measured.cgroup_cpu.get(SERVER).copied().unwrap_or_default();
        let window = measured.window.as_secs_f64();
        (window > 0.0).then(|| measured.other_cpu(server).as_secs_f64() / window)
    }
}

/// The parsers' throughput.
#[derive(Debug, Clone, Default)]
pub struct Parsers {
    pub estimates: Vec<Estimate>,
    /// Bytes on the wire the framing recordings stand for, as the benchmark
    /// printed it (captured bytes are its throughput).
    pub wire_bytes: Option<u64>,
}

impl Parsers {
    pub fn get(&self, id: &str) -> Option<&Estimate> {
        self.estimates.iter().find(|e| e.id == id)
    }
}

/// Everything measured.
#[derive(Debug)]
pub struct Results {
    pub plan: SqlArgs,
    pub runs: Vec<Run>,
    /// `None` with --no-criterion.
    pub parsers: Option<Parsers>,
    pub peak_rss_kib: u64,
    /// `sonde run …` of the runs.
    pub agent_command: String,
    pub timing: report::Timing,
}

pub fn main(args: &SqlArgs) -> Result<ExitCode> {
    let stopwatch = report::Stopwatch::start();
    let plan = args.plan();
    harness::check_host("sql", &[("setpriv", "util-linux")])?;
    let pgbench = postgres::program("pgbench")?;
    let binary = agent::binary(plan.agent.no_build)?;

    let parsers = match plan.no_criterion {
        true => None,
        false => Some(run_criterion()?),
    };

    let mut scratch = ScratchDir::new("sonde-bench-sql")?;
    let id = std::process::id();
    let client = Cgroup::create(&format!("sonde-bench-sql-client-{id}"))?;
    let server = Cgroup::create(&format!("sonde-bench-sql-server-{id}"))?;
    let agent_args = plan.agent.run_args(&client);
    let mut harness = Harness::new(binary, scratch.path().to_owned());
    let measured = (|| {
        let mut postgres = Postgres::start(&scratch.path().join("postgres"), &server)?;
        eprintln!(
            "xtask: bench: PostgreSQL on 127.0.0.1:{}; pgbench -i -s {}",
            postgres.port(),
            plan.scale
        );
        system::output(
            &mut pgbench::initialize(&pgbench, postgres.socket_dir(), postgres.port(), plan.scale),
            postgres::PACKAGES,
        )?;
        let warm_up = plan.load(postgres.port(), Mode::Simple, WARM_UP);
        pgbench::run(client.command(&pgbench).args(warm_up.args()))?;
        let mut runs = Vec::new();
        for (mode, pairs) in plan.modes() {
            let load = plan.load(
                postgres.port(),
                mode,
                Duration::from_secs(plan.seconds.max(1)),
            );
            // The pairs, then the runs with eBPF statistics.
            let total = 2 * pairs + plan.stats_runs;
            for index in 0..total {
                let paired = index < 2 * pairs;
                let with_agent = !paired || stats::with_agent_at(index);
                let agent_args = with_agent.then_some(agent_args.as_slice());
                let cgroups = [&client, &server];
                let (report, measured) = harness.measure(agent_args, !paired, &cgroups, || {
                    let report = pgbench::run(client.command(&pgbench).args(load.args()))?;
                    postgres.check_running()?;
                    Ok(report)
                })?;
                let run = Run {
                    mode,
                    with_agent,
                    report,
                    measured,
                };
                eprintln!(
                    "xtask: bench: {} run {}/{total}: {}",
                    mode.name(),
                    index + 1,
                    sql_report::run_line(&run)
                );
                runs.push(run);
            }
        }
        Ok(runs)
    })();
    let runs = match measured {
        Ok(runs) => runs,
        Err(error) => {
            scratch.keep();
            return Err(error);
        }
    };
    let results = Results {
        agent_command: agent::command_line(&agent_args),
        plan,
        runs,
        parsers,
        peak_rss_kib: harness.peak_rss_kib(),
        timing: stopwatch.stop(),
    };
    let section = sql_report::render(&results, &report::Machine::detect(), &report::invocation());
    println!("{section}");
    if !results.plan.no_write {
        let path = paths::workspace_root().join("BENCHMARKS.md");
        report::write_section(&path, sql_report::HEADING, &section)?;
        eprintln!("xtask: wrote the SQL section of {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the parsers' criterion benchmarks and reads their estimates.
fn run_criterion() -> Result<Parsers> {
    // Criterion's files have whole-second times on some file systems.
    let since = SystemTime::now() - Duration::from_secs(1);
    let stdout = criterion::run(&CRITERION_BENCHES)?;
    let dir = criterion::results_dir();
    let estimates = ESTIMATES
        .iter()
        .map(|id| criterion::read(&dir, id, since))
        .collect::<Result<_>>()?;
    Ok(Parsers {
        estimates,
        wire_bytes: wire_bytes(&stdout),
    })
}

/// The bytes on the wire from the framing benchmark's line
/// `postgres recordings: N conversations, C bytes captured, W bytes on the wire`.
pub fn wire_bytes(stdout: &str) -> Option<u64> {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("postgres recordings:"))?;
    let (before, _) = line.split_once(" bytes on the wire")?;
    before.rsplit(' ').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: SqlArgs,
    }

    #[test]
    fn quick_shrinks_the_plan_and_does_not_write() {
        let plan = Cli::try_parse_from(["sql", "--quick"]).unwrap().args.plan();
        assert_eq!((plan.pairs, plan.variant_pairs, plan.seconds), (1, 1, 3));
        assert!(plan.no_write && plan.no_criterion);
        let plan = Cli::try_parse_from(["sql"]).unwrap().args.plan();
        assert_eq!((plan.pairs, plan.seconds, plan.clients), (7, 10, 8));
        assert_eq!(plan.modes(), [(Mode::Simple, 7), (Mode::Prepared, 5)]);
        assert!(!plan.no_write && !plan.no_criterion);
        let plan = Cli::try_parse_from(["sql", "--variant", "extended", "--variant-pairs", "0"])
            .unwrap()
            .args;
        assert_eq!(plan.modes(), [(Mode::Simple, 7)]);
    }

    #[test]
    fn reads_the_bytes_on_the_wire() {
        let stdout = "Gnuplot not found\npostgres recordings: 12 conversations, 40960 bytes captured, 5000000 bytes on the wire\npostgres/framing_recordings time: [1 µs 1 µs 1 µs]\n";
        assert_eq!(wire_bytes(stdout), Some(5_000_000));
        assert_eq!(wire_bytes("nothing"), None);
    }
}
