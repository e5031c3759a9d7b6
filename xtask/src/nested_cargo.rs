//! Starting cargo from inside `cargo xtask`, without the outer cargo's environment.
//!
//! `cargo run` hands xtask variables describing the xtask package itself
//! (`CARGO_PKG_*`, `CARGO_MANIFEST_DIR`, ...), and the caller may have set
//! toolchain variables (`RUSTUP_TOOLCHAIN`, `RUSTFLAGS`, `CARGO_TARGET_DIR`, ...)
//! meant for host code. A nested build must not see what would confuse it.

use std::{env, process::Command};

use crate::paths;

/// What the nested cargo builds, which decides what it may inherit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Host code (agent, tests): keeps the caller's toolchain and flags, so the
    /// agent and the tests are built alike, but outputs go to `<root>/target`.
    Host,
    /// Kernel programs and build tools: nothing toolchain-related is inherited;
    /// the eBPF toolchain sets what it needs.
    Kernel,
}

/// Variables `cargo run` sets for the program it runs; never meant for a nested cargo.
const CARGO_RUN_VARS: &[&str] = &[
    "CARGO",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_RUSTC_CURRENT_DIR",
    "CARGO_MAKEFLAGS",
    "OUT_DIR",
];
const CARGO_RUN_PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_CFG_", "CARGO_FEATURE_"];

/// Variables that move outputs elsewhere than where xtask looks for them.
const OUTPUT_VARS: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
];

/// Variables choosing the compiler or its flags.
const TOOLCHAIN_VARS: &[&str] = &[
    "RUSTUP_TOOLCHAIN",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_BOOTSTRAP",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
];
const TOOLCHAIN_PREFIXES: &[&str] = &["CARGO_BUILD_", "CARGO_TARGET_", "CARGO_PROFILE_"];

/// Whether a variable of the caller's environment is withheld from a nested cargo.
pub fn is_withheld(name: &str, scope: Scope) -> bool {
    let listed = |names: &[&str], prefixes: &[&str]| {
        names.contains(&name) || prefixes.iter().any(|prefix| name.starts_with(prefix))
    };
    if listed(CARGO_RUN_VARS, CARGO_RUN_PREFIXES) || listed(OUTPUT_VARS, &[]) {
        return true;
    }
    scope == Scope::Kernel && listed(TOOLCHAIN_VARS, TOOLCHAIN_PREFIXES)
}

/// A `cargo` command (the rustup proxy when there is one) with a clean environment
/// and cargo's bin directory first on `PATH`.
pub fn cargo(scope: Scope) -> Command {
    let mut command = Command::new("cargo");
    for (name, _) in env::vars_os() {
        if name.to_str().is_some_and(|name| is_withheld(name, scope)) {
            command.env_remove(&name);
        }
    }
    command.env("PATH", paths::path_with_cargo_bin());
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_run_variables_are_withheld_everywhere() {
        for scope in [Scope::Host, Scope::Kernel] {
            assert!(is_withheld("CARGO_PKG_NAME", scope));
            assert!(is_withheld("CARGO_MANIFEST_DIR", scope));
            assert!(is_withheld("CARGO_TARGET_DIR", scope));
            assert!(!is_withheld("CARGO_HOME", scope));
            assert!(!is_withheld("CARGO_TERM_COLOR", scope));
            assert!(!is_withheld("PATH", scope));
        }
    }

    #[test]
    fn toolchain_variables_are_withheld_from_the_kernel_build_only() {
        for name in [
            "RUSTUP_TOOLCHAIN",
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC_WRAPPER",
        ] {
            assert!(is_withheld(name, Scope::Kernel), "{name}");
            assert!(!is_withheld(name, Scope::Host), "{name}");
        }
        assert!(is_withheld(
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER",
            Scope::Kernel
        ));
        assert!(!is_withheld(
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER",
            Scope::Host
        ));
    }
}
