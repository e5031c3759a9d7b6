//! Run the real agent: `sonde run --log-format json` on a free loopback port with
//! a scratch data directory, its stdout parsed line by line in a reader thread.

use std::{
    io::{BufRead, BufReader, Read},
    net::{Ipv4Addr, SocketAddr, TcpListener},
    process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio},
    sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError},
    thread::{self, JoinHandle},
    time::{Duration, Instant, SystemTime},
};

use serde_json::Value;

use crate::{
    events::Event,
    http::{self, Response},
    metrics,
    paths::{sonde_bin, TempDir},
};

/// How long `sonde run` may take to answer 200 on /readyz.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`Agent::stop`] waits after the signal before it kills the agent.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

static AGENT_LOCK: Mutex<()> = Mutex::new(());

/// The process-wide lock every test that runs the agent holds, so that no two
/// agents overlap (tests that look at global kernel state rely on it). A test
/// that panicked while holding it does not poison it for the others.
pub fn agent_lock() -> MutexGuard<'static, ()> {
    AGENT_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A loopback TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

/// What the agent printed on stdout so far.
#[derive(Debug, Default)]
struct Collected {
    events: Vec<Event>,
    bad_lines: u64,
    bad_examples: Vec<String>,
    stdout_closed: bool,
}

#[derive(Debug, Default)]
struct Shared {
    collected: Mutex<Collected>,
    changed: Condvar,
}

/// How the agent ended after [`Agent::stop`].
#[derive(Debug)]
pub struct Stopped {
    pub status: ExitStatus,
    /// From sending the signal to the agent's exit.
    pub elapsed: Duration,
    pub stderr: String,
}

/// A running `sonde run`. Killed (SIGKILL) on drop if still running.
#[derive(Debug)]
pub struct Agent {
    child: Option<Child>,
    pid: u32,
    listen: SocketAddr,
    started_at: SystemTime,
    shared: Arc<Shared>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    _data_dir: TempDir,
    // Declared last so that it is released after everything above is dropped.
    _lock: MutexGuard<'static, ()>,
}

impl Agent {
    /// Starts `sonde run --log-format json --listen 127.0.0.1:<free> --data-dir <tmp>`
    /// followed by `args`, and waits until /readyz answers 200. Panics, with the
    /// agent's stderr, when it exits or is not ready within [`READY_TIMEOUT`].
    pub fn start(args: &[&str]) -> Agent {
        Agent::start_locked(agent_lock(), args)
    }

    /// [`Agent::start`] for a caller that already holds the [`agent_lock`] (to
    /// look at the kernel before the agent starts).
    pub fn start_locked(lock: MutexGuard<'static, ()>, args: &[&str]) -> Agent {
        let bin = sonde_bin();
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        let data_dir = TempDir::new("sonde-data");
        let started_at = SystemTime::now();
        let mut child = Command::new(&bin)
            .args(["run", "--log-format", "json", "--listen"])
            .arg(listen.to_string())
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let shared = Arc::new(Shared::default());
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout_pipe = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let readers = vec![
            spawn_stdout_reader(stdout_pipe, Arc::clone(&shared)),
            spawn_stderr_reader(stderr_pipe, Arc::clone(&stderr)),
        ];
        let mut agent = Agent {
            pid: child.id(),
            child: Some(child),
            listen,
            started_at,
            shared,
            stderr,
            readers,
            _data_dir: data_dir,
            _lock: lock,
        };
        agent.wait_ready(READY_TIMEOUT, args);
        agent
    }

    fn wait_ready(&mut self, timeout: Duration, args: &[&str]) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                // Give the stderr reader a moment to catch the last words.
                thread::sleep(Duration::from_millis(200));
                panic!(
                    "`sonde run {args:?}` exited with {status} before it was ready; stderr:\n{}",
                    self.stderr()
                );
            }
            let last = match http::get(self.listen, "/readyz", Duration::from_secs(2)) {
                Ok(Response { status: 200, .. }) => return,
                Ok(r) => format!("/readyz answered {}: {}", r.status, r.body.trim()),
                Err(e) => format!("/readyz: {e}"),
            };
            if Instant::now() >= deadline {
                panic!(
                    "`sonde run {args:?}` not ready after {timeout:?} ({last}); stderr:\n{}",
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().expect("waitpid on the agent"))
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The address of its HTTP endpoint.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// When the agent was started (wall clock).
    pub fn started_at(&self) -> SystemTime {
        self.started_at
    }

    /// Everything the agent wrote on stderr so far.
    pub fn stderr(&self) -> String {
        lock(&self.stderr).clone()
    }

    fn stderr_tail(&self) -> String {
        let text = self.stderr();
        let start = text.len().saturating_sub(4000);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        text[start..].to_owned()
    }

    fn collected(&self) -> MutexGuard<'_, Collected> {
        let guard = lock(&self.shared.collected);
        if guard.bad_lines > 0 {
            let (bad, examples) = (guard.bad_lines, guard.bad_examples.clone());
            drop(guard);
            panic!("the agent printed {bad} stdout line(s) that are not JSON objects, e.g. {examples:#?}");
        }
        guard
    }

    /// Runs `f` over every event received so far.
    pub fn with_events<R>(&self, f: impl FnOnce(&[Event]) -> R) -> R {
        f(&self.collected().events)
    }

    /// Number of events received so far.
    pub fn event_count(&self) -> usize {
        self.collected().events.len()
    }

    /// Copies of the events received so far for which `pred` holds.
    pub fn events_matching(&self, pred: impl Fn(&Event) -> bool) -> Vec<Event> {
        self.with_events(|events| events.iter().filter(|e| pred(e)).cloned().collect())
    }

    /// Waits until at least `n` events satisfying `pred` have arrived and returns
    /// all of those. Panics on timeout, or when the agent's stdout closes first.
    pub fn wait_for_events(
        &self,
        pred: impl Fn(&Event) -> bool,
        n: usize,
        timeout: Duration,
    ) -> Vec<Event> {
        let deadline = Instant::now() + timeout;
        let mut found = Vec::new();
        let mut cursor = 0;
        let mut guard = self.collected();
        loop {
            found.extend(guard.events[cursor..].iter().filter(|e| pred(e)).cloned());
            cursor = guard.events.len();
            if found.len() >= n {
                return found;
            }
            let now = Instant::now();
            if guard.stdout_closed || now >= deadline {
                let why = if guard.stdout_closed {
                    "the agent's stdout closed".to_owned()
                } else {
                    format!("timed out after {timeout:?}")
                };
                let recent: Vec<String> = guard
                    .events
                    .iter()
                    .rev()
                    .take(10)
                    .map(Value::to_string)
                    .collect();
                let total = guard.events.len();
                drop(guard);
                panic!(
                    "{why}: {} of {n} expected events arrived ({total} events in all); \
                     first matches: {:#?}\nlast events (newest first): {recent:#?}\n\
                     agent stderr (tail):\n{}",
                    found.len(),
                    &found[..found.len().min(10)],
                    self.stderr_tail()
                );
            }
            let wait = (deadline - now).min(Duration::from_millis(200));
            guard = self
                .shared
                .changed
                .wait_timeout(guard, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            if guard.bad_lines > 0 {
                drop(guard);
                guard = self.collected();
            }
        }
    }

    /// `GET path` on the agent's HTTP endpoint; panics when it cannot be reached.
    pub fn get(&self, path: &str) -> Response {
        http::get(self.listen, path, Duration::from_secs(10)).unwrap_or_else(|e| {
            panic!(
                "GET {path} on the agent at {}: {e}; stderr (tail):\n{}",
                self.listen,
                self.stderr_tail()
            )
        })
    }

    /// The `/metrics` text; panics unless the answer is 200.
    pub fn metrics(&self) -> String {
        let response = self.get("/metrics");
        assert_eq!(response.status, 200, "GET /metrics: {}", response.body);
        response.body
    }

    /// The value of one `/metrics` series (see [`metrics::value`]).
    pub fn metric(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        metrics::value(&self.metrics(), name, labels)
    }

    /// Waits until nothing moves for `quiet`: neither the number of JSON lines
    /// received nor the seen/delivered/dropped counters. Panics if that does not
    /// happen within `max`. Returns how long it took.
    pub fn wait_until_idle(&self, quiet: Duration, max: Duration) -> Duration {
        self.wait_until_idle_while(quiet, max, || {})
    }

    /// [`Agent::wait_until_idle`], calling `tick` at every poll (every 250 ms).
    pub fn wait_until_idle_while(
        &self,
        quiet: Duration,
        max: Duration,
        mut tick: impl FnMut(),
    ) -> Duration {
        let start = Instant::now();
        let snapshot = || {
            let text = self.metrics();
            let sum = |name| metrics::sum(&text, name, &[]) as u64;
            (
                self.event_count(),
                sum("sonde_events_seen_total"),
                sum("sonde_events_delivered_total"),
                sum("sonde_events_dropped_total"),
            )
        };
        let mut last = snapshot();
        let mut last_change = Instant::now();
        loop {
            tick();
            thread::sleep(Duration::from_millis(250));
            let now = snapshot();
            if now != last {
                last = now;
                last_change = Instant::now();
            } else if last_change.elapsed() >= quiet {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < max,
                "the agent was still busy after {max:?}: (lines, seen, delivered, dropped) = {now:?}"
            );
        }
    }

    /// [`Agent::stop_with`] SIGTERM.
    pub fn stop(&mut self) -> Stopped {
        self.stop_with(libc::SIGTERM)
    }

    /// Sends `signal`, waits up to [`STOP_TIMEOUT`] for the agent to exit (then
    /// kills it), and collects the rest of its output. Panics if the agent printed
    /// lines that are not JSON objects.
    pub fn stop_with(&mut self, signal: i32) -> Stopped {
        let mut child = self.child.take().expect("the agent was already stopped");
        let sent = Instant::now();
        // SAFETY: kill has no memory-safety preconditions; the child is not reaped yet.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill({}, {signal}) failed", child.id());
        let status = loop {
            if let Some(status) = child.try_wait().expect("waitpid on the agent") {
                break status;
            }
            if sent.elapsed() >= STOP_TIMEOUT {
                let _ = child.kill();
                break child.wait().expect("wait for the killed agent");
            }
            thread::sleep(Duration::from_millis(5));
        };
        let elapsed = sent.elapsed();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        drop(self.collected());
        Stopped {
            status,
            elapsed,
            stderr: self.stderr(),
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

fn spawn_stdout_reader(stdout: ChildStdout, shared: Arc<Shared>) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut reader = BufReader::with_capacity(1 << 20, stdout);
        let mut line = Vec::with_capacity(1024);
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let parsed = serde_json::from_slice::<Value>(text)
                .ok()
                .filter(Value::is_object);
            let mut collected = lock(&shared.collected);
            match parsed {
                Some(event) => collected.events.push(event),
                None => {
                    collected.bad_lines += 1;
                    if collected.bad_examples.len() < 5 {
                        collected
                            .bad_examples
                            .push(String::from_utf8_lossy(text).into_owned());
                    }
                }
            }
            drop(collected);
            shared.changed.notify_all();
        }
        lock(&shared.collected).stdout_closed = true;
        shared.changed.notify_all();
    })
}

fn spawn_stderr_reader(mut stderr: ChildStderr, sink: Arc<Mutex<String>>) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            lock(&sink).push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}
