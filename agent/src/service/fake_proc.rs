//! A throwaway /proc tree for tests: the same reading code, chosen processes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use super::proc::ProcFs;

pub struct FakeProc {
    root: PathBuf,
}

impl FakeProc {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "sonde-fake-proc-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&root).unwrap();
        Self { root }
    }

    pub fn proc(&self) -> ProcFs {
        ProcFs::new(&self.root)
    }

    pub fn proc_root(&self) -> PathBuf {
        self.root.clone()
    }

    /// Writes cmdline, environ, stat, comm (the argv[0] basename, cut to 15
    /// bytes as the kernel does) and, if given, the exe link.
    pub fn process(&self, pid: u32, ppid: u32, argv: &[&str], environ: &[u8], exe: Option<&str>) {
        let dir = self.root.join(pid.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let cmdline: Vec<u8> = argv.iter().flat_map(|arg| arg.bytes().chain([0])).collect();
        std::fs::write(dir.join("cmdline"), cmdline).unwrap();
        std::fs::write(dir.join("environ"), environ).unwrap();
        let comm = argv
            .first()
            .map_or("", |arg0| arg0.rsplit('/').next().unwrap_or(arg0));
        let comm = &comm[..comm.len().min(15)];
        std::fs::write(
            dir.join("stat"),
            format!("{pid} ({comm}) S {ppid} {pid} {pid} 0 -1\n"),
        )
        .unwrap();
        self.comm(pid, comm);
        if let Some(exe) = exe {
            std::os::unix::fs::symlink(exe, dir.join("exe")).unwrap();
        }
    }

    pub fn comm(&self, pid: u32, comm: &str) {
        std::fs::write(
            self.root.join(pid.to_string()).join("comm"),
            format!("{comm}\n"),
        )
        .unwrap();
    }

    /// Makes environ fail to read, as it does for another user's process
    /// when the agent is not root (tests run as root, so a mode would not).
    pub fn unreadable_environ(&self, pid: u32) {
        let environ = self.root.join(pid.to_string()).join("environ");
        std::fs::remove_file(&environ).unwrap();
        std::fs::create_dir(&environ).unwrap();
    }
}

impl Drop for FakeProc {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
