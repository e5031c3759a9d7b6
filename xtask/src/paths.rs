//! Where things are: the checkout, build outputs, and cargo's bin directory.

use std::{
    env,
    ffi::OsString,
    path::{Path, PathBuf},
};

/// Root of the checkout (the workspace directory holding `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The kernel programs' crate; it builds on its own, outside the workspace.
pub fn probes_crate() -> PathBuf {
    workspace_root().join("ebpf/probes")
}

/// Target directory of the kernel build, kept apart from the host build's.
pub fn ebpf_target_dir() -> PathBuf {
    workspace_root().join("target/ebpf")
}

/// Cargo profile of a host build and the directory its outputs land in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Release,
    Debug,
}

impl Profile {
    pub fn dir_name(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }
}

/// The `sonde` binary built by `cargo xtask build`.
pub fn agent_binary(profile: Profile) -> PathBuf {
    workspace_root()
        .join("target")
        .join(profile.dir_name())
        .join("sonde")
}

/// `$CARGO_HOME/bin` (default `~/.cargo/bin`): where `cargo install` puts bpf-linker.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    let home = match env::var_os("CARGO_HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home),
        _ => PathBuf::from(env::var_os("HOME")?).join(".cargo"),
    };
    Some(home.join("bin"))
}

/// `PATH` with cargo's bin directory first, so nested builds find bpf-linker
/// and the rustup proxies even when the caller's `PATH` lacks them.
pub fn path_with_cargo_bin() -> OsString {
    let current = env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = env::split_paths(&current).collect();
    if let Some(bin) = cargo_bin_dir() {
        dirs.retain(|dir| dir != &bin);
        dirs.insert(0, bin);
    }
    env::join_paths(dirs).unwrap_or(current)
}

/// Finds an executable by name on `PATH` extended with cargo's bin directory.
pub fn find_executable(name: &str) -> Option<PathBuf> {
    env::split_paths(&path_with_cargo_bin())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_live_under_the_workspace_target_dir() {
        let root = workspace_root();
        assert!(root.join("xtask/Cargo.toml").is_file());
        assert_eq!(
            agent_binary(Profile::Release),
            root.join("target/release/sonde")
        );
        assert_eq!(
            agent_binary(Profile::Debug),
            root.join("target/debug/sonde")
        );
        assert_eq!(ebpf_target_dir(), root.join("target/ebpf"));
    }

    #[test]
    fn cargo_bin_comes_first_on_the_path() {
        if let Some(bin) = cargo_bin_dir() {
            let path = path_with_cargo_bin();
            assert_eq!(env::split_paths(&path).next(), Some(bin));
        }
    }
}
