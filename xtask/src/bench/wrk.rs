//! Saturation load with wrk (Debian package `wrk`), and reading its report.

use std::{net::SocketAddr, process::Command, time::Duration};

use anyhow::{Context, Result};

use super::system;

/// What one wrk run reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Responses completed.
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
    /// Responses whose status was not 2xx or 3xx.
    pub bad_status: u64,
}

/// `wrk -t1 -cCONNECTIONS -dSECONDS --latency http://ADDR/PATH`.
pub fn command(addr: SocketAddr, path: &str, connections: u32, duration: Duration) -> Command {
    let mut command = Command::new("wrk");
    command
        .arg("-t1")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--latency")
        .arg(format!("http://{addr}{path}"));
    command
}

/// Runs wrk and reads its report.
pub fn run(addr: SocketAddr, path: &str, connections: u32, duration: Duration) -> Result<Report> {
    let mut command = command(addr, path, connections, duration);
    let stdout = system::output(&mut command, "apt-get install -y wrk")?;
    parse(&stdout).with_context(|| format!("cannot read wrk's report:\n{stdout}"))
}

/// Reads the report `wrk --latency` prints.
pub fn parse(text: &str) -> Result<Report> {
    let mut requests = None;
    let mut requests_per_second = None;
    let mut p50 = None;
    let mut p99 = None;
    let mut socket_errors = 0;
    let mut bad_status = 0;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            requests_per_second = rest.trim().parse().ok();
        } else if let Some((count, _)) = line.split_once(" requests in ") {
            requests = count.trim().parse().ok();
        } else if let Some(rest) = line.strip_prefix("50%") {
            p50 = parse_duration(rest.trim());
        } else if let Some(rest) = line.strip_prefix("99%") {
            p99 = parse_duration(rest.trim());
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 3, write 0, timeout 1"
            socket_errors = rest
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            bad_status = rest.trim().parse().unwrap_or(0);
        }
    }
    Ok(Report {
        requests: requests.context("no `N requests in` line")?,
        requests_per_second: requests_per_second.context("no Requests/sec line")?,
        p50: p50.context("no 50% line (was --latency given?)")?,
        p99: p99.context("no 99% line (was --latency given?)")?,
        socket_errors,
        bad_status,
    })
}

/// A wrk duration: `812.00us`, `21.52ms`, `1.02s`, `2.00m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 10s test @ http://127.0.0.1:28411/hello
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.42ms    3.83ms  44.89ms   92.17%
    Req/Sec     2.77k     1.20k    5.18k    61.62%
  Latency Distribution
     50%    1.99ms
     75%    4.31ms
     90%    6.36ms
     99%   21.52ms
  27540 requests in 10.05s, 3.78MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   2740.77
Transfer/sec:    385.45KB
";

    #[test]
    fn reads_a_latency_report() {
        let report = parse(REPORT).unwrap();
        assert_eq!(
            report,
            Report {
                requests: 27540,
                requests_per_second: 2740.77,
                p50: Duration::from_micros(1990),
                p99: Duration::from_micros(21520),
                socket_errors: 5,
                bad_status: 7,
            }
        );
        let clean = REPORT
            .lines()
            .filter(|l| !l.contains("errors") && !l.contains("Non-2xx"))
            .collect::<Vec<_>>()
            .join("\n");
        let report = parse(&clean).unwrap();
        assert_eq!((report.socket_errors, report.bad_status), (0, 0));
        let no_latency = REPORT.replace("99%", "98%");
        assert!(parse(&no_latency).is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn reads_durations_in_every_unit() {
        assert_eq!(parse_duration("812.00us"), Some(Duration::from_micros(812)));
        assert_eq!(
            parse_duration("21.52ms"),
            Some(Duration::from_micros(21520))
        );
        assert_eq!(parse_duration("1.50s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2.00m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("3.0"), None);
        assert_eq!(parse_duration("ms"), None);
        assert_eq!(parse_duration("1.0xs"), None);
    }

    #[test]
    fn the_command_names_the_load() {
        let addr: SocketAddr = "127.0.0.1:8000".parse().unwrap();
        let command = command(addr, "/hello", 8, Duration::from_secs(10));
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(
            args,
            [
                "-t1",
                "-c8",
                "-d10s",
                "--latency",
                "http://127.0.0.1:8000/hello"
            ]
        );
    }
}
