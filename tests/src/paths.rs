//! Where the binaries under test and scratch directories are.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

/// The agent binary: `$SONDE_BIN` (set by `cargo xtask test`), else
/// `<workspace>/target/release/sonde`. Panics when it does not exist, so that a
/// missing build fails the tests instead of skipping them.
pub fn sonde_bin() -> PathBuf {
    let path = match std::env::var_os("SONDE_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => workspace_root().join("target/release/sonde"),
    };
    assert!(
        path.is_file(),
        "the sonde agent binary is missing at {} (set SONDE_BIN or run `cargo xtask build`)",
        path.display()
    );
    path
}

/// A fresh, empty directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
