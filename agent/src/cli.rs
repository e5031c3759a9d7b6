//! Command-line interface of the `sonde` binary.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

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
    Run(Box<RunArgs>),
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
    /// Nothing on stdout (with OTLP export, say).
    None,
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

    #[command(flatten)]
    pub otlp: OtlpArgs,
}

/// OTLP/gRPC export. The standard OTEL_EXPORTER_OTLP_* variables apply
/// where a flag is not given (a signal's own variable before the common
/// one); with no endpoint at all nothing is exported.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "OTLP export")]
pub struct OtlpArgs {
    /// Collector for every signal, `http://host:4317` (`https://` for TLS)
    /// [variable: OTEL_EXPORTER_OTLP_ENDPOINT].
    #[arg(long)]
    pub otlp_endpoint: Option<String>,

    /// Collector for spans [variable: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT].
    #[arg(long)]
    pub otlp_traces_endpoint: Option<String>,

    /// Collector for metrics [variable: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT].
    #[arg(long)]
    pub otlp_metrics_endpoint: Option<String>,

    /// Collector for log records [variable: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT].
    #[arg(long)]
    pub otlp_logs_endpoint: Option<String>,

    /// Headers sent with every export, `key=value,key2=value2`, values
    /// percent-encoded; OTEL_EXPORTER_OTLP_HEADERS is added to them.
    #[arg(long)]
    pub otlp_headers: Option<String>,

    /// Compression of export requests [variable: OTEL_EXPORTER_OTLP_COMPRESSION].
    #[arg(long, value_enum)]
    pub otlp_compression: Option<OtlpCompression>,

    /// PEM file of the CA that signed the collector's certificate
    /// [variable: OTEL_EXPORTER_OTLP_CERTIFICATE]; without it an https://
    /// collector is checked against the system's CAs.
    #[arg(long)]
    pub otlp_certificate: Option<PathBuf>,

    /// PEM file of the agent's client certificate, for mTLS
    /// [variable: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE].
    #[arg(long)]
    pub otlp_client_certificate: Option<PathBuf>,

    /// PEM file of the client certificate's private key
    /// [variable: OTEL_EXPORTER_OTLP_CLIENT_KEY].
    #[arg(long)]
    pub otlp_client_key: Option<PathBuf>,

    /// Interval between metric exports, e.g. `10s`
    /// [variable: OTEL_METRIC_EXPORT_INTERVAL, in milliseconds] (default 10s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub otlp_metrics_interval: Option<Duration>,

    /// Aggregation temporality of exported metrics.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        env = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        default_value_t = OtlpTemporality::Cumulative
    )]
    pub otlp_metrics_temporality: OtlpTemporality,

    /// Spans (and, separately, log records) waiting for export at most;
    /// beyond, the oldest are dropped and counted.
    #[arg(long, default_value_t = 16_384, value_parser = clap::value_parser!(u32).range(1..))]
    pub otlp_queue_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OtlpCompression {
    Gzip,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OtlpTemporality {
    Cumulative,
    Delta,
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
