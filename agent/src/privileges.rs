//! Privileges `sonde run` needs: root, or CAP_BPF and CAP_PERFMON.

use std::fmt;

pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_PERFMON: u32 = 38;
pub const CAP_BPF: u32 = 39;

/// Names of capability bits, from include/uapi/linux/capability.h.
const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The name of capability `bit` (`CAP_BPF`), or `cap_<bit>` for bits newer than this table.
pub fn capability_name(bit: u32) -> String {
    NAMES
        .get(bit as usize)
        .map_or_else(|| format!("cap_{bit}"), |name| (*name).to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapabilitiesError {
    #[error("no CapEff line in /proc/self/status")]
    NoCapEff,
    #[error("bad capability mask `{0}`")]
    BadMask(String),
}

/// A capability set, as the `CapEff:` mask of /proc/PID/status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities(u64);

impl Capabilities {
    /// Parses a hexadecimal mask such as `000001fffeffffff`.
    pub fn from_hex(mask: &str) -> Result<Capabilities, CapabilitiesError> {
        let mask = mask.trim();
        if mask.is_empty() || mask.len() > 16 {
            return Err(CapabilitiesError::BadMask(mask.to_owned()));
        }
        u64::from_str_radix(mask, 16)
            .map(Capabilities)
            .map_err(|_| CapabilitiesError::BadMask(mask.to_owned()))
    }

    /// The effective set from the text of /proc/PID/status.
    pub fn effective_from_status(status: &str) -> Result<Capabilities, CapabilitiesError> {
        let mask = status
            .lines()
            .find_map(|line| line.strip_prefix("CapEff:"))
            .ok_or(CapabilitiesError::NoCapEff)?;
        Capabilities::from_hex(mask)
    }

    /// The effective set of this process.
    pub fn current() -> anyhow::Result<Capabilities> {
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|e| anyhow::anyhow!("cannot read /proc/self/status: {e}"))?;
        Ok(Capabilities::effective_from_status(&status)?)
    }

    pub fn has(self, bit: u32) -> bool {
        bit < 64 && self.0 & (1 << bit) != 0
    }

    /// Names of the capabilities held, in bit order.
    pub fn names(self) -> Vec<String> {
        (0..64)
            .filter(|&bit| self.has(bit))
            .map(capability_name)
            .collect()
    }

    /// Whether this set can load and attach sonde's probes.
    pub fn can_run(self) -> bool {
        self.missing_for_run().is_empty()
    }

    /// What must be granted for `sonde run` to work: nothing with
    /// CAP_SYS_ADMIN, else whichever of CAP_BPF and CAP_PERFMON is absent.
    pub fn missing_for_run(self) -> Vec<String> {
        if self.has(CAP_SYS_ADMIN) {
            return Vec::new();
        }
        [CAP_BPF, CAP_PERFMON]
            .into_iter()
            .filter(|&bit| !self.has(bit))
            .map(capability_name)
            .collect()
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Fails with a one-line explanation when this process cannot load and attach probes.
pub fn require_run_privileges() -> anyhow::Result<()> {
    let caps = Capabilities::current()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    match run_privileges_problem(caps, uid) {
        None => Ok(()),
        Some(problem) => anyhow::bail!(problem),
    }
}

/// The one-line refusal for `caps`, or `None` when they suffice.
pub fn run_privileges_problem(caps: Capabilities, uid: u32) -> Option<String> {
    if caps.can_run() {
        return None;
    }
    let has = |bit| caps.has(bit);
    let held = match (has(CAP_BPF), has(CAP_PERFMON)) {
        (true, false) => "has CAP_BPF but not CAP_PERFMON",
        (false, true) => "has CAP_PERFMON but not CAP_BPF",
        _ => "has neither",
    };
    Some(format!(
        "sonde run needs root, or CAP_BPF and CAP_PERFMON: this process (uid {uid}) {held}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tcat\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\n\
                          CapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\n\
                          CapBnd:\t000001fffeffffff\n";

    #[test]
    fn parses_the_effective_mask() {
        let caps = Capabilities::effective_from_status(STATUS).unwrap();
        assert!(caps.has(CAP_SYS_ADMIN) && caps.has(CAP_BPF) && caps.has(CAP_PERFMON));
        assert!(!caps.has(24), "CAP_SYS_RESOURCE is cleared in this mask");
        let names = caps.names();
        assert_eq!(names.len(), 40);
        assert_eq!(names[0], "CAP_CHOWN");
        assert!(!names.contains(&"CAP_SYS_RESOURCE".to_owned()));
        assert_eq!(names.last().unwrap(), "CAP_CHECKPOINT_RESTORE");
        assert!(caps.can_run());
        assert_eq!(caps.to_string(), "000001fffeffffff");
    }

    #[test]
    fn unknown_bits_get_a_name() {
        let caps = Capabilities::from_hex("0000020000000000").unwrap();
        assert_eq!(caps.names(), ["cap_41"]);
        assert!(!caps.has(64));
    }

    #[test]
    fn bpf_and_perfmon_suffice_without_sys_admin() {
        let both = Capabilities::from_hex(&format!("{:x}", (1u64 << CAP_BPF) | (1 << CAP_PERFMON)))
            .unwrap();
        assert_eq!(both.names(), ["CAP_PERFMON", "CAP_BPF"]);
        assert!(both.can_run());
        assert_eq!(run_privileges_problem(both, 1000), None);

        let bpf_only = Capabilities::from_hex("8000000000").unwrap();
        assert_eq!(bpf_only.missing_for_run(), ["CAP_PERFMON"]);
        assert_eq!(
            run_privileges_problem(bpf_only, 1000).unwrap(),
            "sonde run needs root, or CAP_BPF and CAP_PERFMON: this process (uid 1000) has CAP_BPF but not CAP_PERFMON"
        );
    }

    #[test]
    fn nobody_is_refused_in_one_line() {
        let none = Capabilities::from_hex("0000000000000000").unwrap();
        assert!(none.names().is_empty());
        assert_eq!(none.missing_for_run(), ["CAP_BPF", "CAP_PERFMON"]);
        let problem = run_privileges_problem(none, 65534).unwrap();
        assert_eq!(
            problem,
            "sonde run needs root, or CAP_BPF and CAP_PERFMON: this process (uid 65534) has neither"
        );
        assert!(!problem.contains('\n'));
    }

    #[test]
    fn garbage_masks_are_errors() {
        for mask in ["", "xyz", "-1", "00000000000000000", "0x1f", "1 2"] {
            assert!(Capabilities::from_hex(mask).is_err(), "accepted {mask:?}");
        }
        assert_eq!(
            Capabilities::effective_from_status("Name:\tx\n"),
            Err(CapabilitiesError::NoCapEff)
        );
    }
}
