//! The one place that decides how sonde's kernel programs are built.
//!
//! Two routes produce the same `bpfel-unknown-none` object:
//!
//! - **Debian**: `/usr/bin/rustc` from the `rustc-web` package (LLVM 22) ships a
//!   prebuilt `core` for bpfel-unknown-none (`libstd-rust-web-dev-bpf`); the build
//!   runs stable cargo with `RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1`. This is the
//!   route of the project's own machines, whose rustup nightly has no rust-src.
//! - **Nightly**: a rustup nightly with `rust-src` builds `core` itself with
//!   `-Z build-std=core` (the usual aya route); Debian's rustc is not needed.
//!
//! Both link with bpf-linker built against LLVM 22 (`/usr/lib/llvm-22`), and both
//! ask for debug info and BTF, without which the agent cannot load the programs.
//! `SONDE_EBPF_ROUTE=debian|nightly` overrides the choice.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{bail, Result};

use crate::{nested_cargo, paths};

pub const TARGET: &str = "bpfel-unknown-none";
/// Debug info feeds BTF; `--btf` makes bpf-linker emit it.
pub const RUSTFLAGS: &str = "-C debuginfo=2 -C link-arg=--btf";
/// Name of the probes crate's binary, i.e. of the object file.
pub const OBJECT_NAME: &str = "sonde-probes";

pub const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_BPF_CORE_DIR: &str = "/usr/lib/rustlib/bpfel-unknown-none/lib";
pub const LLVM_PREFIX: &str = "/usr/lib/llvm-22";
pub const NIGHTLY: &str = "nightly";
const ROUTE_VARIABLE: &str = "SONDE_EBPF_ROUTE";

/// Debian packages of the Debian route (bpftool comes along for `sonde check`
/// and for inspecting loaded programs).
pub const DEBIAN_PACKAGES: &[&str] = &[
    "rustc-web",
    "libstd-rust-web-dev-bpf",
    "llvm-22-dev",
    "libpolly-22-dev",
    "zlib1g-dev",
    "libzstd-dev",
    "bpftool",
];
/// What building bpf-linker needs on either route.
pub const LLVM_PACKAGES: &[&str] = &[
    "llvm-22-dev",
    "libpolly-22-dev",
    "zlib1g-dev",
    "libzstd-dev",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Debian,
    Nightly,
}

impl Route {
    pub fn describe(self) -> &'static str {
        match self {
            Route::Debian => {
                "Debian route: /usr/bin/rustc (rustc-web) with its prebuilt core for bpfel-unknown-none"
            }
            Route::Nightly => "nightly route: rustup nightly with rust-src, -Z build-std=core",
        }
    }

    fn parse(value: &str) -> Result<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "debian" => Ok(Route::Debian),
            "nightly" => Ok(Route::Nightly),
            other => bail!("{ROUTE_VARIABLE}={other}: expected `debian` or `nightly`"),
        }
    }
}

/// What this machine has, as far as the kernel build is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    /// The route asked for with `SONDE_EBPF_ROUTE`, if any.
    pub forced: Option<Route>,
    /// `/usr/bin/rustc` exists and a `libcore-*.rlib` for bpfel-unknown-none is installed.
    pub debian_rustc: bool,
    /// `rustup +nightly component list --installed` lists rust-src. Only looked
    /// at when the Debian route is not ready or not wanted.
    pub nightly_rust_src: bool,
    /// LLVM 22 development files, needed to build bpf-linker.
    pub llvm: bool,
    /// bpf-linker, on `PATH` or in cargo's bin directory.
    pub bpf_linker: Option<PathBuf>,
}

impl Probe {
    /// Looks at the machine; cheap (file checks, at most one `rustup` call).
    pub fn detect() -> Result<Self> {
        let forced = match std::env::var(ROUTE_VARIABLE) {
            Ok(value) if !value.trim().is_empty() => Some(Route::parse(&value)?),
            _ => None,
        };
        let debian_rustc =
            Path::new(DEBIAN_RUSTC).is_file() && has_core_rlib(Path::new(DEBIAN_BPF_CORE_DIR));
        let nightly_rust_src = match forced {
            Some(Route::Debian) => false,
            Some(Route::Nightly) => nightly_has_rust_src(),
            None => !debian_rustc && nightly_has_rust_src(),
        };
        Ok(Probe {
            forced,
            debian_rustc,
            nightly_rust_src,
            llvm: Path::new(LLVM_PREFIX).join("bin/llvm-config").is_file(),
            bpf_linker: paths::find_executable("bpf-linker"),
        })
    }
}

fn has_core_rlib(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries
        .flatten()
        .any(|entry| is_core_rlib(&entry.file_name().to_string_lossy()))
}

fn is_core_rlib(file_name: &str) -> bool {
    file_name.starts_with("libcore-") && file_name.ends_with(".rlib")
}

fn nightly_has_rust_src() -> bool {
    let output = Command::new("rustup")
        .args(["+nightly", "component", "list", "--installed"])
        .env("PATH", paths::path_with_cargo_bin())
        .env_remove("RUSTUP_TOOLCHAIN")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => {
            lists_rust_src(&String::from_utf8_lossy(&output.stdout))
        }
        _ => false,
    }
}

/// Whether `rustup component list --installed` output includes rust-src.
fn lists_rust_src(components: &str) -> bool {
    components
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .any(|name| name == "rust-src" || name.starts_with("rust-src-"))
}

/// One thing `cargo xtask setup` has to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `apt-get update`, then `apt-get install -y` these packages.
    AptInstall(Vec<&'static str>),
    /// `rustup component add rust-src --toolchain nightly`.
    AddRustSrc,
    /// Build bpf-linker against LLVM 22 with `cargo install`.
    InstallBpfLinker,
}

/// The route to build with and what is missing for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub route: Route,
    pub steps: Vec<Step>,
}

/// Chooses the route: the forced one; else Debian when it is ready; else nightly
/// when it has rust-src; else Debian, to be installed.
pub fn plan(probe: &Probe) -> Plan {
    let route = probe
        .forced
        .unwrap_or(if probe.debian_rustc || !probe.nightly_rust_src {
            Route::Debian
        } else {
            Route::Nightly
        });
    let mut steps = Vec::new();
    let mut apt_covers_llvm = false;
    match route {
        Route::Debian if !probe.debian_rustc => {
            steps.push(Step::AptInstall(DEBIAN_PACKAGES.to_vec()));
            apt_covers_llvm = true;
        }
        Route::Nightly if !probe.nightly_rust_src => steps.push(Step::AddRustSrc),
        _ => {}
    }
    if probe.bpf_linker.is_none() {
        if !probe.llvm && !apt_covers_llvm {
            steps.push(Step::AptInstall(LLVM_PACKAGES.to_vec()));
        }
        steps.push(Step::InstallBpfLinker);
    }
    Plan { route, steps }
}

/// `cargo install` of a bpf-linker that matches the compilers' LLVM 22.
pub fn bpf_linker_install() -> Command {
    let mut command = nested_cargo::cargo(nested_cargo::Scope::Kernel);
    command.env("LLVM_PREFIX", LLVM_PREFIX).args([
        "install",
        "bpf-linker",
        "--version",
        "~0.13",
        "--locked",
        "--no-default-features",
        "--features",
        "llvm-22",
    ]);
    command
}

/// The command that builds the kernel programs of `probes_crate` into `target_dir`.
pub fn probes_build(route: Route, probes_crate: &Path, target_dir: &Path) -> Command {
    let mut command = nested_cargo::cargo(nested_cargo::Scope::Kernel);
    command
        .current_dir(probes_crate)
        .env("RUSTFLAGS", RUSTFLAGS);
    match route {
        Route::Debian => {
            command
                .env("RUSTC", DEBIAN_RUSTC)
                .env("RUSTC_BOOTSTRAP", "1")
                .arg("build");
        }
        Route::Nightly => {
            command.args([&format!("+{NIGHTLY}"), "build", "-Z", "build-std=core"]);
        }
    }
    command
        .args(["--release", "--target", TARGET, "--target-dir"])
        .arg(target_dir);
    command
}

/// Where [`probes_build`] leaves the object.
pub fn probes_object(target_dir: &Path) -> PathBuf {
    target_dir.join(TARGET).join("release").join(OBJECT_NAME)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    fn ready_debian() -> Probe {
        Probe {
            debian_rustc: true,
            llvm: true,
            bpf_linker: Some("/root/.cargo/bin/bpf-linker".into()),
            ..Probe::default()
        }
    }

    #[test]
    fn a_ready_machine_needs_nothing() {
        assert_eq!(
            plan(&ready_debian()),
            Plan {
                route: Route::Debian,
                steps: vec![]
            }
        );
    }

    #[test]
    fn debian_wins_when_both_routes_are_ready() {
        let probe = Probe {
            nightly_rust_src: true,
            ..ready_debian()
        };
        assert_eq!(plan(&probe).route, Route::Debian);
    }

    #[test]
    fn nightly_with_rust_src_avoids_installing_debian_rustc() {
        let probe = Probe {
            debian_rustc: false,
            nightly_rust_src: true,
            ..ready_debian()
        };
        assert_eq!(
            plan(&probe),
            Plan {
                route: Route::Nightly,
                steps: vec![]
            }
        );
    }

    #[test]
    fn a_fresh_machine_gets_the_debian_route_installed() {
        let plan = plan(&Probe::default());
        assert_eq!(plan.route, Route::Debian);
        assert_eq!(
            plan.steps,
            vec![
                Step::AptInstall(DEBIAN_PACKAGES.to_vec()),
                Step::InstallBpfLinker
            ]
        );
    }

    #[test]
    fn bpf_linker_alone_is_built_when_llvm_is_there() {
        let probe = Probe {
            bpf_linker: None,
            ..ready_debian()
        };
        assert_eq!(plan(&probe).steps, vec![Step::InstallBpfLinker]);
    }

    #[test]
    fn nightly_without_llvm_gets_llvm_for_bpf_linker() {
        let probe = Probe {
            nightly_rust_src: true,
            ..Probe::default()
        };
        let plan = plan(&probe);
        assert_eq!(plan.route, Route::Nightly);
        assert_eq!(
            plan.steps,
            vec![
                Step::AptInstall(LLVM_PACKAGES.to_vec()),
                Step::InstallBpfLinker
            ]
        );
    }

    #[test]
    fn a_forced_route_is_followed() {
        let probe = Probe {
            forced: Some(Route::Nightly),
            ..ready_debian()
        };
        assert_eq!(
            plan(&probe),
            Plan {
                route: Route::Nightly,
                steps: vec![Step::AddRustSrc]
            }
        );
        let probe = Probe {
            forced: Some(Route::Debian),
            debian_rustc: false,
            nightly_rust_src: true,
            ..ready_debian()
        };
        assert_eq!(plan(&probe).route, Route::Debian);
        assert!(Route::parse("Nightly").is_ok());
        assert!(Route::parse("gcc").is_err());
    }

    #[test]
    fn rust_src_is_recognised_in_rustup_output() {
        assert!(lists_rust_src(
            "cargo-x86_64-unknown-linux-gnu\nrust-src\nrustc-x86_64-unknown-linux-gnu\n"
        ));
        assert!(!lists_rust_src(
            "cargo-x86_64-unknown-linux-gnu\nrust-std-x86_64-unknown-linux-gnu\n"
        ));
        assert!(is_core_rlib("libcore-8056e5e5b270ef4d.rlib"));
        assert!(!is_core_rlib("libcore-8056e5e5b270ef4d.rmeta"));
        assert!(!is_core_rlib("libcompiler_builtins-be37794067eb9afa.rlib"));
    }

    fn env_of<'a>(command: &'a Command, name: &str) -> Option<&'a OsStr> {
        command
            .get_envs()
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value)
    }

    #[test]
    fn the_debian_build_uses_debian_rustc_with_btf() {
        let command = probes_build(
            Route::Debian,
            Path::new("/src/ebpf/probes"),
            Path::new("/src/target/ebpf"),
        );
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(
            args,
            [
                "build",
                "--release",
                "--target",
                TARGET,
                "--target-dir",
                "/src/target/ebpf"
            ]
        );
        assert_eq!(
            command.get_current_dir(),
            Some(Path::new("/src/ebpf/probes"))
        );
        assert_eq!(env_of(&command, "RUSTC"), Some(OsStr::new(DEBIAN_RUSTC)));
        assert_eq!(env_of(&command, "RUSTC_BOOTSTRAP"), Some(OsStr::new("1")));
        assert_eq!(env_of(&command, "RUSTFLAGS"), Some(OsStr::new(RUSTFLAGS)));
    }

    #[test]
    fn the_nightly_build_builds_core_itself() {
        let command = probes_build(Route::Nightly, Path::new("/p"), Path::new("/t"));
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args[..4], ["+nightly", "build", "-Z", "build-std=core"]);
        assert_eq!(env_of(&command, "RUSTC"), None);
        assert_eq!(env_of(&command, "RUSTFLAGS"), Some(OsStr::new(RUSTFLAGS)));
        assert_eq!(
            probes_object(Path::new("/t")),
            Path::new("/t/bpfel-unknown-none/release/sonde-probes")
        );
    }
}
