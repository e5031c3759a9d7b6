//! Export settings: the `--otlp-*` flags and the standard OpenTelemetry
//! environment variables, resolved once at start.
//!
//! Precedence, for each signal: its own flag, the flag for every signal,
//! the signal's variable (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), then the
//! variable for every signal (`OTEL_EXPORTER_OTLP_ENDPOINT`). A signal with
//! no endpoint is not exported. Headers, compression and timeout given
//! only by variables are read by opentelemetry-otlp itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig, Identity};
use opentelemetry_otlp::Compression;
use opentelemetry_sdk::metrics::Temporality;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};

use crate::cli::{OtlpArgs, OtlpCompression, OtlpTemporality};
use crate::telemetry::{percent_decode, Signal};

/// Default interval between metric exports (OTEL_METRIC_EXPORT_INTERVAL).
const DEFAULT_METRICS_INTERVAL: Duration = Duration::from_secs(10);

/// Why the export settings are unusable; the agent refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{source_name}: `{value}` is not an http:// or https:// URL")]
    Endpoint { source_name: String, value: String },
    #[error("{source_name}: a certificate is given but `{endpoint}` is not https://")]
    CertificateWithoutTls {
        source_name: String,
        endpoint: String,
    },
    #[error("{source_name}: cannot read {path}: {error}")]
    Unreadable {
        source_name: String,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("a client certificate needs its key, and a key its certificate ({signal} export)")]
    HalfIdentity { signal: &'static str },
    #[error("--otlp-headers: `{0}` is not key=value")]
    Header(String),
    #[error("OTEL_METRIC_EXPORT_INTERVAL: `{0}` is not a positive number of milliseconds")]
    Interval(String),
}

/// How one signal is exported.
#[derive(Debug, Clone)]
pub struct SignalSettings {
    pub endpoint: String,
    /// TLS settings when a certificate or key is configured, or the
    /// endpoint is https:// (then the system's CAs are trusted).
    pub tls: Option<ClientTlsConfig>,
}

/// Everything the exporter needs; built only when some signal is exported.
#[derive(Debug, Clone)]
pub struct ExportSettings {
    pub spans: Option<SignalSettings>,
    pub logs: Option<SignalSettings>,
    pub metrics: Option<SignalSettings>,
    /// Headers from `--otlp-headers` (the variables are added by the exporter).
    pub headers: MetadataMap,
    pub compression: Option<Compression>,
    pub metrics_interval: Duration,
    pub temporality: Temporality,
    /// Items each signal's queue holds before the oldest are dropped.
    pub queue_capacity: usize,
}

impl ExportSettings {
    /// Resolves `args` against the environment `env`. None when no signal
    /// has an endpoint: nothing is exported.
    pub fn resolve(
        args: &OtlpArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<ExportSettings>, ConfigError> {
        let spans = signal_settings(
            Signal::Spans,
            args.otlp_traces_endpoint.as_deref(),
            args,
            env,
        )?;
        let logs = signal_settings(Signal::Logs, args.otlp_logs_endpoint.as_deref(), args, env)?;
        let metrics = signal_settings(
            Signal::Metrics,
            args.otlp_metrics_endpoint.as_deref(),
            args,
            env,
        )?;
        if spans.is_none() && logs.is_none() && metrics.is_none() {
            return Ok(None);
        }
        let headers = match &args.otlp_headers {
            Some(text) => parse_headers(text)?,
            None => MetadataMap::new(),
        };
        let metrics_interval = match (
            args.otlp_metrics_interval,
            env("OTEL_METRIC_EXPORT_INTERVAL"),
        ) {
            (Some(interval), _) => interval,
            (None, Some(millis)) => match millis.trim().parse::<u64>() {
                Ok(millis) if millis > 0 => Duration::from_millis(millis),
                _ => return Err(ConfigError::Interval(millis)),
            },
            (None, None) => DEFAULT_METRICS_INTERVAL,
        };
        let temporality = match args.otlp_metrics_temporality {
            OtlpTemporality::Cumulative => Temporality::Cumulative,
            OtlpTemporality::Delta => Temporality::Delta,
        };
        let compression = args
            .otlp_compression
            .and_then(|compression| match compression {
                OtlpCompression::Gzip => Some(Compression::Gzip),
                OtlpCompression::None => None,
            });
        Ok(Some(ExportSettings {
            spans,
            logs,
            metrics,
            headers,
            compression,
            metrics_interval,
            temporality,
            queue_capacity: args.otlp_queue_size as usize,
        }))
    }
}

/// The variable `OTEL_EXPORTER_OTLP_{SIGNAL}_{suffix}`.
fn signal_variable(signal: Signal, suffix: &str) -> String {
    let signal = match signal {
        Signal::Spans => "TRACES",
        Signal::Logs => "LOGS",
        Signal::Metrics => "METRICS",
    };
    format!("OTEL_EXPORTER_OTLP_{signal}_{suffix}")
}

/// The first value set among: the signal's flag, the flag for every
/// signal, the signal's variable, the variable for every signal; with the
/// name of where it came from.
fn first_set(
    signal: Signal,
    suffix: &str,
    signal_flag: (&str, Option<&str>),
    common_flag: (&str, Option<&str>),
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, String)> {
    let flags = [signal_flag, common_flag];
    if let Some((name, value)) = flags
        .iter()
        .find_map(|(name, value)| value.filter(|v| !v.is_empty()).map(|v| (name, v)))
    {
        return Some((name.to_string(), value.to_string()));
    }
    [
        signal_variable(signal, suffix),
        format!("OTEL_EXPORTER_OTLP_{suffix}"),
    ]
    .into_iter()
    .find_map(|name| {
        env(&name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name, v))
    })
}

fn signal_settings(
    signal: Signal,
    signal_endpoint_flag: Option<&str>,
    args: &OtlpArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SignalSettings>, ConfigError> {
    let flag_name = match signal {
        Signal::Spans => "--otlp-traces-endpoint",
        Signal::Logs => "--otlp-logs-endpoint",
        Signal::Metrics => "--otlp-metrics-endpoint",
    };
    let Some((source_name, endpoint)) = first_set(
        signal,
        "ENDPOINT",
        (flag_name, signal_endpoint_flag),
        ("--otlp-endpoint", args.otlp_endpoint.as_deref()),
        env,
    ) else {
        return Ok(None);
    };
    let endpoint = endpoint.trim().to_string();
    let https = match endpoint.split_once("://") {
        Some((scheme, rest)) if !rest.is_empty() && scheme.eq_ignore_ascii_case("https") => true,
        Some((scheme, rest)) if !rest.is_empty() && scheme.eq_ignore_ascii_case("http") => false,
        _ => {
            return Err(ConfigError::Endpoint {
                source_name,
                value: endpoint,
            })
        }
    };
    let path_of = |suffix: &str, flag: (&str, Option<&Path>)| {
        first_set(
            signal,
            suffix,
            ("", None),
            (flag.0, flag.1.and_then(Path::to_str)),
            env,
        )
    };
    let ca = path_of(
        "CERTIFICATE",
        ("--otlp-certificate", args.otlp_certificate.as_deref()),
    );
    let key = path_of(
        "CLIENT_KEY",
        ("--otlp-client-key", args.otlp_client_key.as_deref()),
    );
    let cert = path_of(
        "CLIENT_CERTIFICATE",
        (
            "--otlp-client-certificate",
            args.otlp_client_certificate.as_deref(),
        ),
    );
    if !https {
        if let Some((source_name, _)) = ca.as_ref().or(key.as_ref()).or(cert.as_ref()) {
            return Err(ConfigError::CertificateWithoutTls {
                source_name: source_name.clone(),
                endpoint,
            });
        }
        return Ok(Some(SignalSettings {
            endpoint,
            tls: None,
        }));
    }
    let mut tls = ClientTlsConfig::new();
    tls = match &ca {
        Some(ca) => tls.ca_certificate(Certificate::from_pem(read_pem(ca)?)),
        None => tls.with_native_roots(),
    };
    match (&cert, &key) {
        (Some(cert), Some(key)) => {
            tls = tls.identity(Identity::from_pem(read_pem(cert)?, read_pem(key)?));
        }
        (None, None) => {}
        _ => {
            return Err(ConfigError::HalfIdentity {
                signal: signal.label(),
            })
        }
    }
    Ok(Some(SignalSettings {
        endpoint,
        tls: Some(tls),
    }))
}

/// The contents of a PEM file named by `(source, path)`.
fn read_pem((source_name, path): &(String, String)) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|error| ConfigError::Unreadable {
        source_name: source_name.clone(),
        path: PathBuf::from(path),
        error,
    })
}

/// `key=value,key2=value2`, values percent-decoded (as
/// OTEL_EXPORTER_OTLP_HEADERS is).
fn parse_headers(text: &str) -> Result<MetadataMap, ConfigError> {
    let mut headers = MetadataMap::new();
    for pair in text.split(',').filter(|pair| !pair.trim().is_empty()) {
        let invalid = || ConfigError::Header(pair.trim().to_string());
        let (key, value) = pair.split_once('=').ok_or_else(invalid)?;
        let key = AsciiMetadataKey::from_bytes(key.trim().to_ascii_lowercase().as_bytes())
            .map_err(|_| invalid())?;
        let value = percent_decode(value.trim()).ok_or_else(invalid)?;
        let value = AsciiMetadataValue::try_from(value.as_str()).map_err(|_| invalid())?;
        headers.insert(key, value);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn args(flags: &[&str]) -> OtlpArgs {
        let cli = Cli::try_parse_from(["sonde", "run"].iter().chain(flags)).unwrap();
        match cli.command {
            Command::Run(run) => run.otlp,
            Command::Check(_) => unreachable!(),
        }
    }

    fn resolve(
        flags: &[&str],
        vars: &[(&str, &str)],
    ) -> Result<Option<ExportSettings>, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ExportSettings::resolve(&args(flags), &|name| vars.get(name).cloned())
    }

    fn endpoints(settings: &ExportSettings) -> [Option<&str>; 3] {
        [&settings.spans, &settings.logs, &settings.metrics]
            .map(|signal| signal.as_ref().map(|s| s.endpoint.as_str()))
    }

    #[test]
    fn no_endpoint_no_export() {
        assert!(resolve(&[], &[]).unwrap().is_none());
        assert!(resolve(&[], &[("OTEL_EXPORTER_OTLP_ENDPOINT", "  ")])
            .unwrap()
            .is_none());
    }

    #[test]
    fn signal_settings_win_over_common_ones_flags_over_variables() {
        let settings = resolve(
            &["--otlp-logs-endpoint", "http://logs:4317"],
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://all:4317"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"),
            ],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            endpoints(&settings),
            [
                Some("http://traces:4317"),
                Some("http://logs:4317"),
                Some("http://all:4317")
            ]
        );
        let settings = resolve(
            &["--otlp-endpoint", "http://flag:4317"],
            &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317")],
        )
        .unwrap()
        .unwrap();
        assert_eq!(endpoints(&settings), [Some("http://flag:4317"); 3]);
        let only_traces = resolve(&[], &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1")])
            .unwrap()
            .unwrap();
        assert_eq!(endpoints(&only_traces), [Some("http://t:1"), None, None]);
    }

    #[test]
    fn bad_endpoints_and_files_are_clear_errors() {
        let error = resolve(&["--otlp-endpoint", "collector:4317"], &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--otlp-endpoint: `collector:4317` is not an http:// or https:// URL"
        );
        let error = resolve(
            &["--otlp-endpoint", "http://c:4317"],
            &[("OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem")],
        )
        .unwrap_err();
        assert!(
            matches!(error, ConfigError::CertificateWithoutTls { .. }),
            "{error}"
        );
        let error = resolve(
            &[
                "--otlp-endpoint",
                "https://c:4317",
                "--otlp-certificate",
                "/nonexistent/ca.pem",
            ],
            &[],
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("--otlp-certificate: cannot read /nonexistent/ca.pem"),
            "{error}"
        );
        let error = resolve(
            &["--otlp-endpoint", "https://c:4317"],
            &[("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/key.pem")],
        )
        .unwrap_err();
        assert!(matches!(error, ConfigError::HalfIdentity { .. }), "{error}");
    }

    #[test]
    fn https_without_a_certificate_trusts_the_system() {
        let settings = resolve(&["--otlp-endpoint", "https://c:4317"], &[])
            .unwrap()
            .unwrap();
        assert!(settings.spans.unwrap().tls.is_some());
    }

    #[test]
    fn headers_interval_and_temporality() {
        let settings = resolve(
            &[
                "--otlp-endpoint",
                "http://c:4317",
                "--otlp-headers",
                "Authorization=Bearer%20x, tenant=a",
                "--otlp-metrics-temporality",
                "delta",
            ],
            &[("OTEL_METRIC_EXPORT_INTERVAL", "2500")],
        )
        .unwrap()
        .unwrap();
        assert_eq!(settings.headers.get("authorization").unwrap(), "Bearer x");
        assert_eq!(settings.headers.get("tenant").unwrap(), "a");
        assert_eq!(settings.metrics_interval, Duration::from_millis(2500));
        assert_eq!(settings.temporality, Temporality::Delta);
        assert!(resolve(
            &["--otlp-endpoint", "http://c:1", "--otlp-headers", "novalue"],
            &[]
        )
        .is_err());
        assert!(resolve(
            &["--otlp-endpoint", "http://c:1"],
            &[("OTEL_METRIC_EXPORT_INTERVAL", "soon")]
        )
        .is_err());
        let default = resolve(&["--otlp-endpoint", "http://c:1"], &[])
            .unwrap()
            .unwrap();
        assert_eq!(default.metrics_interval, Duration::from_secs(10));
        assert_eq!(default.temporality, Temporality::Cumulative);
    }
}
