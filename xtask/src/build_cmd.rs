//! `cargo xtask build`: the kernel programs first, then the agent that embeds them.

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

use anyhow::{ensure, Result};
use clap::Args;

use crate::{
    ebpf_toolchain::{self, Route},
    nested_cargo::{self, Scope},
    paths::{self, Profile},
    process, setup,
};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Build the agent with the dev profile (target/debug/sonde). The kernel
    /// programs are always optimised: unoptimised eBPF does not pass the verifier.
    #[arg(long)]
    pub debug: bool,
}

/// What a build produced.
#[derive(Debug)]
pub struct Built {
    /// The eBPF object embedded in the agent.
    pub object: PathBuf,
    /// The `sonde` binary.
    pub binary: PathBuf,
}

pub fn main(args: &BuildArgs) -> Result<ExitCode> {
    let route = setup::ensure()?;
    let profile = if args.debug {
        Profile::Debug
    } else {
        Profile::Release
    };
    let built = build(route, profile)?;
    println!("{}", built.binary.display());
    Ok(ExitCode::SUCCESS)
}

/// Builds the probes with `route`, then the agent with `profile`.
pub fn build(route: Route, profile: Profile) -> Result<Built> {
    let object = build_probes(route)?;
    let binary = build_agent(&object, profile)?;
    eprintln!("xtask: built {}", binary.display());
    Ok(Built { object, binary })
}

fn build_probes(route: Route) -> Result<PathBuf> {
    let target_dir = paths::ebpf_target_dir();
    let crate_dir = paths::probes_crate();
    ensure!(
        crate_dir.join("Cargo.toml").is_file(),
        "no kernel programs crate at {}",
        crate_dir.display()
    );
    process::run(&mut ebpf_toolchain::probes_build(
        route,
        &crate_dir,
        &target_dir,
    ))?;
    let object = ebpf_toolchain::probes_object(&target_dir);
    ensure!(
        object.is_file(),
        "the probes build succeeded but left no object at {}",
        object.display()
    );
    eprintln!("xtask: eBPF object {}", object.display());
    Ok(object)
}

fn build_agent(object: &Path, profile: Profile) -> Result<PathBuf> {
    let mut command = agent_build(object, profile);
    process::run(&mut command)?;
    let binary = paths::agent_binary(profile);
    ensure!(
        binary.is_file(),
        "the agent build left no binary at {}",
        binary.display()
    );
    Ok(binary)
}

/// `cargo build -p sonde-agent` embedding `object`.
fn agent_build(object: &Path, profile: Profile) -> Command {
    let mut command = nested_cargo::cargo(Scope::Host);
    command
        .current_dir(paths::workspace_root())
        .env("SONDE_PROBES_OBJECT", object)
        .args(["build", "--package", "sonde-agent", "--bin", "sonde"]);
    if profile == Profile::Release {
        command.arg("--release");
    }
    command
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn the_agent_embeds_the_given_object() {
        let command = agent_build(Path::new("/t/sonde-probes"), Profile::Release);
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(
            args,
            [
                "build",
                "--package",
                "sonde-agent",
                "--bin",
                "sonde",
                "--release"
            ]
        );
        let object = command
            .get_envs()
            .find(|(name, _)| *name == "SONDE_PROBES_OBJECT")
            .and_then(|(_, value)| value);
        assert_eq!(object, Some(OsStr::new("/t/sonde-probes")));

        let debug = agent_build(Path::new("/t/sonde-probes"), Profile::Debug);
        assert!(!debug.get_args().any(|arg| arg == "--release"));
    }
}
