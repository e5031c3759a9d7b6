//! The load of `bench sql`: pgbench's built-in select-only script, and
//! reading its report.

use std::{path::Path, process::Command, time::Duration};

use anyhow::{Context, Result};
use clap::ValueEnum;

use super::{postgres, system};

/// How pgbench sends its statements (`-M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// One Query message per statement.
    Simple,
    /// Parse, Bind, Describe, Execute and Sync per statement (unnamed).
    Extended,
    /// A named statement parsed once per connection, then Bind, Execute and
    /// Sync per statement.
    Prepared,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Simple => "simple",
            Mode::Extended => "extended",
            Mode::Prepared => "prepared",
        }
    }
}

/// A select-only run: `clients` connections over `threads` threads, to
/// 127.0.0.1:`port`, for `duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    pub port: u16,
    pub clients: u32,
    pub threads: u32,
    pub duration: Duration,
    pub mode: Mode,
}

impl Load {
    /// The arguments after `pgbench`: `-n` (no vacuum first: the tables do
    /// not change), `-S` (select only: one SELECT per transaction).
    pub fn args(&self) -> Vec<String> {
        vec![
            "-n".to_owned(),
            "-S".to_owned(),
            format!("-c{}", self.clients),
            format!("-j{}", self.threads),
            format!("-T{}", self.duration.as_secs().max(1)),
            format!("-M{}", self.mode.name()),
            "-h127.0.0.1".to_owned(),
            format!("-p{}", self.port),
            format!("-U{}", postgres::USER),
            postgres::DATABASE.to_owned(),
        ]
    }
}

/// `pgbench -i -s SCALE` over the server's Unix socket, quietly.
pub fn initialize(pgbench: &Path, socket_dir: &Path, port: u16, scale: u32) -> Command {
    let mut command = Command::new(pgbench);
    command
        .args(["-i", "-q", &format!("-s{scale}")])
        .arg("-h")
        .arg(socket_dir)
        .args([format!("-p{port}"), format!("-U{}", postgres::USER)])
        .arg(postgres::DATABASE);
    without_libpq_environment(&mut command);
    command
}

/// Leaves out libpq's variables that the arguments do not override.
pub fn without_libpq_environment(command: &mut Command) {
    for name in [
        "PGSSLMODE",
        "PGOPTIONS",
        "PGSERVICE",
        "PGSERVICEFILE",
        "PGPASSWORD",
        "PGPASSFILE",
        "PGCONNECT_TIMEOUT",
        "PGTARGETSESSIONATTRS",
    ] {
        command.env_remove(name);
    }
}

/// What one pgbench run reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// "number of transactions actually processed".
    pub transactions: u64,
    /// "number of failed transactions" (0 when pgbench does not print it).
    pub failed: u64,
    /// "tps = … (without initial connection time)".
    pub tps: f64,
    /// "latency average = … ms", in milliseconds.
    pub latency_ms: f64,
}

/// Runs `command` (pgbench with [`Load::args`]) and reads its report.
pub fn run(command: &mut Command) -> Result<Report> {
    without_libpq_environment(command);
    let stdout = system::output(command, postgres::PACKAGES)?;
    parse(&stdout).with_context(|| format!("cannot read pgbench's report:\n{stdout}"))
}

/// Reads the report pgbench prints at the end of a run.
pub fn parse(text: &str) -> Result<Report> {
    let mut transactions = None;
    let mut failed = 0;
    let mut tps = None;
    let mut latency_ms = None;
    let first_number = |text: &str| -> Option<f64> { text.split_whitespace().next()?.parse().ok() };
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("number of transactions actually processed:") {
            // "123456" or "123456/200000" with -t.
            transactions = rest.trim().split('/').next().and_then(|n| n.parse().ok());
        } else if let Some(rest) = line.strip_prefix("number of failed transactions:") {
            failed = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        } else if let Some(rest) = line.strip_prefix("latency average =") {
            latency_ms = first_number(rest);
        } else if let Some(rest) = line.strip_prefix("tps =") {
            if rest.contains("without initial connection time") {
                tps = first_number(rest);
            }
        }
    }
    Ok(Report {
        transactions: transactions
            .context("no `number of transactions actually processed` line")?,
        failed,
        tps: tps.context("no `tps = … (without initial connection time)` line")?,
        latency_ms: latency_ms.context("no `latency average` line")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pgbench 15.14, `-n -S -c8 -j2 -T10 -Msimple`.
    const REPORT: &str = "\
pgbench (15.14 (Debian 15.14-0+deb12u1))
transaction type: <builtin: select only>
scaling factor: 10
query mode: simple
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 254118
number of failed transactions: 0 (0.000%)
latency average = 0.314 ms
initial connection time = 14.925 ms
tps = 25461.447127 (without initial connection time)
";

    #[test]
    fn reads_the_report() {
        assert_eq!(
            parse(REPORT).unwrap(),
            Report {
                transactions: 254_118,
                failed: 0,
                tps: 25_461.447127,
                latency_ms: 0.314,
            }
        );
        let failing = REPORT.replace(
            "failed transactions: 0 (0.000%)",
            "failed transactions: 3 (0.001%)",
        );
        assert_eq!(parse(&failing).unwrap().failed, 3);
        assert!(parse("pgbench: error: connection refused").is_err());
        // Older pgbench printed both tps lines.
        let old = REPORT.replace(
            "tps = 25461",
            "tps = 25000.0 (including connections establishing)\ntps = 25461",
        );
        assert_eq!(parse(&old).unwrap().tps, 25_461.447127);
    }

    #[test]
    fn select_only_over_tcp() {
        let load = Load {
            port: 5999,
            clients: 8,
            threads: 2,
            duration: Duration::from_secs(10),
            mode: Mode::Prepared,
        };
        assert_eq!(
            load.args().join(" "),
            "-n -S -c8 -j2 -T10 -Mprepared -h127.0.0.1 -p5999 -Upostgres postgres"
        );
    }
}
