//! The agent's criterion benchmarks (agent/benches), run with `cargo bench`,
//! and their estimates read back from `target/criterion/ID/new/`.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Stdio,
    time::SystemTime,
};

use anyhow::{bail, Context, Result};

use super::json::{self, Value};
use crate::{
    nested_cargo::{self, Scope},
    paths, process,
};

/// What one iteration of a benchmark processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throughput {
    Bytes(u64),
    Elements(u64),
}

/// One benchmark's estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// `GROUP/FUNCTION`.
    pub id: String,
    /// Nanoseconds per iteration: the slope of the linear fit when criterion
    /// made one, else the mean (what criterion prints as `time:`).
    pub ns_per_iteration: f64,
    pub throughput: Throughput,
}

impl Estimate {
    /// Bytes or elements per second.
    pub fn per_second(&self) -> f64 {
        let amount = match self.throughput {
            Throughput::Bytes(n) | Throughput::Elements(n) => n as f64,
        };
        amount * 1e9 / self.ns_per_iteration
    }
}

/// `cargo bench -p sonde-agent --bench NAME…`: runs the benchmarks (their
/// output goes to stderr) and returns what they printed to stdout.
pub fn run(benches: &[&str]) -> Result<String> {
    let mut command = nested_cargo::cargo(Scope::Host);
    command
        .current_dir(paths::workspace_root())
        .args(["bench", "-p", "sonde-agent"]);
    for bench in benches {
        command.args(["--bench", bench]);
    }
    eprintln!("xtask: running {}", process::display(&command));
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo bench")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    eprint!("{stdout}");
    if !output.status.success() {
        bail!("cargo bench failed ({})", output.status);
    }
    Ok(stdout)
}

/// Where criterion keeps its results.
pub fn results_dir() -> PathBuf {
    paths::workspace_root().join("target/criterion")
}

/// The estimate of benchmark `id` (`GROUP/FUNCTION`) under `dir`; an error
/// when it is older than `since` (the benchmark did not run this time).
pub fn read(dir: &Path, id: &str, since: SystemTime) -> Result<Estimate> {
    let new = dir.join(id).join("new");
    let estimates = new.join("estimates.json");
    let modified = fs::metadata(&estimates)
        .and_then(|meta| meta.modified())
        .with_context(|| format!("no results of {id} in {}", estimates.display()))?;
    if modified < since {
        bail!(
            "{} is older than this run: the benchmark {id} did not run",
            estimates.display()
        );
    }
    let read_json = |path: &Path| -> Result<Value> {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        json::parse(&text).with_context(|| format!("{} is not JSON", path.display()))
    };
    parse(
        id,
        &read_json(&estimates)?,
        &read_json(&new.join("benchmark.json"))?,
    )
}

/// Reads criterion's `estimates.json` and `benchmark.json` of benchmark `id`.
pub fn parse(id: &str, estimates: &Value, benchmark: &Value) -> Result<Estimate> {
    let point = |name: &str| {
        estimates
            .get(name)?
            .get("point_estimate")
            .and_then(Value::as_f64)
    };
    let ns_per_iteration = point("slope")
        .or_else(|| point("mean"))
        .with_context(|| format!("no slope nor mean in the estimates of {id}"))?;
    let throughput = benchmark
        .get("throughput")
        .with_context(|| format!("{id} has no throughput"))?;
    let throughput = if let Some(n) = throughput.get("Bytes").and_then(Value::as_u64) {
        Throughput::Bytes(n)
    } else if let Some(n) = throughput.get("BytesDecimal").and_then(Value::as_u64) {
        Throughput::Bytes(n)
    } else if let Some(n) = throughput.get("Elements").and_then(Value::as_u64) {
        Throughput::Elements(n)
    } else {
        bail!("{id}: a throughput of an unknown kind");
    };
    Ok(Estimate {
        id: id.to_owned(),
        ns_per_iteration,
        throughput,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from criterion 0.5's files.
    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":49.1,"upper_bound":51.3},"point_estimate":50.2,"standard_error":0.5},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":49.0,"upper_bound":50.0},"point_estimate":49.5,"standard_error":0.3},"slope":{"confidence_interval":{"confidence_level":0.95,"lower_bound":49.5,"upper_bound":50.5},"point_estimate":50.0,"standard_error":0.2},"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1}}"#;
    const BENCHMARK: &str = r#"{"group_id":"postgres","function_id":"framing_recordings","value_str":null,"throughput":{"Bytes":100},"full_id":"postgres/framing_recordings","directory_name":"postgres/framing_recordings","title":"postgres/framing_recordings"}"#;

    #[test]
    fn reads_the_slope_and_the_throughput() {
        let estimates = json::parse(ESTIMATES).unwrap();
        let benchmark = json::parse(BENCHMARK).unwrap();
        let estimate = parse("postgres/framing_recordings", &estimates, &benchmark).unwrap();
        assert_eq!(estimate.ns_per_iteration, 50.0);
        assert_eq!(estimate.throughput, Throughput::Bytes(100));
        // 100 bytes in 50 ns.
        assert_eq!(estimate.per_second(), 2e9);

        let no_slope = json::parse(&ESTIMATES.replace("\"slope\"", "\"other\"")).unwrap();
        let elements = json::parse(&BENCHMARK.replace("Bytes", "Elements")).unwrap();
        let estimate = parse("django/postgresql", &no_slope, &elements).unwrap();
        assert_eq!(estimate.ns_per_iteration, 50.2);
        assert_eq!(estimate.throughput, Throughput::Elements(100));
        assert!(parse("x", &json::parse("{}").unwrap(), &benchmark).is_err());
    }

    #[test]
    fn results_older_than_the_run_are_refused() {
        let dir = std::env::temp_dir().join(format!("xtask-criterion-{}", std::process::id()));
        let new = dir.join("postgres/framing_recordings/new");
        fs::create_dir_all(&new).unwrap();
        fs::write(new.join("estimates.json"), ESTIMATES).unwrap();
        fs::write(new.join("benchmark.json"), BENCHMARK).unwrap();
        let before = SystemTime::now() - std::time::Duration::from_secs(60);
        assert!(read(&dir, "postgres/framing_recordings", before).is_ok());
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        assert!(read(&dir, "postgres/framing_recordings", later).is_err());
        assert!(read(&dir, "postgres/none", before).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
