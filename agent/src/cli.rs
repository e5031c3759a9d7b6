//! Command-line interface of the `sonde` binary.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "sonde",
    version,
    about = "eBPF host agent: see what unmodified services do"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report what this kernel and this process allow, and whether `sonde run` can work.
    Check(CheckArgs),
    /// Load the probes and report what the observed processes do.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per line, OpenTelemetry attribute names.
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// How events are printed on stdout.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    /// Only report this process (thread group id).
    #[arg(long)]
    pub pid: Option<u32>,

    /// Only report tasks whose command name (comm, at most 15 bytes) is this.
    #[arg(long)]
    pub comm: Option<String>,

    /// Only report tasks in this cgroup v2: a path under /sys/fs/cgroup or a cgroup id.
    #[arg(long)]
    pub cgroup: Option<String>,

    /// Where the agent keeps its state.
    #[arg(long, default_value = "/var/lib/sonde")]
    pub data_dir: PathBuf,

    /// Address of the HTTP endpoint serving /healthz, /readyz and /metrics.
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,

    /// Size of the kernel-to-agent event ring buffer, in MiB (a power of two).
    #[arg(long, default_value_t = 8, value_parser = parse_ring_mib)]
    pub ring_buffer_mib: u32,

    /// Bytes copied from the start of each read or write on connections
    /// carrying a protocol sonde parses (0 turns payload capture off).
    #[arg(long, default_value_t = 4096, value_parser = parse_capture_bytes)]
    pub capture_bytes: u32,

    /// Events buffered between the ring-buffer reader and the output before
    /// new ones are dropped (and counted).
    #[arg(long, default_value_t = 65_536)]
    pub channel_capacity: usize,
}

fn parse_capture_bytes(value: &str) -> Result<u32, String> {
    let bytes: u32 = value.parse().map_err(|e| format!("{e}"))?;
    let max = sonde_common::CAPTURE_MAX as u32;
    if bytes > max {
        return Err(format!("must be at most {max}"));
    }
    Ok(bytes)
}

fn parse_ring_mib(value: &str) -> Result<u32, String> {
    let mib: u32 = value.parse().map_err(|e| format!("{e}"))?;
    if mib == 0 || !mib.is_power_of_two() || mib > 1024 {
        return Err("must be a power of two between 1 and 1024".into());
    }
    Ok(mib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_size_must_be_a_power_of_two() {
        assert_eq!(parse_ring_mib("8"), Ok(8));
        assert!(parse_ring_mib("3").is_err());
        assert!(parse_ring_mib("0").is_err());
        assert!(parse_ring_mib("lots").is_err());
    }

    #[test]
    fn capture_size_is_bounded() {
        assert_eq!(parse_capture_bytes("4096"), Ok(4096));
        assert_eq!(parse_capture_bytes("0"), Ok(0));
        assert!(parse_capture_bytes("1000000").is_err());
    }

    #[test]
    fn garbage_arguments_are_refused() {
        assert!(Cli::try_parse_from(["sonde", "run", "--listen", "nowhere"]).is_err());
        assert!(Cli::try_parse_from(["sonde", "run", "--pid", "-3"]).is_err());
        assert!(Cli::try_parse_from(["sonde", "run", "--log-format", "xml"]).is_err());
        assert!(Cli::try_parse_from(["sonde", "run"]).is_ok());
    }
}
