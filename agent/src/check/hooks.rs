//! Whether this kernel has every hook `sonde run` attaches to, and accepts
//! the program `sonde run` puts there: each entry of
//! [`TRACEPOINTS`](crate::probes::attach::TRACEPOINTS) is loaded and attached
//! for real, then everything is detached.

use aya::EbpfLoader;
use sonde_common::ProbeConfig;

use crate::probes::attach::{self, Attachment};

use super::{
    program_types::{chain, one_line},
    report::HookReport,
};

/// How much of a long error is kept: its start (what failed) and its end (a
/// verifier log ends with the reason for the refusal).
const DETAIL_HEAD: usize = 120;
const DETAIL_TAIL: usize = 280;

/// What loading the object and attaching its programs showed.
pub struct HookResults {
    /// `Err` when the object itself could not be loaded: no hook was tried.
    pub object: Result<(), String>,
    /// One per attachment, in their order.
    pub hooks: Vec<HookReport>,
}

/// What the hooks mean for the verdict.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// Required hooks that failed: `sonde run` would stop on them.
    pub problems: Vec<String>,
    /// Optional hooks that failed, and what `sonde run` goes without.
    pub warnings: Vec<String>,
}

/// Loads `object` (the probes ELF, or why there is none) with `config` the
/// way `sonde run` does, and attaches every program of `attachments`;
/// everything is detached before this returns.
pub fn try_hooks(
    object: Result<&[u8], String>,
    config: &ProbeConfig,
    attachments: &[Attachment],
) -> HookResults {
    let loaded = object.and_then(|bytes| {
        // No CO-RE relocations in the object, as in `probes::loader`.
        EbpfLoader::new()
            .btf(None)
            .set_global("CONFIG", config, true)
            .load(bytes)
            .map_err(|e| one_line(&format!("loading the probes object failed: {}", chain(&e))))
    });
    let mut ebpf = match loaded {
        Ok(ebpf) => ebpf,
        Err(reason) => {
            return HookResults {
                hooks: attachments
                    .iter()
                    .map(|a| report(a, Err(format!("not tried: {reason}"))))
                    .collect(),
                object: Err(reason),
            }
        }
    };
    let hooks = attachments
        .iter()
        .map(|a| {
            let outcome = attach::attach_one(&mut ebpf, a).map_err(|e| head_and_tail(&chain(&*e)));
            report(a, outcome)
        })
        .collect();
    drop(ebpf); // Detaches and unloads every program, frees the maps.
    HookResults {
        object: Ok(()),
        hooks,
    }
}

fn report(attachment: &Attachment, outcome: Result<(), String>) -> HookReport {
    HookReport {
        program: attachment.program,
        hook: attachment.hook.to_string(),
        available: outcome.is_ok(),
        without: attachment.optional,
        detail: outcome.err().unwrap_or_else(|| "attached".to_owned()),
    }
}

/// A problem per required hook that failed, a warning per optional one.
/// Hooks not tried add nothing: why the object did not load is the problem.
pub fn findings(results: &HookResults) -> Findings {
    let mut findings = Findings::default();
    if results.object.is_err() {
        return findings;
    }
    for hook in results.hooks.iter().filter(|h| !h.available) {
        match hook.without {
            None => findings.problems.push(format!(
                "cannot attach {} to {}: {}",
                hook.program, hook.hook, hook.detail
            )),
            Some(lost) => findings
                .warnings
                .push(format!("{} is not available: {lost}", hook.hook)),
        }
    }
    findings
}

/// Collapses whitespace (verifier logs are multi-line) and, when long, keeps
/// the start and the end.
fn head_and_tail(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() <= DETAIL_HEAD + DETAIL_TAIL {
        return line;
    }
    let mut head = DETAIL_HEAD;
    while !line.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = line.len() - DETAIL_TAIL;
    while !line.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{} … {}", &line[..head], &line[tail..])
}

#[cfg(test)]
mod tests {
    use crate::probes::attach::{Hook, TRACEPOINTS};

    use super::*;

    fn hook(program: &'static str, available: bool, without: Option<&'static str>) -> HookReport {
        HookReport {
            program,
            hook: format!("raw tracepoint {program}_tp"),
            available,
            without,
            detail: if available { "attached" } else { "ENOENT" }.to_owned(),
        }
    }

    #[test]
    fn failed_required_hooks_are_problems_and_optional_ones_warnings() {
        let results = HookResults {
            object: Ok(()),
            hooks: vec![
                hook("a", true, None),
                hook("b", false, None),
                hook("c", true, Some("lost c")),
                hook("d", false, Some("lost d")),
            ],
        };
        assert_eq!(
            findings(&results),
            Findings {
                problems: vec!["cannot attach b to raw tracepoint b_tp: ENOENT".to_owned()],
                warnings: vec!["raw tracepoint d_tp is not available: lost d".to_owned()],
            }
        );
    }

    #[test]
    fn when_every_hook_is_there_there_is_nothing_to_say() {
        let results = HookResults {
            object: Ok(()),
            hooks: vec![hook("a", true, None), hook("b", true, Some("lost b"))],
        };
        assert_eq!(findings(&results), Findings::default());
    }

    #[test]
    fn without_an_object_nothing_is_tried_nor_blamed_on_the_hooks() {
        let results = try_hooks(
            Err("no object".to_owned()),
            &ProbeConfig::zeroed(),
            TRACEPOINTS,
        );
        assert_eq!(results.object, Err("no object".to_owned()));
        assert_eq!(results.hooks.len(), TRACEPOINTS.len());
        for (report, attachment) in results.hooks.iter().zip(TRACEPOINTS) {
            assert_eq!(report.program, attachment.program);
            assert_eq!(report.hook, attachment.hook.to_string());
            assert_eq!(report.without, attachment.optional);
            assert!(!report.available);
            assert_eq!(report.detail, "not tried: no object");
        }
        assert_eq!(findings(&results), Findings::default());

        let garbage = try_hooks(Ok(b"not an ELF file"), &ProbeConfig::zeroed(), TRACEPOINTS);
        assert!(garbage
            .object
            .unwrap_err()
            .starts_with("loading the probes object failed"));
    }

    #[test]
    fn long_details_keep_their_start_and_their_end() {
        assert_eq!(
            head_and_tail("load:\n  refused\t(os error 13)"),
            "load: refused (os error 13)"
        );
        let log = format!(
            "the BPF_PROG_LOAD syscall failed. Verifier output: {}R2 invalid mem access 'scalar'\nprocessed 9 insns",
            "0: (bf) r6 = r1 ; é\n".repeat(200)
        );
        let detail = head_and_tail(&log);
        assert!(
            detail.len() <= DETAIL_HEAD + " … ".len() + DETAIL_TAIL,
            "{detail}"
        );
        assert!(detail.starts_with("the BPF_PROG_LOAD syscall failed. Verifier output: 0: (bf)"));
        assert!(detail.contains(" … "), "{detail}");
        assert!(detail.ends_with("R2 invalid mem access 'scalar' processed 9 insns"));
    }

    /// Kernel test: runs only with the probes embedded and enough privileges.
    #[test]
    fn every_hook_of_sonde_run_attaches_and_a_missing_one_says_why() {
        let Ok(object) = crate::probes::object::probes_object() else {
            return;
        };
        if !crate::privileges::Capabilities::current().is_ok_and(|c| c.can_run()) {
            return;
        }
        // A raw tracepoint program none of TRACEPOINTS has loaded already.
        let missing = Attachment {
            program: "sonde_chk_rawtp",
            hook: Hook::RawTracepoint {
                name: "sonde_no_such_tracepoint",
            },
            optional: None,
        };
        let not_in_object = Attachment {
            program: "sonde_no_such_program",
            ..TRACEPOINTS[0]
        };
        let mut attachments = TRACEPOINTS.to_vec();
        attachments.extend([missing, not_in_object]);
        // Zero offsets: the programs read at offset 0, which the verifier accepts.
        let results = try_hooks(Ok(object), &ProbeConfig::zeroed(), &attachments);
        assert_eq!(results.object, Ok(()));
        let (known, bogus) = results.hooks.split_at(TRACEPOINTS.len());
        for hook in known {
            assert!(hook.available, "{}: {}", hook.hook, hook.detail);
        }
        assert!(!bogus[0].available);
        assert!(
            bogus[0].detail.contains("No such file or directory"),
            "{}",
            bogus[0].detail
        );
        assert_eq!(bogus[1].detail, "program missing from the object");
        assert_eq!(findings(&results).problems.len(), 2);
    }
}
