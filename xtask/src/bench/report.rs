//! The HTTP benchmark's summary: medians and ratios over the runs, rendered as
//! the `## HTTP` section of BENCHMARKS.md (and printed).

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    fs,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};

use super::{
    bpf::Usage,
    harness::{self, AgentUsage},
    http::{self, Condition, Load, LoopSample, Results, Run},
    stats,
    syscalls::Call,
};

/// The heading of the section this benchmark owns in BENCHMARKS.md.
pub const HEADING: &str = "## HTTP";

/// Where the numbers were taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub date: String,
    pub cpus: usize,
    pub model: String,
    pub kernel: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let date = Command::new("date")
            .args(["-u", "+%Y-%m-%d %H:%M UTC"])
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| "unknown date".to_owned());
        let model = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .as_deref()
            .and_then(cpu_model)
            .unwrap_or_else(|| "unknown CPU".to_owned());
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown kernel".to_owned());
        Machine {
            date,
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            model,
            kernel,
        }
    }
}

/// How this benchmark was started, for the report.
pub fn invocation() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("cargo xtask {}", args.join(" "))
}

/// How long a benchmark took, and the host's load when it started and ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    pub elapsed: Duration,
    /// /proc/loadavg's first three fields at the start and at the end.
    pub load_average: [String; 2],
}

/// Started with a benchmark; [`Stopwatch::stop`] gives its [`Timing`].
#[derive(Debug)]
pub struct Stopwatch {
    started: Instant,
    load_at_start: String,
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch {
            started: Instant::now(),
            load_at_start: load_average(),
        }
    }

    pub fn stop(self) -> Timing {
        Timing {
            elapsed: self.started.elapsed(),
            load_average: [self.load_at_start, load_average()],
        }
    }
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The checked-out commit, `+ uncommitted changes` when the tree (but for
/// BENCHMARKS.md) differs from it.
fn tree_version() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(crate::paths::workspace_root())
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        // BENCHMARKS.md is what a run writes: its changes are not the tree's.
        Some(commit) => match git(&[
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":(exclude)BENCHMARKS.md",
        ]) {
            Some(changes) if !changes.is_empty() => format!("{commit} + uncommitted changes"),
            _ => commit,
        },
        None => "unknown".to_owned(),
    }
}

/// The first `model name` of /proc/cpuinfo.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// A goal on a measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    AtLeast(f64),
    AtMost(f64),
}

impl Goal {
    pub fn describe(self) -> String {
        match self {
            Goal::AtLeast(x) => format!("≥ {}", trim_float(x)),
            Goal::AtMost(x) => format!("≤ {}", trim_float(x)),
        }
    }

    /// "met", "**missed**", or "–" without a value.
    pub fn verdict(self, value: Option<f64>) -> &'static str {
        match (self, value) {
            (_, None) => "–",
            (Goal::AtLeast(goal), Some(v)) if v >= goal => "met",
            (Goal::AtMost(goal), Some(v)) if v <= goal => "met",
            _ => "**missed**",
        }
    }
}

fn trim_float(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Medians over the runs of one load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadSummary {
    pub pairs: usize,
    pub rps_without: Option<f64>,
    pub rps_with: Option<f64>,
    /// Median of the per-pair ratios.
    pub rps_ratio: Option<f64>,
    pub p50_ms_without: Option<f64>,
    pub p50_ms_with: Option<f64>,
    pub p50_ratio: Option<f64>,
    pub p99_ms_without: Option<f64>,
    pub p99_ms_with: Option<f64>,
    pub p99_ratio: Option<f64>,
    /// Agent CPU milliseconds per 1,000 requests, median over with-agent runs.
    pub cpu_ms_per_1k: Option<f64>,
    /// The same less what the agent used at its idle rate.
    pub cpu_ms_per_1k_net: Option<f64>,
    /// Agent CPU milliseconds per second while the service idled.
    pub idle_cpu_ms_per_s: Option<f64>,
    pub errors: u64,
    /// gunicorn CPU microseconds per request: medians, and of the pair ratios.
    pub service_us_without: Option<f64>,
    pub service_us_with: Option<f64>,
    pub service_ratio: Option<f64>,
    /// CPUs' worth of other processes' work during the runs, medians.
    pub other_cpus_without: Option<f64>,
    pub other_cpus_with: Option<f64>,
    /// Inbound requests the agent counted ÷ requests served, over with-agent runs.
    pub seen_fraction: Option<f64>,
    pub dropped_events: f64,
    pub foreign_runs: usize,
}

/// gunicorn CPU microseconds per request of a run.
pub fn service_us_per_request(run: &Run) -> Option<f64> {
    (run.requests > 0).then(|| run.service_cpu.as_secs_f64() * 1e6 / run.requests as f64)
}

/// Other processes' CPU time during a run, in CPUs (seconds per second).
pub fn other_cpus(run: &Run) -> Option<f64> {
    (!run.window.is_zero()).then(|| run.other_cpu.as_secs_f64() / run.window.as_secs_f64())
}

/// Agent CPU milliseconds per 1,000 requests of a with-agent run.
pub fn cpu_ms_per_1k(run: &Run) -> Option<f64> {
    run.agent.as_ref()?.cpu_ms_per_1k(run.requests)
}

/// Agent CPU milliseconds per 1,000 requests, less its idle rate.
pub fn cpu_ms_per_1k_net(run: &Run) -> Option<f64> {
    run.agent.as_ref()?.cpu_ms_per_1k_net(run.requests)
}

/// Agent CPU milliseconds per second of its idle window.
pub fn idle_cpu_ms_per_s(run: &Run) -> Option<f64> {
    run.agent.as_ref()?.idle_cpu_ms_per_s()
}

/// eBPF nanoseconds per request of a with-agent run.
pub fn bpf_ns_per_request(run: &Run) -> Option<f64> {
    run.agent.as_ref()?.bpf_ns_per(run.requests)
}

pub fn summarize(runs: &[Run], load: Load) -> LoadSummary {
    let runs: Vec<&Run> = runs.iter().filter(|r| r.load == load).collect();
    let values = |f: &dyn Fn(&Run) -> f64, with: bool| -> Vec<f64> {
        runs.iter()
            .filter(|r| r.with_agent == with)
            .map(|r| f(r))
            .collect()
    };
    let paired = |f: &dyn Fn(&Run) -> f64| -> Option<f64> {
        let series: Vec<(bool, f64)> = runs.iter().map(|r| (r.with_agent, f(r))).collect();
        stats::median_pair_ratio(&series)
    };
    let rps = |r: &Run| r.requests_per_second;
    let service = |r: &Run| service_us_per_request(r).unwrap_or(0.0);
    let other = |r: &Run| other_cpus(r).unwrap_or(0.0);
    let p50 = |r: &Run| r.p50.as_secs_f64() * 1e3;
    let p99 = |r: &Run| r.p99.as_secs_f64() * 1e3;
    let with_agent: Vec<&&Run> = runs.iter().filter(|r| r.with_agent).collect();
    let served: u64 = with_agent.iter().map(|r| r.requests).sum();
    let seen: f64 = with_agent
        .iter()
        .filter_map(|r| r.agent.as_ref())
        .map(|a| a.seen.server_requests)
        .sum();
    let cpu: Vec<f64> = with_agent.iter().filter_map(|r| cpu_ms_per_1k(r)).collect();
    let cpu_net: Vec<f64> = with_agent
        .iter()
        .filter_map(|r| cpu_ms_per_1k_net(r))
        .collect();
    let idle_cpu: Vec<f64> = with_agent
        .iter()
        .filter_map(|r| idle_cpu_ms_per_s(r))
        .collect();
    LoadSummary {
        pairs: runs.len() / 2,
        rps_without: stats::median(&values(&rps, false)),
        rps_with: stats::median(&values(&rps, true)),
        rps_ratio: paired(&rps),
        p50_ms_without: stats::median(&values(&p50, false)),
        p50_ms_with: stats::median(&values(&p50, true)),
        p50_ratio: paired(&p50),
        p99_ms_without: stats::median(&values(&p99, false)),
        p99_ms_with: stats::median(&values(&p99, true)),
        p99_ratio: paired(&p99),
        cpu_ms_per_1k: stats::median(&cpu),
        cpu_ms_per_1k_net: stats::median(&cpu_net),
        idle_cpu_ms_per_s: stats::median(&idle_cpu),
        errors: runs.iter().map(|r| r.errors).sum(),
        service_us_without: stats::median(&values(&service, false)),
        service_us_with: stats::median(&values(&service, true)),
        service_ratio: paired(&service),
        other_cpus_without: stats::median(&values(&other, false)),
        other_cpus_with: stats::median(&values(&other, true)),
        seen_fraction: (served > 0).then(|| seen / served as f64),
        dropped_events: with_agent
            .iter()
            .filter_map(|r| r.agent.as_ref())
            .map(|a| a.seen.dropped_events)
            .sum(),
        foreign_runs: runs.iter().filter(|r| r.foreign_sonde).count(),
    }
}

/// eBPF time over every with-agent run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BpfTotals {
    pub by_program: BTreeMap<String, Usage>,
    /// Things done in those runs (requests served, transactions).
    pub count: u64,
    /// All programs, less what the idle rate accounts for.
    pub net_ns: f64,
}

impl BpfTotals {
    /// Adds a with-agent run that did `count` things, if its eBPF time was
    /// measured.
    pub fn add(&mut self, agent: &AgentUsage, count: u64) {
        let (Some(bpf), Some((_, net))) = (&agent.bpf, agent.bpf_ns()) else {
            return;
        };
        self.count += count;
        self.net_ns += net;
        for (name, usage) in bpf {
            self.by_program.entry(name.clone()).or_default().add(*usage);
        }
    }

    pub fn total_ns(&self) -> u64 {
        self.by_program.values().map(|u| u.run_time_ns).sum()
    }

    pub fn per_unit(&self, ns: f64) -> Option<f64> {
        (self.count > 0).then(|| ns / self.count as f64)
    }

    /// The table of eBPF time by program under `heading`, per `unit`
    /// ("request"), over the with-agent runs' `counted` ("requests served").
    pub fn render(&self, w: &mut String, heading: &str, unit: &str, counted: &str) {
        let count = self.count;
        let _ = writeln!(w, "{heading}\n");
        let _ = writeln!(w, "Over {count} {counted} in the with-agent runs.\n");
        let _ = writeln!(
            w,
            "| Program | Runs per {unit} | ns per run | ns per {unit} |"
        );
        let _ = writeln!(w, "|---|--:|--:|--:|");
        let mut programs: Vec<(&String, &Usage)> = self.by_program.iter().collect();
        programs.sort_by(|a, b| b.1.run_time_ns.cmp(&a.1.run_time_ns).then(a.0.cmp(b.0)));
        for (name, usage) in programs {
            let per_unit = |x: u64| (count > 0).then(|| x as f64 / count as f64);
            let _ = writeln!(
                w,
                "| {name} | {} | {} | {} |",
                opt(per_unit(usage.run_cnt), 2),
                opt(
                    (usage.run_cnt > 0).then(|| usage.run_time_ns as f64 / usage.run_cnt as f64),
                    0
                ),
                opt(per_unit(usage.run_time_ns), 0),
            );
        }
        let _ = writeln!(
            w,
            "| **total** | | | {} |\n",
            opt(self.per_unit(self.total_ns() as f64), 0)
        );
    }
}

pub fn bpf_totals(runs: &[Run]) -> BpfTotals {
    let mut totals = BpfTotals::default();
    for run in runs {
        if let Some(agent) = &run.agent {
            totals.add(agent, run.requests);
        }
    }
    totals
}

/// Best (smallest) and median ns per call of one loop under one condition.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoopSummary {
    pub best: f64,
    pub median: f64,
    pub samples: usize,
}

pub fn summarize_loops(samples: &[LoopSample]) -> BTreeMap<(Call, Condition), LoopSummary> {
    let mut grouped: BTreeMap<(Call, Condition), Vec<f64>> = BTreeMap::new();
    for sample in samples {
        grouped
            .entry((sample.call, sample.condition))
            .or_default()
            .push(sample.ns_per_call);
    }
    grouped
        .into_iter()
        .map(|(key, values)| {
            let summary = LoopSummary {
                best: stats::min(&values).unwrap_or(0.0),
                median: stats::median(&values).unwrap_or(0.0),
                samples: values.len(),
            };
            (key, summary)
        })
        .collect()
}

pub fn load_name(load: Load) -> &'static str {
    match load {
        Load::Saturation => "saturation",
        Load::FixedRate => "fixed-rate",
    }
}

pub fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$}"))
}

/// One line about a run, for progress output.
pub fn run_line(run: &Run) -> String {
    let mut line = format!(
        "{} agent: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        if run.with_agent { "with" } else { "without" },
        run.requests_per_second,
        run.p50.as_secs_f64() * 1e3,
        run.p99.as_secs_f64() * 1e3,
        run.errors
    );
    if let Some(agent) = &run.agent {
        let _ = write!(
            line,
            "; agent {:.2} s CPU ({} ms/1k req), eBPF {} µs/req, saw {} of the requests",
            agent.cpu.as_secs_f64(),
            opt(cpu_ms_per_1k(run), 1),
            opt(bpf_ns_per_request(run).map(|ns| ns / 1e3), 2),
            percent(run.requests, agent.seen.server_requests),
        );
    }
    if run.foreign_sonde {
        line.push_str(" [another sonde was loaded]");
    }
    line
}

pub fn percent(total: u64, part: f64) -> String {
    if total == 0 {
        "–".to_owned()
    } else {
        format!("{:.1} %", part * 100.0 / total as f64)
    }
}

/// The lines every section starts with: date, machine, command, load, tree.
pub fn render_header(w: &mut String, machine: &Machine, invocation: &str, timing: &Timing) {
    let elapsed = timing.elapsed.as_secs();
    let _ = writeln!(w, "- Date: {}", machine.date);
    let _ = writeln!(
        w,
        "- Machine: {} CPUs (nproc), {}, kernel {}",
        machine.cpus, machine.model, machine.kernel
    );
    let _ = writeln!(
        w,
        "- Command: `{invocation}` (took {} min {} s)",
        elapsed / 60,
        elapsed % 60
    );
    let _ = writeln!(
        w,
        "- Host load average (1/5/15 min) at the start: {}; at the end: {} (the machine is shared)",
        timing.load_average[0], timing.load_average[1]
    );
    let _ = writeln!(w, "- Tree: {}", tree_version());
}

/// The head of the table of measures, whose rows are [`ratio_row`] and [`value_row`].
pub fn measures_table_head(w: &mut String) {
    let _ = writeln!(
        w,
        "| Measure | Without agent | With agent | With ÷ without | Goal | |"
    );
    let _ = writeln!(w, "|---|--:|--:|--:|---|---|");
}

/// A measure taken without and with the agent; the goal is on the ratio.
pub fn ratio_row(
    w: &mut String,
    name: &str,
    without: Option<f64>,
    with: Option<f64>,
    ratio: Option<f64>,
    goal: Option<Goal>,
    decimals: usize,
) {
    let _ = writeln!(
        w,
        "| {name} | {} | {} | {} | {} | {} |",
        opt(without, decimals),
        opt(with, decimals),
        opt(ratio, 3),
        goal.map_or_else(|| "–".to_owned(), Goal::describe),
        goal.map_or("", |g| g.verdict(ratio)),
    );
}

/// A measure of the agent itself (or of one side only), in the with-agent column.
pub fn value_row(
    w: &mut String,
    name: &str,
    value: Option<f64>,
    goal: Option<Goal>,
    decimals: usize,
) {
    let _ = writeln!(
        w,
        "| {name} | – | {} | – | {} | {} |",
        opt(value, decimals),
        goal.map_or_else(|| "–".to_owned(), Goal::describe),
        goal.map_or("", |g| g.verdict(value)),
    );
}

/// The `## HTTP` section for BENCHMARKS.md.
pub fn render(results: &Results, machine: &Machine, invocation: &str) -> String {
    let plan = &results.plan;
    let sat = summarize(&results.runs, Load::Saturation);
    let fixed = summarize(&results.runs, Load::FixedRate);
    let bpf = bpf_totals(&results.stats_runs);
    let bpf_per_request = bpf.per_unit(bpf.total_ns() as f64);
    let bpf_per_request_net = bpf.per_unit(bpf.net_ns);
    let rss_mib = (results.peak_rss_kib > 0).then(|| results.peak_rss_kib as f64 / 1024.0);
    let idle_cpu = stats::median(
        &results
            .runs
            .iter()
            .filter_map(idle_cpu_ms_per_s)
            .collect::<Vec<_>>(),
    );

    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{HEADING}\n");
    let _ = writeln!(
        w,
        "What observing a Django service costs (issue 3): the `/hello` view of tests/django under \
         gunicorn (2 sync workers, a connection per request) on 127.0.0.1, in runs alternating \
         without and with the agent (A B B A …) in one invocation.\n"
    );
    render_header(w, machine, invocation, &results.timing);
    let _ = writeln!(
        w,
        "- Agent: `{}`{}",
        results.agent_command,
        if plan.agent.unfiltered {
            ": no filter, it observes every process of the host (wrk included)"
        } else {
            ": it observes only the benchmark's gunicorn, started in a cgroup of its own; wrk and \
             the rest of the host are not observed but still run its programs"
        }
    );
    let _ = writeln!(
        w,
        "- Saturation: `wrk -t1 -c{} -d{}s --latency`, {} pairs. Fixed rate: {} req/s open-loop for {} s \
         ({} client threads, latency from each request's due time), {} pairs.",
        plan.connections,
        plan.seconds,
        sat.pairs,
        plan.rate,
        plan.seconds,
        http::RATE_CLIENTS,
        fixed.pairs
    );
    let _ = writeln!(
        w,
        "- Values are medians over runs; ratios are medians of the per-pair ratios (with ÷ without). \
         A with-agent run starts the agent, waits {settle} s, measures {idle} s of the service idling \
         (the host's other traffic still runs the agent's programs), then the load and {drain} s of \
         draining. Agent CPU is utime+stime of /proc/PID/stat over load and drain ÷ requests served. \
         The pairs run with `kernel.bpf_stats_enabled=0`: the statistics add a clock read before and \
         after every program run, a cost of the measurement, not of the agent. After each load's \
         pairs, one with-agent run with them on gives the eBPF time: the `run_time_ns` of the \
         agent's programs over load and drain ÷ requests served; it includes the client's side of \
         each request (the load runs on the same host). \
         \"Less the idle rate\" subtracts the rate measured in the idle window.",
        settle = harness::SETTLE.as_secs(),
        idle = harness::IDLE_WINDOW.as_secs(),
        drain = harness::DRAIN.as_secs(),
    );
    if sat.foreign_runs + fixed.foreign_runs > 0 {
        let _ = writeln!(
            w,
            "- **{} runs had another sonde agent loaded** (someone's tests): they tax every process \
             and skew both sides.",
            sat.foreign_runs + fixed.foreign_runs
        );
    }
    let _ = writeln!(w);

    measures_table_head(w);
    ratio_row(
        w,
        "Saturation throughput, req/s",
        sat.rps_without,
        sat.rps_with,
        sat.rps_ratio,
        Some(Goal::AtLeast(0.97)),
        0,
    );
    ratio_row(
        w,
        "Saturation p50 latency, ms",
        sat.p50_ms_without,
        sat.p50_ms_with,
        sat.p50_ratio,
        None,
        2,
    );
    ratio_row(
        w,
        "Saturation p99 latency, ms",
        sat.p99_ms_without,
        sat.p99_ms_with,
        sat.p99_ratio,
        Some(Goal::AtMost(1.05)),
        2,
    );
    let rate = format!("{} req/s", plan.rate);
    ratio_row(
        w,
        "Saturation: gunicorn CPU per request, µs",
        sat.service_us_without,
        sat.service_us_with,
        sat.service_ratio,
        None,
        0,
    );
    ratio_row(
        w,
        "Saturation: other processes' load, CPUs",
        sat.other_cpus_without,
        sat.other_cpus_with,
        None,
        None,
        2,
    );
    ratio_row(
        w,
        &format!("Fixed {rate}: achieved, req/s"),
        fixed.rps_without,
        fixed.rps_with,
        fixed.rps_ratio,
        None,
        0,
    );
    ratio_row(
        w,
        &format!("Fixed {rate}: p50 latency, ms"),
        fixed.p50_ms_without,
        fixed.p50_ms_with,
        fixed.p50_ratio,
        None,
        2,
    );
    ratio_row(
        w,
        &format!("Fixed {rate}: p99 latency, ms"),
        fixed.p99_ms_without,
        fixed.p99_ms_with,
        fixed.p99_ratio,
        Some(Goal::AtMost(1.05)),
        2,
    );
    ratio_row(
        w,
        &format!("Fixed {rate}: gunicorn CPU per request, µs"),
        fixed.service_us_without,
        fixed.service_us_with,
        fixed.service_ratio,
        None,
        0,
    );
    ratio_row(
        w,
        &format!("Fixed {rate}: other processes' load, CPUs"),
        fixed.other_cpus_without,
        fixed.other_cpus_with,
        None,
        None,
        2,
    );
    let cpu_goal = Some(Goal::AtMost(10.0));
    let rows = [
        (
            "Agent CPU per 1,000 requests, saturation, ms",
            sat.cpu_ms_per_1k,
            cpu_goal,
            1,
        ),
        (
            "… less its idle rate, ms",
            sat.cpu_ms_per_1k_net,
            cpu_goal,
            1,
        ),
        (
            &*format!("Agent CPU per 1,000 requests, {rate}, ms"),
            fixed.cpu_ms_per_1k,
            cpu_goal,
            1,
        ),
        (
            "… less its idle rate, ms",
            fixed.cpu_ms_per_1k_net,
            cpu_goal,
            1,
        ),
        (
            "Agent CPU while the service idles, ms per s",
            idle_cpu,
            None,
            1,
        ),
        (
            "Agent peak RSS (VmHWM, max over runs), MiB",
            rss_mib,
            Some(Goal::AtMost(100.0)),
            1,
        ),
        (
            "eBPF time per request, ns",
            bpf_per_request,
            Some(Goal::AtMost(1000.0)),
            0,
        ),
        (
            "… less the idle rate, ns",
            bpf_per_request_net,
            Some(Goal::AtMost(1000.0)),
            0,
        ),
    ];
    for (name, value, goal, decimals) in rows {
        value_row(w, name, value, goal, decimals);
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Client errors: {} at saturation, {} at fixed rate. Requests the agent counted \
         (`http_server_request_duration_seconds_count`) ÷ requests served: {} at saturation, {} at \
         fixed rate; events it dropped: {:.0}.\n",
        sat.errors,
        fixed.errors,
        opt(sat.seen_fraction.map(|f| f * 100.0), 1) + " %",
        opt(fixed.seen_fraction.map(|f| f * 100.0), 1) + " %",
        sat.dropped_events + fixed.dropped_events
    );

    bpf.render(w, "### eBPF time by program", "request", "requests served");

    render_loops(w, results);
    let all_runs: Vec<Run> = results
        .runs
        .iter()
        .chain(&results.stats_runs)
        .cloned()
        .collect();
    render_runs(w, &all_runs);
    out
}

fn render_loops(w: &mut String, results: &Results) {
    let _ = writeln!(w, "### Cost to processes the agent does not observe\n");
    if results.loops.is_empty() {
        let _ = writeln!(w, "Not measured (`--syscall-rounds 0`).\n");
        return;
    }
    let plan = &results.plan;
    let foreign = results.loops.iter().filter(|s| s.foreign_sonde).count();
    let _ = writeln!(
        w,
        "Loops in the benchmark process, {} rounds × {} repetitions of {} write(2) / {} sendto(2) \
         calls per condition, conditions in alternating order; ns per call is the best repetition \
         (median in parentheses), Δ is against no agent. With no filter the agent observes this \
         process (it counts its TCP bytes); with `--comm nothing-matches` it observes nothing. \
         The agent attaches no program to write(2) nor any syscall tracepoint; sendto(2) runs \
         `sonde_sock_send` (raw tracepoint `sock_send_length`) on every socket.{}\n",
        plan.syscall_rounds,
        plan.reps,
        plan.calls(Call::FileWrite),
        plan.calls(Call::TcpSend),
        if foreign > 0 {
            format!(" **{foreign} repetitions ran while another sonde was loaded.**")
        } else {
            String::new()
        }
    );
    let summary = summarize_loops(&results.loops);
    let _ = writeln!(
        w,
        "| Call | Path | No agent, ns | Agent, ns | Δ ns | Agent `--comm nothing-matches`, ns | Δ ns | Goal Δ | |"
    );
    let _ = writeln!(w, "|---|---|--:|--:|--:|--:|--:|---|---|");
    for call in Call::ALL {
        let get = |condition| summary.get(&(call, condition)).copied();
        let base = get(Condition::NoAgent);
        let cell = |s: Option<LoopSummary>| {
            s.map_or_else(
                || "–".to_owned(),
                |s| format!("{:.0} ({:.0})", s.best, s.median),
            )
        };
        let delta = |s: Option<LoopSummary>| Some(s?.best - base?.best);
        let goal = Goal::AtMost(call.goal_ns());
        let worst = [
            delta(get(Condition::Agent)),
            delta(get(Condition::AgentFilteredOut)),
        ]
        .into_iter()
        .flatten()
        .reduce(f64::max);
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            call.describe(),
            call.path(),
            cell(base),
            cell(get(Condition::Agent)),
            opt(delta(get(Condition::Agent)), 0),
            cell(get(Condition::AgentFilteredOut)),
            opt(delta(get(Condition::AgentFilteredOut)), 0),
            goal.describe(),
            goal.verdict(worst),
        );
    }
    let _ = writeln!(w);
}

fn render_runs(w: &mut String, runs: &[Run]) {
    let _ = writeln!(w, "### Runs\n");
    let _ = writeln!(
        w,
        "| # | Load | Agent | req/s | p50 ms | p99 ms | Errors | Agent CPU s | CPU ms / 1k req | eBPF µs / req | Counted by agent | Agent RSS MiB | gunicorn CPU µs / req | Other load, CPUs |"
    );
    let _ = writeln!(
        w,
        "|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    for (index, run) in runs.iter().enumerate() {
        let agent = run.agent.as_ref();
        let _ = writeln!(
            w,
            "| {} | {} | {}{} | {:.0} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} | {} | {} |",
            index + 1,
            load_name(run.load),
            if run.with_agent { "with" } else { "without" },
            if run.foreign_sonde {
                " (other sonde)"
            } else {
                ""
            },
            run.requests_per_second,
            run.p50.as_secs_f64() * 1e3,
            run.p99.as_secs_f64() * 1e3,
            run.errors,
            opt(agent.map(|a| a.cpu.as_secs_f64()), 2),
            opt(cpu_ms_per_1k(run), 1),
            opt(bpf_ns_per_request(run).map(|ns| ns / 1e3), 2),
            agent.map_or_else(
                || "–".to_owned(),
                |a| percent(run.requests, a.seen.server_requests)
            ),
            opt(agent.map(|a| a.peak_rss_kib as f64 / 1024.0), 1),
            opt(service_us_per_request(run), 0),
            opt(other_cpus(run), 2),
        );
    }
}

/// `existing` with its `heading` section (up to the next `## ` heading)
/// replaced by `section`, or with `section` appended when it has none.
pub fn replace_section(existing: &str, heading: &str, section: &str) -> String {
    let section = format!("{}\n", section.trim_end());
    let lines: Vec<&str> = existing.split_inclusive('\n').collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == heading) else {
        let mut out = existing.trim_end().to_owned();
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&section);
        return out;
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## ") || l.starts_with("# "))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut out: String = lines[..start].concat();
    out.push_str(&section);
    if end < lines.len() {
        out.push('\n');
        out.push_str(&lines[end..].concat());
    }
    out
}

const PREAMBLE: &str = "# Benchmarks\n\n\
Results of `cargo xtask bench NAME` (`cargo xtask bench` lists them). Each section is \
rewritten by the next run of its benchmark, with the machine and the command it ran.\n";

/// Writes `section`, headed `heading`, into BENCHMARKS.md at `path`, keeping
/// the other sections.
pub fn write_section(path: &Path, heading: &str, section: &str) -> Result<()> {
    let existing = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => PREAMBLE.to_owned(),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    fs::write(path, replace_section(&existing, heading, section))
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
impl Machine {
    /// The machine the tests' sections name.
    pub fn example() -> Machine {
        Machine {
            date: "2026-11-22 14:00 UTC".into(),
            cpus: 2,
            model: "AMD EPYC".into(),
            kernel: "6.18".into(),
        }
    }
}

#[cfg(test)]
impl Timing {
    /// `elapsed`, and the load averages the tests' sections name.
    pub fn example(elapsed: Duration) -> Timing {
        Timing {
            elapsed,
            load_average: ["1.00 0.50 0.20".into(), "2.00 1.00 0.40".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{agent::Metrics, harness::Idle};

    #[test]
    fn the_section_is_replaced_in_place() {
        let doc = "# Benchmarks\n\nintro\n\n## Parser\n\nfast\n\n## HTTP\n\nold\n### Runs\nold runs\n\n## Store\n\nslow\n";
        let new = replace_section(doc, HEADING, "## HTTP\n\nnew\n");
        assert_eq!(
            new,
            "# Benchmarks\n\nintro\n\n## Parser\n\nfast\n\n## HTTP\n\nnew\n\n## Store\n\nslow\n"
        );
        // Last section.
        let doc = "# Benchmarks\n\n## HTTP\n\nold\n";
        assert_eq!(
            replace_section(doc, HEADING, "## HTTP\n\nnew"),
            "# Benchmarks\n\n## HTTP\n\nnew\n"
        );
        // Absent: appended.
        let doc = "# Benchmarks\n\n## Parser\n\nfast\n";
        assert_eq!(
            replace_section(doc, HEADING, "## HTTP\n\nnew\n"),
            "# Benchmarks\n\n## Parser\n\nfast\n\n## HTTP\n\nnew\n"
        );
        assert_eq!(replace_section("", HEADING, "## HTTP\nx\n"), "## HTTP\nx\n");
        // `## HTTPS` is another section.
        let doc = "## HTTPS\n\nother\n";
        assert!(replace_section(doc, HEADING, "## HTTP\nx\n")
            .starts_with("## HTTPS\n\nother\n\n## HTTP\n"));
    }

    #[test]
    fn cpu_model_is_the_first_model_name() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel\t\t: 1\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC"));
        assert_eq!(cpu_model("processor : 0\n"), None);
    }

    #[test]
    fn goals_and_verdicts() {
        assert_eq!(Goal::AtLeast(0.97).verdict(Some(0.98)), "met");
        assert_eq!(Goal::AtLeast(0.97).verdict(Some(0.5)), "**missed**");
        assert_eq!(Goal::AtMost(1.05).verdict(Some(1.05)), "met");
        assert_eq!(Goal::AtMost(10.0).verdict(None), "–");
        assert_eq!(Goal::AtMost(1000.0).describe(), "≤ 1000");
        assert_eq!(Goal::AtLeast(0.97).describe(), "≥ 0.97");
    }

    fn run(load: Load, with_agent: bool, rps: f64, p99_ms: u64, cpu_ms: u64) -> Run {
        let requests = (rps * 10.0) as u64;
        Run {
            load,
            with_agent,
            requests,
            requests_per_second: rps,
            p50: Duration::from_millis(1),
            p99: Duration::from_millis(p99_ms),
            errors: 0,
            foreign_sonde: false,
            window: Duration::from_secs(10),
            service_cpu: Duration::from_millis(if with_agent { 2200 } else { 2000 }),
            other_cpu: Duration::from_millis(500),
            agent: with_agent.then(|| AgentUsage {
                window: Duration::from_secs(10),
                idle: Idle {
                    window: Duration::from_secs(2),
                    cpu: Duration::from_millis(10),
                    bpf_ns: requests * 10,
                },
                cpu: Duration::from_millis(cpu_ms),
                peak_rss_kib: 50 * 1024,
                bpf: Some(BTreeMap::from([(
                    "sonde_sock_send".to_owned(),
                    Usage {
                        run_time_ns: requests * 500,
                        run_cnt: requests * 2,
                    },
                )])),
                seen: Metrics {
                    server_requests: requests as f64,
                    ..Metrics::default()
                },
            }),
        }
    }

    #[test]
    fn summaries_pair_runs_and_normalise_per_request() {
        let runs = [
            run(Load::Saturation, false, 1000.0, 10, 0),
            run(Load::Saturation, true, 900.0, 11, 90), // 9000 requests, 10 ms / 1k
            run(Load::Saturation, true, 1000.0, 10, 200), // 20 ms / 1k
            run(Load::Saturation, false, 1000.0, 10, 0),
            run(Load::FixedRate, false, 500.0, 2, 0),
            run(Load::FixedRate, true, 500.0, 3, 25),
        ];
        let sat = summarize(&runs, Load::Saturation);
        assert_eq!(sat.pairs, 2);
        assert!((sat.rps_ratio.unwrap() - 0.95).abs() < 1e-9);
        assert!((sat.p99_ratio.unwrap() - 1.05).abs() < 1e-9);
        assert_eq!(sat.rps_without, Some(1000.0));
        assert!((sat.cpu_ms_per_1k.unwrap() - 15.0).abs() < 1e-9);
        assert_eq!(sat.seen_fraction, Some(1.0));
        let fixed = summarize(&runs, Load::FixedRate);
        assert_eq!(fixed.p99_ratio, Some(1.5));
        let bpf = bpf_totals(&runs);
        let requests = 9000 + 10000 + 5000;
        assert_eq!(bpf.count, requests);
        assert_eq!(
            bpf.by_program["sonde_sock_send"].run_time_ns,
            requests * 500
        );
        assert_eq!(bpf_ns_per_request(&runs[1]), Some(500.0));
        // The idle rate (10 ns per request's worth over 2 s) over the 10 s window.
        assert_eq!(bpf.per_unit(bpf.net_ns), Some(450.0));
        // 90 ms over 9000 requests, less 10 ms/2 s × 10 s.
        assert!((cpu_ms_per_1k_net(&runs[1]).unwrap() - 40.0 / 9.0).abs() < 1e-9);
        assert_eq!(idle_cpu_ms_per_s(&runs[1]), Some(5.0));
        assert_eq!(idle_cpu_ms_per_s(&runs[0]), None);
        assert_eq!(other_cpus(&runs[0]), Some(0.05));
        assert_eq!(service_us_per_request(&runs[0]), Some(200.0));
    }

    #[test]
    fn renders_every_table() {
        let runs = vec![
            run(Load::Saturation, false, 1000.0, 10, 0),
            run(Load::Saturation, true, 900.0, 11, 90),
        ];
        let loops = vec![
            LoopSample {
                condition: Condition::NoAgent,
                call: Call::FileWrite,
                ns_per_call: 700.0,
                foreign_sonde: false,
            },
            LoopSample {
                condition: Condition::Agent,
                call: Call::FileWrite,
                ns_per_call: 780.0,
                foreign_sonde: false,
            },
        ];
        let plan = {
            use clap::Parser;
            #[derive(Parser)]
            struct Cli {
                #[command(flatten)]
                args: crate::bench::http::HttpArgs,
            }
            Cli::parse_from(["http"]).args
        };
        let results = Results {
            plan,
            stats_runs: runs.iter().filter(|r| r.with_agent).cloned().collect(),
            runs,
            loops,
            peak_rss_kib: 60 * 1024,
            agent_command: "sonde run".into(),
            timing: Timing::example(Duration::from_secs(125)),
        };
        let text = render(&results, &Machine::example(), "cargo xtask bench http");
        assert!(text.starts_with("## HTTP\n"), "{text}");
        assert!(
            text.contains(
                "| Saturation throughput, req/s | 1000 | 900 | 0.900 | ≥ 0.97 | **missed** |"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "| Agent peak RSS (VmHWM, max over runs), MiB | – | 60.0 | – | ≤ 100 | met |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| sonde_sock_send | 2.00 | 250 | 500 |"),
            "{text}"
        );
        assert!(text.contains("| write(2) 100 B to a file | unhooked | 700 (700) | 780 (780) | 80 | – | – | ≤ 60 | **missed** |"), "{text}");
        assert!(text.contains("took 2 min 5 s"), "{text}");
        assert!(
            text.contains("at the start: 1.00 0.50 0.20; at the end: 2.00 1.00 0.40"),
            "{text}"
        );
        assert!(
            text.contains("2 CPUs (nproc), AMD EPYC, kernel 6.18"),
            "{text}"
        );
    }
}
