//! Facts about the running kernel that decide whether probes can work.

use std::{fs, path::Path};

use crate::probes::{
    kernel_offsets::VMLINUX_BTF,
    tracefs::{self, Tracefs},
};

const LOCKDOWN: &str = "/sys/kernel/security/lockdown";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelFacts {
    /// `uname -r`.
    pub release: String,
    pub btf: bool,
    /// Where tracefs is (mounting it when needed), or why it is not available.
    pub tracefs: Result<Tracefs, String>,
    /// The active lockdown mode, when /sys/kernel/security/lockdown is readable.
    pub lockdown: Option<String>,
    /// Raw values of the sysctls; `None` when unreadable.
    pub unprivileged_bpf_disabled: Option<String>,
    pub bpf_stats_enabled: Option<String>,
}

/// Looks at the running kernel; mounts tracefs if it is mounted nowhere.
pub fn gather() -> KernelFacts {
    KernelFacts {
        release: release(),
        btf: Path::new(VMLINUX_BTF).is_file(),
        tracefs: tracefs::ensure_tracefs().map_err(|e| e.to_string()),
        lockdown: fs::read_to_string(LOCKDOWN)
            .ok()
            .and_then(|text| active_lockdown(&text)),
        unprivileged_bpf_disabled: sysctl("kernel/unprivileged_bpf_disabled"),
        bpf_stats_enabled: sysctl("kernel/bpf_stats_enabled"),
    }
}

fn release() -> String {
    // SAFETY: utsname is plain old data; uname fills it with NUL-terminated strings.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is a valid, writable utsname.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return "unknown".to_owned();
    }
    let bytes: Vec<u8> = uts
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn sysctl(name: &str) -> Option<String> {
    fs::read_to_string(Path::new("/proc/sys").join(name))
        .ok()
        .map(|value| value.trim().to_owned())
}

/// The bracketed mode of `none [integrity] confidentiality`.
pub fn active_lockdown(text: &str) -> Option<String> {
    text.split_whitespace()
        .find_map(|word| word.strip_prefix('[')?.strip_suffix(']'))
        .map(str::to_owned)
}

/// What a value of `kernel.unprivileged_bpf_disabled` means.
pub fn describe_unprivileged_bpf(value: &str) -> &'static str {
    match value {
        "0" => "unprivileged users may load BPF programs",
        "1" => "unprivileged BPF disabled until reboot",
        "2" => "unprivileged BPF disabled (root may re-enable)",
        _ => "unknown value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_bracketed_lockdown_mode() {
        assert_eq!(
            active_lockdown("none [integrity] confidentiality\n").as_deref(),
            Some("integrity")
        );
        assert_eq!(
            active_lockdown("[none] integrity confidentiality").as_deref(),
            Some("none")
        );
        assert_eq!(active_lockdown("garbage"), None);
        assert_eq!(active_lockdown(""), None);
    }

    #[test]
    fn gathers_without_panicking() {
        let facts = gather();
        assert!(!facts.release.is_empty());
    }
}
