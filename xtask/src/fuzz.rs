//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs the agent's fuzz
//! targets (`agent/fuzz/fuzz_targets/*.rs`) for N seconds each; a crash fails
//! the command, its input saved under `agent/fuzz/artifacts/TARGET/`.
//!
//! cargo-fuzz is installed when missing. It wants a nightly compiler: the
//! rustup nightly when there is one (installed with `--profile minimal` when
//! missing and rustup can fetch it); else the stable one with
//! `RUSTC_BOOTSTRAP=1`, without AddressSanitizer (the parsers are safe Rust:
//! the panics and assertions are what is looked for).
//!
//! New inputs go to `agent/fuzz/corpus/TARGET/` (not versioned); the seeds
//! in `agent/fuzz/seeds/TARGET/` are read as well.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode, Stdio},
};

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::{
    nested_cargo::{self, Scope},
    paths, process,
};

/// Seconds each target runs by default, and in `cargo xtask test`.
pub const DEFAULT_SECONDS: u64 = 60;
/// A single input running longer than this is a hang, reported as a crash.
const INPUT_TIMEOUT_SECONDS: u64 = 10;
/// Inputs up to this size: several captured chunks of up to 4 KiB.
const MAX_INPUT_LEN: usize = 16 * 1024;

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// How long each target runs, in seconds.
    #[arg(long, default_value_t = DEFAULT_SECONDS)]
    pub seconds: u64,
    /// Targets to run (default: all of them).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
}

/// The compiler the fuzz targets are built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toolchain {
    /// `cargo +nightly fuzz`, with AddressSanitizer.
    Nightly,
    /// The default toolchain with `RUSTC_BOOTSTRAP=1`, without sanitizer.
    StableBootstrap,
}

pub fn main(args: &FuzzArgs) -> Result<ExitCode> {
    run(args.seconds, &args.targets)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `targets` (all when empty) for `seconds` each; an error names the
/// targets that crashed.
pub fn run(seconds: u64, targets: &[String]) -> Result<()> {
    let available = list_targets(&fuzz_dir())?;
    let targets = select(&available, targets)?;
    let toolchain = ensure_toolchain();
    ensure_cargo_fuzz()?;
    let mut crashed = Vec::new();
    for target in &targets {
        let corpus = fuzz_dir().join("corpus").join(target);
        fs::create_dir_all(&corpus)
            .with_context(|| format!("cannot create {}", corpus.display()))?;
        let seeds = fuzz_dir().join("seeds").join(target);
        let corpora: Vec<PathBuf> = [Some(corpus), seeds.is_dir().then_some(seeds)]
            .into_iter()
            .flatten()
            .collect();
        let status = process::status(&mut run_command(toolchain, target, seconds, &corpora))?;
        if !status.success() {
            crashed.push(target.clone());
        }
    }
    if !crashed.is_empty() {
        bail!(
            "fuzz target(s) {} crashed: the input is under {}",
            crashed.join(", "),
            fuzz_dir().join("artifacts").display()
        );
    }
    Ok(())
}

/// `agent/fuzz`: the fuzz crate.
fn fuzz_dir() -> PathBuf {
    paths::workspace_root().join("agent/fuzz")
}

/// The targets in `FUZZ_DIR/fuzz_targets`, by name, sorted.
fn list_targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let dir = fuzz_dir.join("fuzz_targets");
    let mut targets = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            if let Some(stem) = path.file_stem() {
                targets.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    targets.sort();
    Ok(targets)
}

/// The targets asked for (all when none is), each checked to exist.
fn select(available: &[String], asked: &[String]) -> Result<Vec<String>> {
    if asked.is_empty() {
        return Ok(available.to_vec());
    }
    for target in asked {
        if !available.contains(target) {
            bail!(
                "no fuzz target {target}: the targets are {}",
                available.join(", ")
            );
        }
    }
    Ok(asked.to_vec())
}

/// The rustup nightly when present or installable, else stable with
/// `RUSTC_BOOTSTRAP`.
fn ensure_toolchain() -> Toolchain {
    if has_nightly() {
        return Toolchain::Nightly;
    }
    eprintln!("xtask: no nightly toolchain, installing one for cargo-fuzz");
    let mut install = Command::new("rustup");
    install
        .args(["toolchain", "install", "nightly", "--profile", "minimal"])
        .env("PATH", paths::path_with_cargo_bin())
        .stdin(Stdio::null());
    match process::run(&mut install) {
        Ok(()) if has_nightly() => Toolchain::Nightly,
        _ => {
            eprintln!(
                "xtask: nightly unavailable: fuzzing with the default toolchain \
                 (RUSTC_BOOTSTRAP=1, no sanitizer)"
            );
            Toolchain::StableBootstrap
        }
    }
}

/// Whether rustup has a nightly toolchain installed (asks nothing of the network).
fn has_nightly() -> bool {
    Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .env("PATH", paths::path_with_cargo_bin())
        .env_remove("RUSTUP_TOOLCHAIN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn ensure_cargo_fuzz() -> Result<()> {
    if paths::find_executable("cargo-fuzz").is_some() {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-fuzz");
    let mut install = nested_cargo::cargo(Scope::Kernel);
    install
        .args(["install", "cargo-fuzz", "--locked"])
        .stdin(Stdio::null());
    process::run(&mut install)
}

/// `cargo fuzz run TARGET CORPUS... -- LIBFUZZER_OPTIONS` from `agent/`.
fn run_command(toolchain: Toolchain, target: &str, seconds: u64, corpora: &[PathBuf]) -> Command {
    // The fuzz build sets its own flags: nothing of the caller's toolchain
    // settings (RUSTFLAGS, RUSTUP_TOOLCHAIN...) is inherited.
    let mut command = nested_cargo::cargo(Scope::Kernel);
    command.current_dir(paths::workspace_root().join("agent"));
    match toolchain {
        Toolchain::Nightly => {
            command.args(["+nightly", "fuzz", "run"]);
        }
        Toolchain::StableBootstrap => {
            command
                .env("RUSTC_BOOTSTRAP", "1")
                .args(["fuzz", "run", "--sanitizer", "none"]);
        }
    }
    command
        .arg(target)
        .args(corpora)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECONDS}"))
        .arg(format!("-max_len={MAX_INPUT_LEN}"))
        .arg("-print_final_stats=1")
        .stdin(Stdio::null());
    command
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn the_agent_has_an_http1_target() {
        let targets = list_targets(&fuzz_dir()).unwrap();
        assert!(targets.contains(&"http1".to_string()), "{targets:?}");
    }

    #[test]
    fn targets_are_checked() {
        let available = ["a".to_string(), "b".to_string()];
        assert_eq!(select(&available, &[]).unwrap(), available);
        assert_eq!(select(&available, &["b".into()]).unwrap(), ["b"]);
        assert!(select(&available, &["c".into()]).is_err());
    }

    #[test]
    fn run_commands() {
        let corpora = [PathBuf::from("/c"), PathBuf::from("/s")];
        let args = |command: &Command| -> Vec<String> {
            command
                .get_args()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect()
        };
        let nightly = run_command(Toolchain::Nightly, "http1", 60, &corpora);
        assert_eq!(
            args(&nightly),
            [
                "+nightly",
                "fuzz",
                "run",
                "http1",
                "/c",
                "/s",
                "--",
                "-max_total_time=60",
                "-timeout=10",
                "-max_len=16384",
                "-print_final_stats=1"
            ]
        );
        assert_eq!(
            nightly.get_current_dir(),
            Some(paths::workspace_root().join("agent").as_path())
        );
        let stable = run_command(Toolchain::StableBootstrap, "http1", 5, &corpora[..1]);
        assert_eq!(
            args(&stable)[..5],
            ["fuzz", "run", "--sanitizer", "none", "http1"]
        );
        assert!(stable
            .get_envs()
            .any(|(name, value)| name == "RUSTC_BOOTSTRAP" && value == Some(OsStr::new("1"))));
    }
}
