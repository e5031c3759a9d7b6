//! `sonde-otlp-sink`: the test suite's OTLP receiver in count-only mode, as
//! a process of its own, for `cargo xtask bench export` to export into.
//!
//! ```text
//! sonde-otlp-sink [--port N] [--cpu N]
//! ```
//!
//! It prints `{"port":P}` once listening on 127.0.0.1:P; then, for each
//! line read on stdin, one JSON line with what it accepted so far and its
//! own CPU time (`{"spans":N,"requests":N,"cpu_seconds":S}`). It exits when
//! stdin closes. With `--cpu` it is pinned to that CPU.

use std::{
    io::{self, BufRead, Write},
    process::ExitCode,
};

use serde_json::json;
use sonde_tests::otlp::{OtlpReceiver, ReceiverOptions, Signal};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sonde-otlp-sink: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut port = 0;
    let mut cpu = None;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let invalid = || format!("{flag}: `{value}` is not a number");
        match flag.as_str() {
            "--port" => port = value.parse().map_err(|_| invalid())?,
            "--cpu" => cpu = Some(value.parse().map_err(|_| invalid())?),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    if let Some(cpu) = cpu {
        // Before the receiver's threads start: they inherit it.
        pin_to_cpu(cpu)?;
    }
    let receiver = OtlpReceiver::start(ReceiverOptions {
        port,
        count_only: true,
        ..ReceiverOptions::default()
    });
    let mut stdout = io::stdout().lock();
    let say = |out: &mut io::StdoutLock, line: serde_json::Value| {
        writeln!(out, "{line}").and_then(|()| out.flush())
    };
    say(&mut stdout, json!({ "port": receiver.port() })).map_err(|e| e.to_string())?;
    for line in io::stdin().lock().lines() {
        line.map_err(|e| e.to_string())?;
        let counts = receiver.counts(Signal::Traces);
        let line = json!({
            "spans": counts.items,
            "requests": counts.requests,
            "cpu_seconds": cpu_seconds(),
        });
        say(&mut stdout, line).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// This process's CPU time (every thread, user and system).
fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: a valid `who` and a valid out pointer.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn pin_to_cpu(cpu: usize) -> Result<(), String> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(format!("no CPU {cpu}"));
    }
    // SAFETY: a zeroed cpu_set_t is an empty set; `cpu` is within it.
    let status = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set)
    };
    if status != 0 {
        return Err(format!(
            "cannot pin to CPU {cpu}: {}",
            io::Error::last_os_error()
        ));
    }
    Ok(())
}
