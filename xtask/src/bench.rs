//! `cargo xtask bench [NAME]`: named benchmarks, each measuring what a feature
//! costs on this machine and recording it in BENCHMARKS.md. Without a name,
//! the list.

mod agent;
mod bpf;
mod cgroup;
mod criterion;
mod export;
mod export_report;
mod harness;
mod http;
mod json;
mod openloop;
mod otlp_sink;
mod pgbench;
mod postgres;
mod report;
mod server;
mod sql;
mod sql_report;
mod stats;
mod syscalls;
mod system;
mod wrk;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The benchmark to run; without one, the list.
    #[command(subcommand)]
    pub bench: Option<Bench>,
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Django under gunicorn with and without the agent: throughput, latency,
    /// agent CPU and RSS, eBPF time per request, cost to unobserved processes.
    Http(http::HttpArgs),
    /// pgbench select-only against PostgreSQL with and without the agent:
    /// throughput, agent CPU and RSS, eBPF time per transaction, queries
    /// counted; PostgreSQL framing and SQL normalization throughput (criterion).
    Sql(sql::SqlArgs),
    /// The OTLP span exporter fed synthetic spans on one core, into a
    /// collector on loopback: spans/s and CPU per 1,000 spans, without and
    /// with gzip.
    Export(export::ExportArgs),
}

pub fn main(args: BenchArgs) -> Result<ExitCode> {
    match args.bench {
        None => {
            print!("{}", list());
            Ok(ExitCode::SUCCESS)
        }
        Some(Bench::Http(args)) => http::main(&args),
        Some(Bench::Sql(args)) => sql::main(&args),
        Some(Bench::Export(args)) => export::main(&args),
    }
}

/// The benchmarks, one per line with what it measures.
fn list() -> String {
    let command = Bench::augment_subcommands(clap::Command::new("bench"));
    let mut out = String::from("Benchmarks (cargo xtask bench NAME [--help]):\n");
    for bench in command.get_subcommands() {
        let about = bench
            .get_about()
            .map(|about| about.to_string())
            .unwrap_or_default();
        let about = about.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(&format!("  {:<8} {about}\n", bench.get_name()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_benchmark() {
        let list = list();
        assert!(list.contains("\n  http "), "{list}");
        assert!(list.contains("eBPF time per request"), "{list}");
        assert!(list.contains("\n  sql "), "{list}");
        assert!(list.contains("eBPF time per transaction"), "{list}");
        assert!(list.contains("\n  export "), "{list}");
    }
}
