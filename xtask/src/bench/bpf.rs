//! eBPF run-time statistics: `kernel.bpf_stats_enabled` while measuring, and
//! each program's `run_time_ns`/`run_cnt` as `bpftool -j prog show` reports them.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    process::Command,
};

use anyhow::{bail, Context, Result};

use super::json::{self, Value};

const STATS_SYSCTL: &str = "/proc/sys/kernel/bpf_stats_enabled";

/// Turns `kernel.bpf_stats_enabled` on; dropping it (also when an error or a
/// panic unwinds) writes back the value found.
#[derive(Debug)]
pub struct StatsEnabled {
    previous: String,
}

impl StatsEnabled {
    pub fn enable() -> Result<StatsEnabled> {
        let previous = fs::read_to_string(STATS_SYSCTL)
            .with_context(|| format!("cannot read {STATS_SYSCTL}"))?
            .trim()
            .to_owned();
        fs::write(STATS_SYSCTL, "1").with_context(|| format!("cannot write {STATS_SYSCTL}"))?;
        Ok(StatsEnabled { previous })
    }
}

impl Drop for StatsEnabled {
    fn drop(&mut self) {
        if let Err(error) = fs::write(STATS_SYSCTL, &self.previous) {
            eprintln!(
                "xtask: cannot restore kernel.bpf_stats_enabled={}: {error}; \
                 run `sysctl kernel.bpf_stats_enabled={}`",
                self.previous, self.previous
            );
        }
    }
}

/// One loaded program's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prog {
    pub id: u32,
    pub name: String,
    /// Nanoseconds spent in the program while stats were enabled.
    pub run_time_ns: u64,
    /// Runs counted while stats were enabled.
    pub run_cnt: u64,
}

/// Every loaded program, from `bpftool -j prog show`.
pub fn programs() -> Result<Vec<Prog>> {
    let output = Command::new("bpftool")
        .args(["-j", "prog", "show"])
        .output()
        .context("cannot run bpftool (apt-get install -y bpftool)")?;
    if !output.status.success() {
        bail!(
            "bpftool -j prog show failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parse_prog_show(&String::from_utf8_lossy(&output.stdout))
}

/// Parses `bpftool -j prog show`: an array of objects with `id`, `name`, and
/// `run_time_ns`/`run_cnt` when the program has run with stats enabled
/// (bpftool leaves them out otherwise: they count as 0).
pub fn parse_prog_show(text: &str) -> Result<Vec<Prog>> {
    let value = json::parse(text).context("bpftool printed something that is not JSON")?;
    let items = value
        .as_array()
        .context("bpftool -j prog show did not print an array")?;
    items
        .iter()
        .map(|item| {
            let id = item
                .get("id")
                .and_then(Value::as_u64)
                .context("a program without an id")?;
            Ok(Prog {
                id: u32::try_from(id).context("program id out of range")?,
                // Programs loaded without a name have none.
                name: item
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                run_time_ns: item.get("run_time_ns").and_then(Value::as_u64).unwrap_or(0),
                run_cnt: item.get("run_cnt").and_then(Value::as_u64).unwrap_or(0),
            })
        })
        .collect()
}

/// Whether `name` is one of sonde's programs.
pub fn is_sonde(name: &str) -> bool {
    name.starts_with("sonde_")
}

/// sonde programs loaded by someone else than the agent owning `ours`: another
/// agent (a test, an engineer) whose probes tax every process, ours included.
pub fn foreign_sonde(programs: &[Prog], ours: &BTreeSet<u32>) -> Vec<u32> {
    programs
        .iter()
        .filter(|p| is_sonde(&p.name) && !ours.contains(&p.id))
        .map(|p| p.id)
        .collect()
}

/// Time and runs of one program over an interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub run_time_ns: u64,
    pub run_cnt: u64,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.run_time_ns += other.run_time_ns;
        self.run_cnt += other.run_cnt;
    }
}

/// What the programs in `ids` used between two snapshots, by program name
/// (programs absent from `before` count from zero).
pub fn usage_between(
    before: &[Prog],
    after: &[Prog],
    ids: &BTreeSet<u32>,
) -> BTreeMap<String, Usage> {
    let mut by_name: BTreeMap<String, Usage> = BTreeMap::new();
    for prog in after.iter().filter(|p| ids.contains(&p.id)) {
        let start = before.iter().find(|p| p.id == prog.id);
        let usage = Usage {
            run_time_ns: prog
                .run_time_ns
                .saturating_sub(start.map_or(0, |p| p.run_time_ns)),
            run_cnt: prog.run_cnt.saturating_sub(start.map_or(0, |p| p.run_cnt)),
        };
        by_name.entry(prog.name.clone()).or_default().add(usage);
    }
    by_name
}

/// The program id behind a `/proc/PID/fdinfo/FD` of a BPF program fd.
pub fn fdinfo_prog_id(fdinfo: &str) -> Option<u32> {
    fdinfo
        .lines()
        .find_map(|line| line.strip_prefix("prog_id:"))?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from `bpftool -j prog show` on the 6.18 VM, with stats enabled.
    const SHOW: &str = r#"[{"id":6013,"type":"raw_tracepoint","name":"sonde_tcp_state","tag":"6781813261ccc4f4","gpl_compatible":true,"run_time_ns":349234601,"run_cnt":159901,"loaded_at":1795356425,"uid":0,"bytes_xlated":15224,"jited":true,"bytes_jited":9402,"bytes_memlock":16384,"map_ids":[3116,3119],"btf_id":3226},{"id":6016,"type":"raw_tracepoint","name":"sonde_tcp_retrans","tag":"be46adabaf54d8bd","gpl_compatible":true,"loaded_at":1795356425,"uid":0,"bytes_xlated":144,"jited":true,"bytes_jited":97,"bytes_memlock":4096,"map_ids":[3118],"btf_id":3226},{"id":12,"type":"cgroup_skb","tag":"6deef7357e7b4530","gpl_compatible":true,"loaded_at":1795350000,"uid":0,"bytes_xlated":64,"jited":true,"bytes_jited":54,"bytes_memlock":4096}]"#;

    #[test]
    fn reads_bpftool_json() {
        let programs = parse_prog_show(SHOW).unwrap();
        assert_eq!(
            programs,
            [
                Prog {
                    id: 6013,
                    name: "sonde_tcp_state".into(),
                    run_time_ns: 349_234_601,
                    run_cnt: 159_901,
                },
                Prog {
                    id: 6016,
                    name: "sonde_tcp_retrans".into(),
                    run_time_ns: 0,
                    run_cnt: 0,
                },
                Prog {
                    id: 12,
                    name: String::new(),
                    run_time_ns: 0,
                    run_cnt: 0,
                },
            ]
        );
        assert!(parse_prog_show("[]").unwrap().is_empty());
        assert!(parse_prog_show("{}").is_err());
        assert!(parse_prog_show("[{\"name\":\"x\"}]").is_err());
        assert!(parse_prog_show("Error: no BTF").is_err());
    }

    #[test]
    fn usage_is_the_difference_for_our_programs() {
        let prog = |id, name: &str, run_time_ns, run_cnt| Prog {
            id,
            name: name.into(),
            run_time_ns,
            run_cnt,
        };
        let before = [prog(1, "sonde_a", 100, 10), prog(2, "sonde_b", 0, 0)];
        let after = [
            prog(1, "sonde_a", 350, 15),
            prog(2, "sonde_b", 40, 2),
            prog(3, "sonde_a", 1000, 100), // someone else's
            prog(4, "sonde_c", 70, 7),     // ours, loaded in between
        ];
        let ours = BTreeSet::from([1, 2, 4]);
        let usage = usage_between(&before, &after, &ours);
        assert_eq!(
            usage["sonde_a"],
            Usage {
                run_time_ns: 250,
                run_cnt: 5
            }
        );
        assert_eq!(usage["sonde_b"].run_cnt, 2);
        assert_eq!(usage["sonde_c"].run_time_ns, 70);
        assert_eq!(usage.len(), 3);
        assert_eq!(foreign_sonde(&after, &ours), [3]);
    }

    #[test]
    fn fdinfo_names_the_program() {
        let fdinfo = "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\n\
                      prog_type:\t17\nprog_jited:\t1\nprog_tag:\t6781813261ccc4f4\n\
                      memlock:\t16384\nprog_id:\t6013\nrun_time_ns:\t0\nrun_cnt:\t0\n";
        assert_eq!(fdinfo_prog_id(fdinfo), Some(6013));
        assert_eq!(fdinfo_prog_id("pos:\t0\nmap_id:\t3\n"), None);
    }
}
