//! The sonde agent: the daemon and its command line ([`cli_main`], which the
//! `sonde` binary runs), and the load generators its benchmarks drive
//! ([`bench`]).

mod check;
mod cli;
mod db;
mod events;
mod export;
mod filter;
mod flows;
mod host;
mod http;
mod pipeline;
mod privileges;
mod probes;
mod protocols;
mod run;
mod scheduling;
mod server;
mod service;
mod telemetry;
mod traces;

#[doc(hidden)]
pub mod bench;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// mimalloc, not glibc's malloc: spans and parsed messages are many small
/// allocations freed soon after, where glibc spends much of the exporter's
/// time (BENCHMARKS.md, Export: about twice the spans per CPU second). It
/// costs about 20 MiB more peak RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs the `sonde` command line.
pub fn cli_main() -> ExitCode {
    let cli = Cli::parse();
    init_diagnostics();
    let result = match cli.command {
        Command::Check(args) => check::main(&args),
        Command::Run(args) => run::main(*args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("sonde: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The agent's own diagnostics go to stderr; stdout carries events only.
pub(crate) fn init_diagnostics() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SONDE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // No colour codes in journald or a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
