//! `cargo xtask setup`: install the eBPF toolchain when it is missing.
//!
//! What to install is decided by [`ebpf_toolchain::plan`]; this file only carries
//! the steps out. On a ready machine it runs no command at all.

use std::{
    process::{Command, ExitCode, Stdio},
    time::Instant,
};

use anyhow::{bail, Result};

use crate::{
    ebpf_toolchain::{self, Probe, Route, Step},
    paths, privileges, process,
};

pub fn main() -> Result<ExitCode> {
    ensure()?;
    Ok(ExitCode::SUCCESS)
}

/// Makes the eBPF toolchain usable and returns the route to build with.
pub fn ensure() -> Result<Route> {
    let started = Instant::now();
    let probe = Probe::detect()?;
    let plan = ebpf_toolchain::plan(&probe);
    eprintln!("xtask: eBPF toolchain: {}", plan.route.describe());
    if plan.steps.is_empty() {
        eprintln!("xtask: eBPF toolchain ready ({})", linker_location(&probe));
        return Ok(plan.route);
    }
    for step in &plan.steps {
        carry_out(step)?;
    }
    let after = Probe::detect()?;
    let remaining = ebpf_toolchain::plan(&after);
    if remaining.route != plan.route || !remaining.steps.is_empty() {
        bail!(
            "the eBPF toolchain is still incomplete after setup: {:?} missing",
            remaining.steps
        );
    }
    eprintln!(
        "xtask: eBPF toolchain installed in {:.0?} ({})",
        started.elapsed(),
        linker_location(&after)
    );
    Ok(plan.route)
}

fn linker_location(probe: &Probe) -> String {
    match &probe.bpf_linker {
        Some(path) => format!("bpf-linker at {}", path.display()),
        None => "no bpf-linker".into(),
    }
}

fn carry_out(step: &Step) -> Result<()> {
    match step {
        Step::AptInstall(packages) => {
            process::run(&mut apt_get(&["update"])?)?;
            let mut install = apt_get(&["install", "-y"])?;
            install.args(packages);
            process::run(&mut install)
        }
        Step::AddRustSrc => {
            let mut command = Command::new("rustup");
            command
                .args([
                    "component",
                    "add",
                    "rust-src",
                    "--toolchain",
                    ebpf_toolchain::NIGHTLY,
                ])
                .env("PATH", paths::path_with_cargo_bin());
            process::run(&mut command)
        }
        Step::InstallBpfLinker => {
            eprintln!("xtask: building bpf-linker against LLVM 22 (takes a minute or two)");
            process::run(&mut ebpf_toolchain::bpf_linker_install())
        }
    }
}

/// `apt-get` without questions, as root (through sudo when needed).
fn apt_get(args: &[&str]) -> Result<Command> {
    let mut command = privileges::as_root("apt-get")?;
    command
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null());
    Ok(command)
}
