//! The `sonde check` report and its two renderings: aligned text and one JSON object.

use std::fmt::Write as _;

use serde::Serialize;

/// Everything `sonde check` found. Serializes to the documented JSON shape;
/// fields marked `skip` are shown in the text rendering only.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kernel: KernelReport,
    pub capabilities: CapabilityReport,
    pub program_types: Vec<ProgramType>,
    pub hooks: Vec<HookReport>,
    pub ring_buffer: Availability,
    pub offsets: Availability,
    pub can_run: bool,
    pub problems: Vec<String>,
    /// What `sonde run` goes without here; it still runs.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KernelReport {
    pub release: String,
    pub btf: bool,
    /// Mount point, `None` when tracefs is unavailable.
    pub tracefs: Option<String>,
    pub lockdown: Option<String>,
    /// "mounted by sonde", or why tracefs is unavailable.
    #[serde(skip)]
    pub tracefs_detail: String,
    #[serde(skip)]
    pub unprivileged_bpf_disabled: Option<String>,
    #[serde(skip)]
    pub bpf_stats_enabled: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CapabilityReport {
    pub effective: Vec<String>,
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramType {
    pub name: &'static str,
    pub available: bool,
    pub detail: String,
}

/// A hook `sonde run` attaches a program to, tried for real.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookReport {
    pub program: &'static str,
    /// As `sonde run` names it, e.g. `raw tracepoint inet_sock_set_state`.
    pub hook: String,
    pub available: bool,
    /// What `sonde run` goes without when the hook is not available, `None`
    /// when it cannot run without it. Serialized as `"required": bool`.
    #[serde(rename = "required", serialize_with = "serialize_required")]
    pub without: Option<&'static str>,
    /// "attached", or why not (the error and its causes).
    pub detail: String,
}

fn serialize_required<S: serde::Serializer>(
    without: &Option<&'static str>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_bool(without.is_none())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Availability {
    pub available: bool,
    pub detail: String,
}

impl Availability {
    pub fn yes(detail: String) -> Availability {
        Availability {
            available: true,
            detail,
        }
    }

    pub fn no(detail: String) -> Availability {
        Availability {
            available: false,
            detail,
        }
    }
}

/// Capabilities listed one per line in the text report: the ones sonde uses.
const SHOWN_CAPABILITIES: [&str; 4] = ["CAP_SYS_ADMIN", "CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN"];

/// Width of the name column.
const NAME_WIDTH: usize = 18;

pub fn to_json(report: &Report) -> String {
    serde_json::to_string(report).expect("the report is plain data")
}

pub fn to_text(report: &Report) -> String {
    let mut out = String::new();
    let k = &report.kernel;
    section(&mut out, "kernel");
    row(&mut out, "release", "", &k.release);
    row(
        &mut out,
        "btf",
        yes_no(k.btf),
        if k.btf {
            "/sys/kernel/btf/vmlinux"
        } else {
            "/sys/kernel/btf/vmlinux is missing"
        },
    );
    let tracefs_detail = match &k.tracefs {
        Some(path) if k.tracefs_detail.is_empty() => path.clone(),
        Some(path) => format!("{path} ({})", k.tracefs_detail),
        None => k.tracefs_detail.clone(),
    };
    row(
        &mut out,
        "tracefs",
        yes_no(k.tracefs.is_some()),
        &tracefs_detail,
    );
    row(
        &mut out,
        "lockdown",
        "",
        k.lockdown
            .as_deref()
            .unwrap_or("unknown (/sys/kernel/security/lockdown not readable)"),
    );
    let unprivileged = match &k.unprivileged_bpf_disabled {
        Some(v) => format!("{v}: {}", super::kernel::describe_unprivileged_bpf(v)),
        None => "unknown".to_owned(),
    };
    row(&mut out, "unprivileged_bpf", "", &unprivileged);
    let stats = match k.bpf_stats_enabled.as_deref() {
        Some("0") => "0: off".to_owned(),
        Some(v) => format!("{v}: on (programs' run time is counted)"),
        None => "unknown".to_owned(),
    };
    row(&mut out, "bpf_stats", "", &stats);

    section(&mut out, "capabilities");
    let held = &report.capabilities.effective;
    for cap in SHOWN_CAPABILITIES {
        row(&mut out, cap, yes_no(held.iter().any(|c| c == cap)), "");
    }
    row(&mut out, "effective", "", &summarize_capabilities(held));
    let missing = &report.capabilities.missing;
    row(
        &mut out,
        "missing",
        "",
        &if missing.is_empty() {
            "nothing".to_owned()
        } else {
            missing.join(", ")
        },
    );

    section(&mut out, "program types");
    for p in &report.program_types {
        row(&mut out, p.name, yes_no(p.available), &p.detail);
    }
    section(&mut out, "maps and offsets");
    row(
        &mut out,
        "ring_buffer",
        yes_no(report.ring_buffer.available),
        &report.ring_buffer.detail,
    );
    row(
        &mut out,
        "offsets",
        yes_no(report.offsets.available),
        &report.offsets.detail,
    );
    hooks(&mut out, &report.hooks);

    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    for problem in &report.problems {
        let _ = writeln!(out, "problem: {problem}");
    }
    match (report.problems.as_slice(), report.warnings.len()) {
        ([], 0) => out.push_str("verdict: sonde can run here\n"),
        ([], 1) => out.push_str("verdict: sonde can run here (see the warning above)\n"),
        ([], warnings) => {
            let _ = writeln!(
                out,
                "verdict: sonde can run here (see the {warnings} warnings above)"
            );
        }
        ([only], _) => {
            let _ = writeln!(out, "verdict: sonde cannot run here: {only}");
        }
        ([first, rest @ ..], _) => {
            let _ = writeln!(
                out,
                "verdict: sonde cannot run here: {first} (and {} more problems above)",
                rest.len()
            );
        }
    }
    out
}

/// The `hooks` section: its name column is as wide as the longest hook.
fn hooks(out: &mut String, hooks: &[HookReport]) {
    section(out, "hooks");
    let width = hooks
        .iter()
        .map(|h| h.hook.len())
        .fold(NAME_WIDTH, usize::max);
    for h in hooks {
        let detail = match (h.available, h.without) {
            (true, _) => h.program.to_owned(),
            (false, None) => format!("{}: {}", h.program, h.detail),
            (false, Some(lost)) => format!("{}: {}; without it: {lost}", h.program, h.detail),
        };
        row_of_width(out, width, &h.hook, yes_no(h.available), &detail);
    }
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "{title}");
}

fn row(out: &mut String, name: &str, status: &str, detail: &str) {
    row_of_width(out, NAME_WIDTH, name, status, detail);
}

fn row_of_width(out: &mut String, width: usize, name: &str, status: &str, detail: &str) {
    let line = format!("  {name:<width$} {status:<3}  {detail}");
    let _ = writeln!(out, "{}", line.trim_end());
}

fn yes_no(available: bool) -> &'static str {
    if available {
        "yes"
    } else {
        "no"
    }
}

/// `CAP_BPF, CAP_PERFMON`, or for a nearly full set `all 41 but CAP_SYS_RESOURCE`.
fn summarize_capabilities(held: &[String]) -> String {
    let known: Vec<String> = (0..=40).map(crate::privileges::capability_name).collect();
    let absent: Vec<&str> = known
        .iter()
        .filter(|name| !held.contains(name))
        .map(String::as_str)
        .collect();
    if held.is_empty() {
        "none".to_owned()
    } else if absent.is_empty() {
        format!("all {}", held.len())
    } else if absent.len() < held.len() {
        format!("{} held; all but {}", held.len(), absent.join(", "))
    } else {
        held.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(can_run: bool) -> Report {
        let names = [
            "tracepoint",
            "raw_tracepoint",
            "perf_event",
            "uprobe",
            "kprobe",
            "fentry",
        ];
        Report {
            kernel: KernelReport {
                release: "6.18.44".to_owned(),
                btf: true,
                tracefs: Some("/sys/kernel/tracing".to_owned()),
                lockdown: Some("integrity".to_owned()),
                tracefs_detail: String::new(),
                unprivileged_bpf_disabled: Some("2".to_owned()),
                bpf_stats_enabled: Some("0".to_owned()),
            },
            capabilities: CapabilityReport {
                effective: vec!["CAP_PERFMON".to_owned(), "CAP_BPF".to_owned()],
                missing: vec![],
            },
            program_types: names
                .iter()
                .map(|name| ProgramType {
                    name,
                    available: !matches!(*name, "kprobe" | "fentry"),
                    detail: "attached".to_owned(),
                })
                .collect(),
            hooks: vec![
                HookReport {
                    program: "sonde_tcp_state",
                    hook: "raw tracepoint inet_sock_set_state".to_owned(),
                    available: true,
                    without: None,
                    detail: "attached".to_owned(),
                },
                HookReport {
                    program: "sonde_sock_send",
                    hook: "raw tracepoint sock_send_length".to_owned(),
                    available: false,
                    without: Some("connections report 0 bytes"),
                    detail: "`bpf_raw_tracepoint_open` failed".to_owned(),
                },
                HookReport {
                    program: "sonde_proc_exec",
                    hook: "tracepoint sched:sched_process_exec".to_owned(),
                    available: false,
                    without: None,
                    detail:
                        "`/sys/kernel/tracing/events/sched/sched_process_exec/id`: No such file"
                            .to_owned(),
                },
            ],
            ring_buffer: Availability::yes("EVENTS ring buffer created".to_owned()),
            offsets: Availability::yes("resolved".to_owned()),
            can_run,
            problems: if can_run {
                vec![]
            } else {
                vec!["first problem".to_owned(), "second problem".to_owned()]
            },
            warnings: vec![],
        }
    }

    #[test]
    fn json_has_exactly_the_documented_shape() {
        let value: serde_json::Value = serde_json::from_str(&to_json(&sample(true))).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(
            keys(&value),
            [
                "can_run",
                "capabilities",
                "hooks",
                "kernel",
                "offsets",
                "problems",
                "program_types",
                "ring_buffer"
            ]
        );
        assert_eq!(
            keys(&value["kernel"]),
            ["btf", "lockdown", "release", "tracefs"]
        );
        assert_eq!(keys(&value["capabilities"]), ["effective", "missing"]);
        assert_eq!(
            keys(&value["program_types"][0]),
            ["available", "detail", "name"]
        );
        assert_eq!(
            keys(&value["hooks"][0]),
            ["available", "detail", "hook", "program", "required"]
        );
        assert_eq!(
            value["hooks"][0],
            serde_json::json!({
                "program": "sonde_tcp_state",
                "hook": "raw tracepoint inet_sock_set_state",
                "available": true,
                "required": true,
                "detail": "attached",
            })
        );
        assert_eq!(value["hooks"][1]["required"], false);
        assert_eq!(keys(&value["ring_buffer"]), ["available", "detail"]);
        assert_eq!(keys(&value["offsets"]), ["available", "detail"]);
        assert_eq!(value["program_types"][5]["name"], "fentry");
        assert_eq!(value["kernel"]["lockdown"], "integrity");
        assert_eq!(value["can_run"], true);

        let mut unknown = sample(true);
        unknown.kernel.lockdown = None;
        unknown.kernel.tracefs = None;
        let value: serde_json::Value = serde_json::from_str(&to_json(&unknown)).unwrap();
        assert!(value["kernel"]["lockdown"].is_null() && value["kernel"]["tracefs"].is_null());
    }

    #[test]
    fn text_is_aligned_and_ends_with_the_verdict() {
        let text = to_text(&sample(true));
        assert!(text.ends_with("verdict: sonde can run here\n"), "{text}");
        assert!(
            text.contains("\n  tracepoint         yes  attached\n"),
            "{text}"
        );
        assert!(
            text.contains("\n  kprobe             no   attached\n"),
            "{text}"
        );
        assert!(text.contains("CAP_PERFMON, CAP_BPF\n"), "{text}");
        // Every detail of a section starts in the same column; the hooks'
        // names are wider than the rest.
        let (rest, hooks) = text.split_once("\nhooks\n").unwrap();
        let hook_width = "tracepoint sched:sched_process_exec".len();
        for (lines, width) in [(rest, NAME_WIDTH), (hooks, hook_width)] {
            let column = 2 + width + 1 + 3 + 2;
            for line in lines
                .lines()
                .filter(|l| l.starts_with("  ") && l.len() > column)
            {
                assert!(line[..column].ends_with("  "), "{line:?}");
                assert_ne!(line.as_bytes()[column], b' ', "{line:?}");
            }
        }

        let text = to_text(&sample(false));
        assert!(text.contains("problem: second problem\n"));
        assert!(text
            .lines()
            .last()
            .unwrap()
            .starts_with("verdict: sonde cannot run here: first problem"));
    }

    #[test]
    fn hooks_show_their_program_or_why_not_and_what_is_lost() {
        let text = to_text(&sample(true));
        let hooks: Vec<&str> = text
            .split_once("\nhooks\n")
            .unwrap()
            .1
            .lines()
            .take_while(|l| l.starts_with("  "))
            .collect();
        assert_eq!(
            hooks,
            [
                "  raw tracepoint inet_sock_set_state  yes  sonde_tcp_state",
                "  raw tracepoint sock_send_length     no   sonde_sock_send: \
                 `bpf_raw_tracepoint_open` failed; without it: connections report 0 bytes",
                "  tracepoint sched:sched_process_exec no   sonde_proc_exec: \
                 `/sys/kernel/tracing/events/sched/sched_process_exec/id`: No such file",
            ]
        );
    }

    #[test]
    fn warnings_precede_problems_and_do_not_change_the_verdict() {
        let mut report = sample(true);
        report.warnings = vec!["raw tracepoint sock_send_length is not available".to_owned()];
        let text = to_text(&report);
        assert!(
            text.ends_with(
                "\nwarning: raw tracepoint sock_send_length is not available\n\
                 verdict: sonde can run here (see the warning above)\n"
            ),
            "{text}"
        );
        report.warnings.push("another".to_owned());
        assert!(to_text(&report).ends_with("(see the 2 warnings above)\n"));
        // Warnings are for people: the JSON keeps its shape.
        assert!(!to_json(&report).contains("warning"));

        let mut report = sample(false);
        report.warnings = vec!["lost".to_owned()];
        let text = to_text(&report);
        assert!(
            text.contains("warning: lost\nproblem: first problem\n"),
            "{text}"
        );
        assert!(text
            .lines()
            .last()
            .unwrap()
            .starts_with("verdict: sonde cannot run here: first problem"));
    }

    #[test]
    fn nearly_full_capability_sets_are_summarized() {
        let all: Vec<String> = (0..=40).map(crate::privileges::capability_name).collect();
        assert_eq!(summarize_capabilities(&all), "all 41");
        let but_one: Vec<String> = all
            .iter()
            .filter(|c| *c != "CAP_SYS_RESOURCE")
            .cloned()
            .collect();
        assert_eq!(
            summarize_capabilities(&but_one),
            "40 held; all but CAP_SYS_RESOURCE"
        );
        assert_eq!(summarize_capabilities(&[]), "none");
    }
}
