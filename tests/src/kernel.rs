//! Global kernel state as a user would inspect it: `bpftool` and `/proc`.

use std::{collections::BTreeSet, process::Command};

use serde_json::Value;

/// A loaded BPF program, from `bpftool prog show -j`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BpfProgram {
    pub id: u64,
    /// The kernel's name: at most 15 bytes, so longer names are truncated.
    pub name: String,
    pub kind: String,
    /// Times the kernel skipped the program because another BPF program was
    /// already running on that CPU (its event is lost without a trace).
    pub recursion_misses: u64,
}

/// A BPF link, from `bpftool link show -j`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BpfLink {
    pub id: u64,
    pub prog_id: u64,
    pub kind: String,
}

fn bpftool_json(args: &[&str]) -> Vec<Value> {
    let output = Command::new("bpftool")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run bpftool {args:?} (is it installed?): {e}"));
    assert!(
        output.status.success(),
        "bpftool {args:?} failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    match serde_json::from_str(text.trim()) {
        Ok(Value::Array(items)) => items,
        Ok(Value::Null) => Vec::new(),
        other => panic!("bpftool {args:?} printed something that is not a JSON array: {other:?}"),
    }
}

/// Every BPF program loaded in the kernel.
pub fn bpf_programs() -> Vec<BpfProgram> {
    bpftool_json(&["prog", "show", "-j"])
        .iter()
        .map(|p| BpfProgram {
            id: p["id"]
                .as_u64()
                .unwrap_or_else(|| panic!("program without id: {p}")),
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            kind: p["type"].as_str().unwrap_or_default().to_owned(),
            recursion_misses: p["recursion_misses"].as_u64().unwrap_or_default(),
        })
        .collect()
}

/// Every BPF link in the kernel.
pub fn bpf_links() -> Vec<BpfLink> {
    bpftool_json(&["link", "show", "-j"])
        .iter()
        .map(|l| BpfLink {
            id: l["id"]
                .as_u64()
                .unwrap_or_else(|| panic!("link without id: {l}")),
            prog_id: l["prog_id"].as_u64().unwrap_or_default(),
            kind: l["type"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Programs whose kernel name says they are sonde's.
pub fn sonde_programs() -> Vec<BpfProgram> {
    bpf_programs()
        .into_iter()
        .filter(|p| p.name.starts_with("sonde_"))
        .collect()
}

/// Ids of the BPF programs a process holds open, directly or through a link,
/// from the `prog_id:` lines of /proc/PID/fdinfo/* (empty once it is gone).
pub fn bpf_programs_held_by(pid: u32) -> BTreeSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return BTreeSet::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_to_string(fd.path()).ok())
        .flat_map(|info| {
            info.lines()
                .filter_map(|l| l.strip_prefix("prog_id:"))
                .filter_map(|v| v.trim().parse().ok())
                .collect::<Vec<u64>>()
        })
        .collect()
}

/// Processes that hold BPF program `id` open (scans every /proc/PID/fdinfo).
pub fn holders_of_program(id: u64) -> Vec<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| bpf_programs_held_by(pid).contains(&id))
        .collect()
}

/// A process's resident set size (`VmRSS` in /proc/PID/status), in bytes;
/// `None` once it is gone.
pub fn vm_rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_rss_is_readable() {
        let rss = vm_rss_bytes(std::process::id()).expect("VmRSS of this process");
        assert!(rss > 100 * 1024, "implausible VmRSS {rss}");
        assert_eq!(vm_rss_bytes(u32::MAX), None);
    }
}
