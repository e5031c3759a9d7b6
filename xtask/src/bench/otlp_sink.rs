//! The collector of `bench export`: `sonde-otlp-sink` (the test suite's
//! OTLP receiver in count-only mode) as a child process pinned to a CPU.

use std::{
    io::{BufRead, BufReader, Lines, Write},
    path::Path,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
};

use anyhow::{bail, Context, Result};

use super::json;

/// What the collector accepted so far, and its CPU time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SinkCounts {
    pub spans: u64,
    pub requests: u64,
    pub cpu_seconds: f64,
}

/// A running `sonde-otlp-sink`; stopped on drop.
#[derive(Debug)]
pub struct OtlpSink {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    port: u16,
}

impl OtlpSink {
    /// Starts `binary` pinned to `cpu` and waits until it listens.
    pub fn start(binary: &Path, cpu: usize) -> Result<OtlpSink> {
        let mut child = Command::new(binary)
            .args(["--cpu", &cpu.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("the sink has no stdout")?;
        let mut sink = OtlpSink {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            port: 0,
        };
        let hello = sink.next_line()?;
        sink.port = json::parse(&hello)?
            .get("port")
            .and_then(json::Value::as_u64)
            .and_then(|port| u16::try_from(port).ok())
            .with_context(|| format!("the sink said `{hello}`, not its port"))?;
        Ok(sink)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What it accepted so far.
    pub fn counts(&mut self) -> Result<SinkCounts> {
        let stdin = self.stdin.as_mut().context("the sink is stopped")?;
        stdin
            .write_all(b"\n")
            .and_then(|()| stdin.flush())
            .context("the sink does not read its stdin")?;
        let line = self.next_line()?;
        let value = json::parse(&line)?;
        let field = |name: &str| {
            value
                .get(name)
                .and_then(json::Value::as_f64)
                .with_context(|| format!("no {name} in the sink's `{line}`"))
        };
        Ok(SinkCounts {
            spans: field("spans")? as u64,
            requests: field("requests")? as u64,
            cpu_seconds: field("cpu_seconds")?,
        })
    }

    fn next_line(&mut self) -> Result<String> {
        match self.lines.next() {
            Some(line) => line.context("cannot read the sink's output"),
            None => bail!("the sink exited ({:?})", self.child.try_wait()),
        }
    }
}

impl Drop for OtlpSink {
    fn drop(&mut self) {
        // A closed stdin ends it.
        self.stdin.take();
        let _ = self.child.wait();
    }
}
