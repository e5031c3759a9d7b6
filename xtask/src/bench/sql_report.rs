//! The SQL benchmark's summary: medians and ratios over the pgbench runs and
//! the parsers' throughput, rendered as the `## SQL` section of
//! BENCHMARKS.md (and printed).

use std::fmt::Write as _;

use super::{
    criterion::{Estimate, Throughput},
    harness,
    pgbench::Mode,
    report::{self, opt, percent, BpfTotals, Goal},
    sql::{self, Parsers, Results, Run},
    stats,
};

/// The heading of the section this benchmark owns in BENCHMARKS.md.
pub const HEADING: &str = "## SQL";
/// pgbench's throughput with the agent ÷ without.
const TPS_GOAL: Goal = Goal::AtLeast(0.97);
/// GB/s of PostgreSQL messages framed, one core.
const FRAMING_GOAL: Goal = Goal::AtLeast(1.0);
/// Django's statements normalized per second, one core.
const NORMALIZE_GOAL: Goal = Goal::AtLeast(200_000.0);

/// Medians over the runs of one query mode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModeSummary {
    pub pairs: usize,
    pub tps_without: Option<f64>,
    pub tps_with: Option<f64>,
    /// Median of the per-pair ratios.
    pub tps_ratio: Option<f64>,
    pub latency_without: Option<f64>,
    pub latency_with: Option<f64>,
    pub latency_ratio: Option<f64>,
    pub server_us_without: Option<f64>,
    pub server_us_with: Option<f64>,
    pub server_ratio: Option<f64>,
    pub client_us_without: Option<f64>,
    pub client_us_with: Option<f64>,
    pub client_ratio: Option<f64>,
    pub other_cpus_without: Option<f64>,
    pub other_cpus_with: Option<f64>,
    /// tps of the runs with eBPF statistics on (outside the pairs), median,
    /// and its ratio to `tps_without`.
    pub tps_with_stats: Option<f64>,
    pub tps_with_stats_ratio: Option<f64>,
    /// Agent CPU milliseconds per 1,000 transactions: all, and less its idle rate.
    pub cpu_ms_per_1k: Option<f64>,
    pub cpu_ms_per_1k_net: Option<f64>,
    /// Runs with eBPF statistics on, and the eBPF time over them.
    pub bpf_runs: usize,
    pub bpf: BpfTotals,
    /// PostgreSQL calls the agent counted ÷ transactions, over with-agent runs.
    pub seen_fraction: Option<f64>,
    pub dropped_events: f64,
    pub failed: u64,
    pub foreign_runs: usize,
}

pub fn summarize(runs: &[Run], mode: Mode) -> ModeSummary {
    let all: Vec<&Run> = runs.iter().filter(|r| r.mode == mode).collect();
    let (stats_runs, runs): (Vec<&Run>, Vec<&Run>) = all.iter().partition(|r| r.with_bpf_stats());
    let median = |f: &dyn Fn(&Run) -> Option<f64>, with: bool| -> Option<f64> {
        let values: Vec<f64> = runs
            .iter()
            .filter(|r| r.with_agent == with)
            .filter_map(|r| f(r))
            .collect();
        stats::median(&values)
    };
    let paired = |f: &dyn Fn(&Run) -> Option<f64>| -> Option<f64> {
        let series: Vec<(bool, f64)> = runs
            .iter()
            .map(|r| (r.with_agent, f(r).unwrap_or(0.0)))
            .collect();
        stats::median_pair_ratio(&series)
    };
    let tps = |r: &Run| Some(r.report.tps);
    let latency = |r: &Run| Some(r.report.latency_ms);
    let server = |r: &Run| r.server_us();
    let client = |r: &Run| r.client_us();
    let other = |r: &Run| r.other_cpus();
    let cpu = |r: &Run| {
        r.measured
            .agent
            .as_ref()?
            .cpu_ms_per_1k(r.report.transactions)
    };
    let cpu_net = |r: &Run| {
        r.measured
            .agent
            .as_ref()?
            .cpu_ms_per_1k_net(r.report.transactions)
    };
    let tps_without = median(&tps, false);
    let stats_tps: Vec<f64> = stats_runs.iter().map(|r| r.report.tps).collect();
    let tps_with_stats = stats::median(&stats_tps);
    let mut bpf = BpfTotals::default();
    let (mut transactions, mut seen, mut dropped_events) = (0, 0.0, 0.0);
    for run in &all {
        if let Some(agent) = &run.measured.agent {
            bpf.add(agent, run.report.transactions);
            transactions += run.report.transactions;
            seen += agent.seen.postgresql_operations;
            dropped_events += agent.seen.dropped_events;
        }
    }
    ModeSummary {
        pairs: runs.len() / 2,
        tps_without,
        tps_with: median(&tps, true),
        tps_ratio: paired(&tps),
        latency_without: median(&latency, false),
        latency_with: median(&latency, true),
        latency_ratio: paired(&latency),
        server_us_without: median(&server, false),
        server_us_with: median(&server, true),
        server_ratio: paired(&server),
        client_us_without: median(&client, false),
        client_us_with: median(&client, true),
        client_ratio: paired(&client),
        other_cpus_without: median(&other, false),
        other_cpus_with: median(&other, true),
        tps_with_stats,
        tps_with_stats_ratio: tps_with_stats
            .zip(tps_without)
            .and_then(|(w, wo)| stats::ratio(w, wo)),
        cpu_ms_per_1k: median(&cpu, true),
        cpu_ms_per_1k_net: median(&cpu_net, true),
        bpf_runs: stats_runs.len(),
        bpf,
        seen_fraction: (transactions > 0).then(|| seen / transactions as f64),
        dropped_events,
        failed: all.iter().map(|r| r.report.failed).sum(),
        foreign_runs: all.iter().filter(|r| r.measured.foreign_sonde).count(),
    }
}

/// One line about a run, for progress output.
pub fn run_line(run: &Run) -> String {
    let report = &run.report;
    let mut line = format!(
        "{} agent: {:.0} tps, latency {:.3} ms, {} transactions, {} failed",
        if run.with_agent { "with" } else { "without" },
        report.tps,
        report.latency_ms,
        report.transactions,
        report.failed
    );
    if let Some(agent) = &run.measured.agent {
        let _ = write!(
            line,
            "; agent {:.2} s CPU ({} ms/1k txn), eBPF {} µs/txn, counted {:.0} PostgreSQL calls \
             ({} of the transactions)",
            agent.cpu.as_secs_f64(),
            opt(agent.cpu_ms_per_1k(report.transactions), 1),
            opt(agent.bpf_ns_per(report.transactions).map(|ns| ns / 1e3), 2),
            agent.seen.postgresql_operations,
            percent(report.transactions, agent.seen.postgresql_operations),
        );
    }
    if run.measured.foreign_sonde {
        line.push_str(" [another sonde was loaded]");
    }
    line
}

/// How the report names a query mode.
fn mode_title(mode: Mode) -> &'static str {
    match mode {
        Mode::Simple => "Simple protocol",
        Mode::Extended => "Extended protocol",
        Mode::Prepared => "Prepared statements",
    }
}

/// The `## SQL` section for BENCHMARKS.md.
pub fn render(results: &Results, machine: &report::Machine, invocation: &str) -> String {
    let plan = &results.plan;
    let modes: Vec<(Mode, ModeSummary)> = plan
        .modes()
        .into_iter()
        .map(|(mode, _)| (mode, summarize(&results.runs, mode)))
        .collect();
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{HEADING}\n");
    let _ = writeln!(
        w,
        "What observing PostgreSQL clients costs (issue 4): pgbench's select-only script (one \
         SELECT by primary key per transaction) against a local PostgreSQL 15 over TCP, in runs \
         alternating without and with the agent (A B B A …) in one invocation; and the parsers' \
         throughput on recorded traffic (criterion, one core).\n"
    );
    report::render_header(w, machine, invocation, &results.timing);
    let _ = writeln!(
        w,
        "- Agent: `{}`{}",
        results.agent_command,
        if plan.agent.unfiltered {
            ": no filter, it observes every process of the host"
        } else {
            ": it observes only pgbench, started in a cgroup of its own; the server (whose side \
             of a connection sonde never captures, by design) and the rest of the host are not \
             observed but still run its programs"
        }
    );
    let _ = writeln!(
        w,
        "- Server: PostgreSQL 15 ({}) in a scratch directory, as the `postgres` user, in a cgroup \
         of its own, on 127.0.0.1 and a Unix socket there, trust authentication, fsync off, \
         shared_buffers 256MB; `pgbench -i -s {}` ({} accounts, all in shared buffers), then an \
         unmeasured {} s run.",
        super::postgres::BINDIR,
        plan.scale,
        u64::from(plan.scale) * 100_000,
        sql::WARM_UP.as_secs(),
    );
    let mut loads = Vec::new();
    for (mode, summary) in &modes {
        loads.push(format!(
            "`pgbench -n -S -c{} -j{} -T{} -M{} -h127.0.0.1`, {} pairs and {} with-agent run(s) \
             with eBPF statistics",
            plan.clients,
            plan.threads,
            plan.seconds,
            mode.name(),
            summary.pairs,
            summary.bpf_runs,
        ));
    }
    let _ = writeln!(
        w,
        "- Load: {}. Every run is a new pgbench: its connections open after the agent started, \
         as the agent classifies a PostgreSQL connection by its first bytes.",
        loads.join("; ")
    );
    let _ = writeln!(
        w,
        "- Values are medians over runs; ratios are medians of the per-pair ratios (with ÷ \
         without). tps is pgbench's \"without initial connection time\", latency its average. A \
         with-agent run starts the agent, waits {settle} s, measures {idle} s of idling, then the \
         load and {drain} s of draining. CPU per transaction is utime+stime (the agent's from \
         /proc/PID/stat, the server's and pgbench's from their cgroups' cpu.stat) over load and \
         drain ÷ transactions. The pairs run with `kernel.bpf_stats_enabled=0`: the statistics \
         add a clock read before and after every program run, a cost of the measurement, not of \
         the agent (the rows \"throughput with eBPF statistics on\" show the throughput with \
         them). After a mode's pairs, {stats_runs} \
         with-agent run(s) with it on give the eBPF time: the `run_time_ns` of the agent's \
         programs over load and drain ÷ transactions; it includes the server's side of each \
         transaction (its sends and receives run the agent's programs, which then leave it \
         alone).",
        stats_runs = plan.stats_runs,
        settle = harness::SETTLE.as_secs(),
        idle = harness::IDLE_WINDOW.as_secs(),
        drain = harness::DRAIN.as_secs(),
    );
    let foreign: usize = modes.iter().map(|(_, s)| s.foreign_runs).sum();
    if foreign > 0 {
        let _ = writeln!(
            w,
            "- **{foreign} runs had another sonde agent loaded** (someone's tests): they tax every \
             process and skew both sides."
        );
    }
    let _ = writeln!(w);

    report::measures_table_head(w);
    for (mode, s) in &modes {
        let title = mode_title(*mode);
        let rows = [
            (
                "throughput, tps",
                s.tps_without,
                s.tps_with,
                s.tps_ratio,
                Some(TPS_GOAL),
                0,
            ),
            (
                "latency average, ms",
                s.latency_without,
                s.latency_with,
                s.latency_ratio,
                None,
                3,
            ),
            (
                "PostgreSQL CPU per transaction, µs",
                s.server_us_without,
                s.server_us_with,
                s.server_ratio,
                None,
                1,
            ),
            (
                "pgbench CPU per transaction, µs",
                s.client_us_without,
                s.client_us_with,
                s.client_ratio,
                None,
                1,
            ),
            (
                "other processes' load, CPUs",
                s.other_cpus_without,
                s.other_cpus_with,
                None,
                None,
                2,
            ),
            (
                "throughput with eBPF statistics on (not paired), tps",
                s.tps_without,
                s.tps_with_stats,
                s.tps_with_stats_ratio,
                None,
                0,
            ),
        ];
        for (name, without, with, ratio, goal, decimals) in rows {
            let name = format!("{title}: {name}");
            report::ratio_row(w, &name, without, with, ratio, goal, decimals);
        }
    }
    for (mode, s) in &modes {
        let title = mode_title(*mode);
        let rows = [
            ("agent CPU per 1,000 transactions, ms", s.cpu_ms_per_1k, 1),
            ("… less its idle rate, ms", s.cpu_ms_per_1k_net, 1),
            (
                "eBPF time per transaction, ns",
                s.bpf.per_unit(s.bpf.total_ns() as f64),
                0,
            ),
            ("… less the idle rate, ns", s.bpf.per_unit(s.bpf.net_ns), 0),
        ];
        for (name, value, decimals) in rows {
            report::value_row(w, &format!("{title}: {name}"), value, None, decimals);
        }
    }
    let idle_cpu: Vec<f64> = results
        .runs
        .iter()
        .filter_map(|r| r.measured.agent.as_ref()?.idle_cpu_ms_per_s())
        .collect();
    report::value_row(
        w,
        "Agent CPU while idle, ms per s",
        stats::median(&idle_cpu),
        None,
        1,
    );
    let rss_mib = (results.peak_rss_kib > 0).then(|| results.peak_rss_kib as f64 / 1024.0);
    report::value_row(
        w,
        "Agent peak RSS (VmHWM, max over runs), MiB",
        rss_mib,
        None,
        1,
    );
    let _ = writeln!(w);
    let counted: Vec<String> = modes
        .iter()
        .map(|(mode, s)| {
            format!(
                "{} % with `-M{}`",
                opt(s.seen_fraction.map(|f| f * 100.0), 1),
                mode.name()
            )
        })
        .collect();
    let _ = writeln!(
        w,
        "Failed transactions: {}. PostgreSQL calls the agent counted \
         (`db_client_operation_duration_seconds_count{{db_system_name=\"postgresql\"}}`) ÷ \
         pgbench's transactions: {} (pgbench also sends its own few queries when it starts); \
         events it dropped: {:.0}.\n",
        modes.iter().map(|(_, s)| s.failed).sum::<u64>(),
        counted.join(", "),
        modes.iter().map(|(_, s)| s.dropped_events).sum::<f64>(),
    );

    render_parsers(w, results.parsers.as_ref());
    for (mode, s) in &modes {
        let heading = format!("### eBPF time by program, `-M{}`", mode.name());
        s.bpf.render(w, &heading, "transaction", "transactions");
    }
    render_runs(w, &results.runs);
    out
}

/// How a parser's throughput is shown.
#[derive(Debug, Clone, Copy)]
enum Rate {
    GigabytesPerSecond,
    StatementsPerSecond,
}

impl Rate {
    fn of(self, estimate: &Estimate) -> f64 {
        match self {
            Rate::GigabytesPerSecond => estimate.per_second() / 1e9,
            Rate::StatementsPerSecond => estimate.per_second(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Rate::GigabytesPerSecond => "GB/s",
            Rate::StatementsPerSecond => "statements/s",
        }
    }
}

/// The criterion estimates shown: what, its id, its unit, its goal.
const PARSER_ROWS: [(&str, &str, Rate, Option<Goal>); 6] = [
    (
        "PostgreSQL framing, recorded conversations",
        sql::FRAMING_RECORDINGS,
        Rate::GigabytesPerSecond,
        Some(FRAMING_GOAL),
    ),
    (
        "PostgreSQL framing, small messages only",
        sql::FRAMING_SMALL,
        Rate::GigabytesPerSecond,
        Some(FRAMING_GOAL),
    ),
    (
        "SQL normalization, Django on PostgreSQL",
        sql::DJANGO_POSTGRESQL,
        Rate::StatementsPerSecond,
        Some(NORMALIZE_GOAL),
    ),
    (
        "SQL normalization, Django on MySQL",
        sql::DJANGO_MYSQL,
        Rate::StatementsPerSecond,
        None,
    ),
    (
        "SQL normalization, Django on PostgreSQL, dialect unknown",
        sql::DJANGO_UNKNOWN,
        Rate::StatementsPerSecond,
        None,
    ),
    (
        "SQL normalization, one 4 MiB INSERT",
        sql::LARGE_INSERT,
        Rate::GigabytesPerSecond,
        None,
    ),
];

fn render_parsers(w: &mut String, parsers: Option<&Parsers>) {
    let _ = writeln!(w, "### Parsers (criterion, one core)\n");
    let Some(parsers) = parsers else {
        let _ = writeln!(w, "Not measured (`--no-criterion`).\n");
        return;
    };
    let _ = writeln!(
        w,
        "`cargo bench -p sonde-agent --bench postgres_framing --bench sql_normalize`, read from \
         target/criterion/ID/new/ (time per iteration: the slope, else the mean). Framing feeds \
         every recorded conversation of agent/src/protocols/postgres/testdata through a fresh \
         connection with the normalizer stubbed, and counts the bytes the parser reads (the \
         captured ones); normalization runs every statement of Django's golden files.\n"
    );
    let _ = writeln!(
        w,
        "| Benchmark | ID | Time per iteration | Throughput | Goal | |"
    );
    let _ = writeln!(w, "|---|---|--:|--:|---|---|");
    for (name, id, unit, goal) in PARSER_ROWS {
        let Some(estimate) = parsers.get(id) else {
            continue;
        };
        let value = unit.of(estimate);
        let decimals = if value >= 1000.0 { 0 } else { 2 };
        let unit = unit.name();
        let _ = writeln!(
            w,
            "| {name} | `{id}` | {} | {value:.decimals$} {unit} | {} | {} |",
            per_iteration(estimate),
            goal.map_or_else(|| "–".to_owned(), |g| format!("{} {unit}", g.describe())),
            goal.map_or("", |g| g.verdict(Some(value))),
        );
    }
    if let (Some(wire), Some(framing)) = (parsers.wire_bytes, parsers.get(sql::FRAMING_RECORDINGS))
    {
        let captured = match framing.throughput {
            Throughput::Bytes(n) => n,
            Throughput::Elements(_) => 0,
        };
        let _ = writeln!(
            w,
            "\nThe recordings hold {captured} captured bytes standing for {wire} bytes on the \
             wire (large messages are captured in part): counted in bytes on the wire, framing \
             runs at {:.2} GB/s.",
            wire as f64 / framing.ns_per_iteration
        );
    }
    let _ = writeln!(w);
}

fn per_iteration(estimate: &Estimate) -> String {
    let ns = estimate.ns_per_iteration;
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn render_runs(w: &mut String, runs: &[Run]) {
    let _ = writeln!(w, "### Runs\n");
    let _ = writeln!(
        w,
        "| # | Mode | Agent | tps | Latency ms | Transactions | Failed | Agent CPU s | CPU ms / 1k txn | eBPF µs / txn | Counted by agent | Agent RSS MiB | PostgreSQL CPU µs / txn | pgbench CPU µs / txn | Other load, CPUs |"
    );
    let _ = writeln!(
        w,
        "|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    for (index, run) in runs.iter().enumerate() {
        let agent = run.measured.agent.as_ref();
        let transactions = run.report.transactions;
        let _ = writeln!(
            w,
            "| {} | {} | {}{} | {:.0} | {:.3} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            index + 1,
            run.mode.name(),
            match (run.with_agent, run.with_bpf_stats()) {
                (true, true) => "with, eBPF stats",
                (true, false) => "with",
                (false, _) => "without",
            },
            if run.measured.foreign_sonde {
                " (other sonde)"
            } else {
                ""
            },
            run.report.tps,
            run.report.latency_ms,
            transactions,
            run.report.failed,
            opt(agent.map(|a| a.cpu.as_secs_f64()), 2),
            opt(agent.and_then(|a| a.cpu_ms_per_1k(transactions)), 1),
            opt(
                agent
                    .and_then(|a| a.bpf_ns_per(transactions))
                    .map(|ns| ns / 1e3),
                2
            ),
            agent.map_or_else(
                || "–".to_owned(),
                |a| percent(transactions, a.seen.postgresql_operations)
            ),
            opt(agent.map(|a| a.peak_rss_kib as f64 / 1024.0), 1),
            opt(run.server_us(), 1),
            opt(run.client_us(), 1),
            opt(run.other_cpus(), 2),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeMap, time::Duration};

    use clap::Parser;

    use super::*;
    use crate::bench::{
        agent::Metrics,
        bpf::Usage,
        harness::{AgentUsage, Idle, Measured},
        pgbench::Report,
        sql::SqlArgs,
    };

    /// A run without the agent, with it, or with it and eBPF statistics on.
    fn run(mode: Mode, agent: (bool, bool), tps: f64) -> Run {
        let (with_agent, bpf_stats) = agent;
        let transactions = (tps * 10.0) as u64;
        Run {
            mode,
            with_agent,
            report: Report {
                transactions,
                failed: 0,
                tps,
                latency_ms: 8.0 / tps * 1e3,
            },
            measured: Measured {
                foreign_sonde: false,
                window: Duration::from_secs(10),
                // pgbench, then the server.
                cgroup_cpu: vec![Duration::from_secs(2), Duration::from_secs(4)],
                host_busy: Duration::from_secs(10),
                own_cpu: Duration::from_secs(2),
                agent: with_agent.then(|| AgentUsage {
                    window: Duration::from_secs(10),
                    cpu: Duration::from_millis(transactions / 200),
                    peak_rss_kib: 64 * 1024,
                    bpf: bpf_stats.then(|| {
                        BTreeMap::from([(
                            "sonde_sock_send".to_owned(),
                            Usage {
                                run_time_ns: transactions * 1200,
                                run_cnt: transactions * 2,
                            },
                        )])
                    }),
                    seen: Metrics {
                        postgresql_operations: transactions as f64 + 2.0,
                        ..Metrics::default()
                    },
                    idle: Idle::default(),
                }),
            },
        }
    }

    #[test]
    fn renders_the_section() {
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: SqlArgs,
        }
        const WITHOUT: (bool, bool) = (false, false);
        const WITH: (bool, bool) = (true, false);
        const STATS: (bool, bool) = (true, true);
        let runs = vec![
            run(Mode::Simple, WITHOUT, 20_000.0),
            run(Mode::Simple, WITH, 19_000.0),
            run(Mode::Simple, STATS, 16_000.0),
            run(Mode::Prepared, WITHOUT, 40_000.0),
            run(Mode::Prepared, WITH, 40_000.0),
            run(Mode::Prepared, STATS, 36_000.0),
        ];
        let summary = summarize(&runs, Mode::Simple);
        assert_eq!(summary.pairs, 1);
        assert_eq!(summary.tps_ratio, Some(0.95));
        assert_eq!(summary.tps_with, Some(19_000.0));
        assert_eq!(summary.tps_with_stats_ratio, Some(0.8));
        assert_eq!(summary.server_us_without, Some(20.0));
        assert_eq!(summary.cpu_ms_per_1k, Some(5.0));
        // From the run with statistics only.
        assert_eq!(summary.bpf.count, 160_000);
        assert_eq!(
            summary.bpf.per_unit(summary.bpf.total_ns() as f64),
            Some(1200.0)
        );
        assert!((summary.seen_fraction.unwrap() - 350_004.0 / 350_000.0).abs() < 1e-12);
        // 10 s busy less 2 s of this process, the agent's 0.95 s, 4 s of the server.
        assert!((runs[1].other_cpus().unwrap() - 0.305).abs() < 1e-9);

        let parsers = Parsers {
            estimates: vec![
                Estimate {
                    id: sql::FRAMING_RECORDINGS.to_owned(),
                    ns_per_iteration: 40_000.0,
                    throughput: Throughput::Bytes(60_000),
                },
                Estimate {
                    id: sql::DJANGO_POSTGRESQL.to_owned(),
                    ns_per_iteration: 1e6,
                    throughput: Throughput::Elements(150),
                },
            ],
            wire_bytes: Some(4_000_000),
        };
        let results = Results {
            plan: Cli::parse_from(["sql", "--variant-pairs", "1"]).args,
            runs,
            parsers: Some(parsers),
            peak_rss_kib: 64 * 1024,
            agent_command: "sonde run".into(),
            timing: report::Timing::example(Duration::from_secs(430)),
        };
        let text = render(
            &results,
            &report::Machine::example(),
            "cargo xtask bench sql",
        );
        assert!(text.starts_with("## SQL\n"), "{text}");
        assert!(text.contains("took 7 min 10 s"), "{text}");
        assert!(
            text.contains(
                "| Simple protocol: throughput, tps | 20000 | 19000 | 0.950 | ≥ 0.97 | **missed** |"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| Prepared statements: throughput, tps | 40000 | 40000 | 1.000 | ≥ 0.97 | met |"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| PostgreSQL framing, recorded conversations | `postgres/framing_recordings` | 40.00 µs | 1.50 GB/s | ≥ 1 GB/s | met |"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| SQL normalization, Django on PostgreSQL | `django/postgresql` | 1.00 ms | 150000 statements/s | ≥ 200000 statements/s | **missed** |"
            ),
            "{text}"
        );
        assert!(text.contains("framing runs at 100.00 GB/s"), "{text}");
        assert!(text.contains("100.0 % with `-Msimple`"), "{text}");
        assert!(
            text.contains("| 3 | simple | with, eBPF stats | 16000 | 0.500 | 160000 | 0 | 0.80 | 5.0 | 1.20 |"),
            "{text}"
        );
        assert!(
            text.contains("| Simple protocol: throughput with eBPF statistics on (not paired), tps | 20000 | 16000 | 0.800 | – |  |"),
            "{text}"
        );
        assert!(
            text.contains("### eBPF time by program, `-Mprepared`"),
            "{text}"
        );
        assert!(
            text.contains("| 2 | simple | with | 19000 | 0.421 | 190000 | 0 | 0.95 | 5.0 | – | 100.0 % | 64.0 | 21.1 | 10.5 | 0.30 |"),
            "{text}"
        );
    }
}
