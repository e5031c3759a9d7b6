//! Run this crate's `sonde-workload` binary and read the JSON line it prints.

use std::{
    io::{BufRead, BufReader, Read, Write},
    path::PathBuf,
    process::{Child, ChildStdin, Command, ExitStatus, Stdio},
    thread::{self, JoinHandle},
    time::{Duration, Instant, SystemTime},
};

use serde_json::Value;

/// The `sonde-workload` binary (see [`crate::workload_bin!`]).
#[derive(Debug, Clone)]
pub struct Workload {
    bin: PathBuf,
}

/// A finished workload: its pid, exit status, last JSON line, and output.
#[derive(Debug)]
pub struct WorkloadRun {
    pub pid: u32,
    pub status: ExitStatus,
    /// The last stdout line, parsed (`Null` when there is none or it is not JSON).
    pub report: Value,
    pub stdout: String,
    pub stderr: String,
    /// From spawn to exit.
    pub elapsed: Duration,
    /// Wall-clock time of the spawn.
    pub started_at: SystemTime,
}

impl WorkloadRun {
    /// Panics, with the output, unless the workload exited 0 with a JSON report.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.status.success() && self.report.is_object(),
            "sonde-workload exited with {}\nstdout: {}\nstderr: {}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// A number from the report; panics when it is missing.
    pub fn u64(&self, key: &str) -> u64 {
        self.report[key]
            .as_u64()
            .unwrap_or_else(|| panic!("workload report has no number {key:?}: {}", self.report))
    }
}

/// A workload started as `wait-then-go ...`: it has printed its pid and waits
/// for [`Waiting::go`].
#[derive(Debug)]
pub struct Waiting {
    child: Child,
    stdin: ChildStdin,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
    pid: u32,
    started: Instant,
    started_at: SystemTime,
}

impl Waiting {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Lets the workload go on and waits for it to finish.
    pub fn go(mut self, timeout: Duration) -> WorkloadRun {
        self.stdin
            .write_all(b"go\n")
            .expect("write to the workload's stdin");
        drop(self.stdin);
        finish(
            self.child,
            self.stdout,
            self.stderr,
            self.started,
            self.started_at,
            timeout,
            Duration::from_millis(100),
            &mut |_| {},
        )
    }
}

impl Workload {
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        let bin = bin.into();
        assert!(
            bin.is_file(),
            "sonde-workload is missing at {}",
            bin.display()
        );
        Workload { bin }
    }

    /// Runs `sonde-workload args..` to the end (killed, and a panic, after `timeout`).
    pub fn run(&self, args: &[&str], timeout: Duration) -> WorkloadRun {
        self.run_while(args, timeout, Duration::from_millis(100), |_| {})
    }

    /// Like [`Workload::run`], calling `tick(pid)` every `every` while it runs.
    pub fn run_while(
        &self,
        args: &[&str],
        timeout: Duration,
        every: Duration,
        mut tick: impl FnMut(u32),
    ) -> WorkloadRun {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sonde-workload");
        let stdout = read_all(child.stdout.take().expect("piped stdout"));
        let stderr = read_all(child.stderr.take().expect("piped stderr"));
        finish(
            child, stdout, stderr, started, started_at, timeout, every, &mut tick,
        )
    }

    /// Starts `sonde-workload wait-then-go args..` and waits for its pid.
    pub fn spawn_waiting(&self, args: &[&str]) -> Waiting {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let mut full_args = vec!["wait-then-go"];
        full_args.extend_from_slice(args);
        let mut child = self
            .command(&full_args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("spawn sonde-workload");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .expect("read the workload's first line");
        let announced: Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("workload's first line {first:?} is not JSON: {e}"));
        let pid = child.id();
        assert_eq!(
            announced["pid"].as_u64(),
            Some(u64::from(pid)),
            "{announced}"
        );
        Waiting {
            stdin: child.stdin.take().expect("piped stdin"),
            stdout: read_all(stdout),
            stderr: read_all(child.stderr.take().expect("piped stderr")),
            child,
            pid,
            started,
            started_at,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "private helper shared by two callers"
)]
fn finish(
    mut child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
    started: Instant,
    started_at: SystemTime,
    timeout: Duration,
    every: Duration,
    tick: &mut dyn FnMut(u32),
) -> WorkloadRun {
    let pid = child.id();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitpid on the workload") {
            break status;
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            let (out, err) = (
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default(),
            );
            panic!(
                "sonde-workload did not finish within {timeout:?}\nstdout: {out}\nstderr: {err}"
            );
        }
        tick(pid);
        thread::sleep(every.min(timeout.saturating_sub(started.elapsed())));
    };
    let elapsed = started.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let report = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    WorkloadRun {
        pid,
        status,
        report,
        stdout,
        stderr,
        elapsed,
        started_at,
    }
}
