//! `sonde check`: what this kernel and this process allow, and whether
//! `sonde run` can work here. Exit code 0 when it can, 1 when it cannot.

mod hooks;
mod kernel;
mod program_types;
mod report;

use std::{io::Write as _, path::Path, process::ExitCode};

use sonde_common::{
    CaptureConfig, Filter, KernelOffsets, ProbeConfig, SyscallRegs, TracepointFields, CAPTURE_MAX,
};

use crate::{
    cli::CheckArgs,
    privileges::Capabilities,
    probes::{attach::TRACEPOINTS, kernel_offsets, loader, object, tracefs},
};

use self::report::{Availability, CapabilityReport, KernelReport, Report};

pub fn main(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let report = check();
    let text = if args.json {
        report::to_json(&report) + "\n"
    } else {
        report::to_text(&report)
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        // A closed pipe (`sonde check | head`) is the reader's choice.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(anyhow::Error::new(e).context("writing the report"))
        }
        _ => {}
    }
    Ok(if report.can_run {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs every check; never fails, failures are findings.
fn check() -> Report {
    let facts = kernel::gather();
    let caps = Capabilities::current();
    let object = object::probes_object().map_err(|e| e.to_string());
    let probes = program_types::try_program_types(object.clone());
    let (offsets, resolved) = offsets(&facts);
    let hooks = hooks::try_hooks(object.clone(), &run_config(resolved), TRACEPOINTS);
    let hook_findings = hooks::findings(&hooks);

    let mut problems = Vec::new();
    let (effective, missing) = match &caps {
        Ok(caps) => (caps.names(), caps.missing_for_run()),
        Err(e) => {
            problems.push(format!("cannot read this process's capabilities: {e:#}"));
            (Vec::new(), Vec::new())
        }
    };
    if !missing.is_empty() {
        problems.push(format!(
            "missing {}: run sonde as root, or grant CAP_BPF and CAP_PERFMON \
             (`setcap cap_bpf,cap_perfmon+ep` on the binary, or AmbientCapabilities= in its systemd unit)",
            missing.join(" and ")
        ));
    }
    if !facts.btf {
        problems.push(format!(
            "no kernel BTF at {}: use a kernel built with CONFIG_DEBUG_INFO_BTF=y",
            kernel_offsets::VMLINUX_BTF
        ));
    }
    if let Err(e) = &facts.tracefs {
        problems.push(e.clone());
    }
    match (&object, &probes.object) {
        (Err(not_embedded), _) => problems.push(not_embedded.clone()),
        (Ok(_), Err(load)) => problems.push(format!("{load}: {}", privileges_hint(&missing))),
        (Ok(_), Ok(())) => {
            let tracepoint = &probes.program_types[0];
            if !tracepoint.available {
                problems.push(format!(
                    "tracepoint programs cannot be loaded and attached ({}): {}",
                    tracepoint.detail,
                    privileges_hint(&missing)
                ));
            }
            if !probes.ring_buffer.available {
                problems.push(format!(
                    "BPF ring buffers are not available ({}): sonde needs Linux 5.8 or newer",
                    probes.ring_buffer.detail
                ));
            }
        }
    }
    if !offsets.available {
        let hint = if missing.is_empty() {
            ""
        } else {
            " (fix the missing capabilities first)"
        };
        problems.push(format!(
            "cannot resolve tracepoint field or kernel struct offsets: {}{hint}",
            offsets.detail
        ));
    }
    // A load failure common to both objects is reported once, above.
    if let (Err(load), Ok(())) = (&hooks.object, &probes.object) {
        problems.push(format!("{load}: {}", privileges_hint(&missing)));
    }
    problems.extend(hook_findings.problems);

    let (tracefs, tracefs_detail) = match facts.tracefs {
        Ok(t) => (
            Some(t.path.display().to_string()),
            if t.mounted_by_us {
                "mounted by sonde"
            } else {
                ""
            }
            .to_owned(),
        ),
        Err(e) => (None, e),
    };
    Report {
        kernel: KernelReport {
            release: facts.release,
            btf: facts.btf,
            tracefs,
            lockdown: facts.lockdown,
            tracefs_detail,
            unprivileged_bpf_disabled: facts.unprivileged_bpf_disabled,
            bpf_stats_enabled: facts.bpf_stats_enabled,
        },
        capabilities: CapabilityReport { effective, missing },
        program_types: probes.program_types,
        hooks: hooks.hooks,
        ring_buffer: probes.ring_buffer,
        offsets,
        can_run: problems.is_empty(),
        problems,
        warnings: hook_findings.warnings,
    }
}

/// How to fix a load or attach failure, given the capabilities missing.
fn privileges_hint(missing: &[String]) -> &'static str {
    if missing.is_empty() {
        "the kernel needs CONFIG_BPF_EVENTS and CONFIG_FTRACE_SYSCALLS, and no LSM policy denying bpf()"
    } else {
        "fix the missing capabilities first"
    }
}

/// The configuration `sonde run` loads the programs with when given no
/// filter: the verifier sees it as constants, so the hooks are tried with it.
/// Offsets that do not resolve stay zero (a problem reported on its own).
fn run_config(resolved: Option<(TracepointFields, KernelOffsets)>) -> ProbeConfig {
    let filter = Filter {
        agent_tgid: std::process::id(),
        ..Filter::default()
    };
    match resolved {
        Some((fields, kernel)) => ProbeConfig {
            filter,
            fields,
            kernel,
            // Capture on (with a stand-in register offset), so that the
            // verifier checks the capture code as `sonde run` loads it.
            capture: CaptureConfig {
                max_bytes: CAPTURE_MAX as u32,
                _pad: 0,
                regs: SyscallRegs {
                    from_stack: 1,
                    ..SyscallRegs::default()
                },
                syscalls: loader::capture_syscalls(),
            },
        },
        None => ProbeConfig {
            filter,
            ..ProbeConfig::zeroed()
        },
    }
}

/// Whether the offsets `sonde run` hands the programs resolve here, and
/// their values when they do.
fn offsets(
    facts: &kernel::KernelFacts,
) -> (Availability, Option<(TracepointFields, KernelOffsets)>) {
    let tracefs = match &facts.tracefs {
        Ok(t) => t.path.clone(),
        Err(_) => {
            return (
                Availability::no("tracefs is not available".to_owned()),
                None,
            )
        }
    };
    let btf = Path::new(kernel_offsets::VMLINUX_BTF);
    match (
        tracefs::tracepoint_fields(&tracefs),
        kernel_offsets::kernel_offsets(btf),
    ) {
        (Ok(fields), Ok(k)) => (
            Availability::yes(format!(
                "tracepoint fields from {}/events, kernel struct offsets from {} \
                 (e.g. task_struct.tgid at {}, sock.sk_err at {})",
                tracefs.display(),
                btf.display(),
                k.task_tgid,
                k.sock_err
            )),
            Some((fields, k)),
        ),
        (Err(e), _) => (Availability::no(e.to_string()), None),
        (_, Err(e)) => (Availability::no(e.to_string()), None),
    }
}
