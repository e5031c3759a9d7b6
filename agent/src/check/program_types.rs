//! Which program types this kernel and this process allow, found by loading
//! and attaching the `sonde_chk_*` programs of the embedded object for real.

use std::path::{Path, PathBuf};

use anyhow::Context;
use aya::{
    maps::RingBuf,
    programs::{
        perf_event::{
            perf_sw_ids::PERF_COUNT_SW_CPU_CLOCK, PerfEventScope, PerfTypeId, SamplePolicy,
        },
        FEntry, KProbe, PerfEvent, RawTracePoint, TracePoint, UProbe,
    },
    Btf, Ebpf, EbpfLoader,
};

use super::report::{Availability, ProgramType};

/// Longest detail kept from an error (verifier logs can be megabytes).
const MAX_DETAIL: usize = 400;

/// The function the uprobe check attaches to, in this very binary.
#[no_mangle]
#[inline(never)]
pub extern "C" fn sonde_check_uprobe_target() {
    std::hint::black_box(());
}

/// What loading the object and its check programs showed.
pub struct ProbeResults {
    /// `Err` when the object itself could not be loaded (maps created).
    pub object: Result<(), String>,
    /// In the order tracepoint, raw_tracepoint, perf_event, uprobe, kprobe, fentry.
    pub program_types: Vec<ProgramType>,
    pub ring_buffer: Availability,
}

type Attempt = fn(&mut Ebpf) -> anyhow::Result<String>;

const ATTEMPTS: [(&str, Attempt); 6] = [
    ("tracepoint", tracepoint),
    ("raw_tracepoint", raw_tracepoint),
    ("perf_event", perf_event),
    ("uprobe", uprobe),
    ("kprobe", kprobe),
    ("fentry", fentry),
];

/// Loads `object` (the probes ELF, or why there is none) and tries every
/// check program; everything attached is detached before this returns.
pub fn try_program_types(object: Result<&[u8], String>) -> ProbeResults {
    let loaded = object.and_then(|bytes| {
        EbpfLoader::new()
            .load(bytes)
            .map_err(|e| one_line(&format!("loading the probes object failed: {}", chain(&e))))
    });
    let mut ebpf = match loaded {
        Ok(ebpf) => ebpf,
        Err(reason) => {
            let not_tried = |name| ProgramType {
                name,
                available: false,
                detail: format!("not tried: {reason}"),
            };
            return ProbeResults {
                program_types: ATTEMPTS.iter().map(|(name, _)| not_tried(*name)).collect(),
                ring_buffer: Availability::no(format!("not tried: {reason}")),
                object: Err(reason),
            };
        }
    };
    let ring_buffer = ring_buffer(&ebpf);
    let program_types = ATTEMPTS
        .iter()
        .map(|(name, attempt)| {
            let outcome = attempt(&mut ebpf);
            ProgramType {
                name,
                available: outcome.is_ok(),
                detail: match outcome {
                    Ok(detail) => detail,
                    Err(e) => one_line(&chain(e.as_ref())),
                },
            }
        })
        .collect();
    drop(ebpf); // Unloads the programs and frees the maps.
    ProbeResults {
        object: Ok(()),
        program_types,
        ring_buffer,
    }
}

fn ring_buffer(ebpf: &Ebpf) -> Availability {
    let Some(map) = ebpf.map("EVENTS") else {
        return Availability::no("the probes object has no EVENTS map".to_owned());
    };
    match RingBuf::try_from(map) {
        Ok(_) => {
            let size = match map {
                aya::maps::Map::RingBuf(data) => data.info().ok().map(|i| i.max_entries()),
                _ => None,
            };
            Availability::yes(match size {
                Some(bytes) => format!("EVENTS ring buffer created ({} KiB)", bytes / 1024),
                None => "EVENTS ring buffer created".to_owned(),
            })
        }
        Err(e) => Availability::no(one_line(&format!("EVENTS is not a ring buffer: {e}"))),
    }
}

/// `name` as a mutable program of type `T`.
fn program<'a, T>(ebpf: &'a mut Ebpf, name: &str) -> anyhow::Result<&'a mut T>
where
    &'a mut T: TryFrom<&'a mut aya::programs::Program, Error = aya::programs::ProgramError>,
{
    let program = ebpf
        .program_mut(name)
        .with_context(|| format!("the probes object has no program {name}"))?;
    program
        .try_into()
        .with_context(|| format!("{name} has an unexpected program type"))
}

fn tracepoint(ebpf: &mut Ebpf) -> anyhow::Result<String> {
    let p: &mut TracePoint = program(ebpf, "sonde_chk_tp")?;
    p.load().context("load")?;
    let link = p
        .attach("syscalls", "sys_enter_getppid")
        .context("attach to syscalls/sys_enter_getppid")?;
    p.detach(link)?;
    Ok("attached to syscalls/sys_enter_getppid".to_owned())
}

fn raw_tracepoint(ebpf: &mut Ebpf) -> anyhow::Result<String> {
    let p: &mut RawTracePoint = program(ebpf, "sonde_chk_rawtp")?;
    p.load().context("load")?;
    let link = p.attach("sched_switch").context("attach to sched_switch")?;
    p.detach(link)?;
    Ok("attached to sched_switch".to_owned())
}

fn perf_event(ebpf: &mut Ebpf) -> anyhow::Result<String> {
    let p: &mut PerfEvent = program(ebpf, "sonde_chk_perf")?;
    p.load().context("load")?;
    let link = p
        .attach(
            PerfTypeId::Software,
            PERF_COUNT_SW_CPU_CLOCK as u64,
            PerfEventScope::AllProcessesOneCpu { cpu: 0 },
            SamplePolicy::Frequency(99),
            false,
        )
        .context("attach to software cpu-clock on CPU 0")?;
    p.detach(link)?;
    Ok("attached to software cpu-clock on CPU 0 (99 Hz)".to_owned())
}

fn uprobe(ebpf: &mut Ebpf) -> anyhow::Result<String> {
    let p: &mut UProbe = program(ebpf, "sonde_chk_uprobe")?;
    p.load().context("load")?;
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let link = p
        .attach(Some("sonde_check_uprobe_target"), 0, &exe, None)
        .with_context(|| format!("attach to sonde_check_uprobe_target in {}", exe.display()))?;
    sonde_check_uprobe_target();
    p.detach(link)?;
    Ok(format!(
        "attached to sonde_check_uprobe_target in {}",
        exe.display()
    ))
}

fn kprobe(ebpf: &mut Ebpf) -> anyhow::Result<String> {
    let p: &mut KProbe = program(ebpf, "sonde_chk_kprobe")?;
    p.load().context("load")?;
    let link = p.attach("do_sys_openat2", 0).with_context(|| {
        if Path::new("/sys/bus/event_source/devices/kprobe").exists() {
            "attach to do_sys_openat2"
        } else {
            "attach to do_sys_openat2 (this kernel has no kprobe PMU: kprobes are not enabled)"
        }
    })?;
    p.detach(link)?;
    Ok("attached to do_sys_openat2".to_owned())
}

fn fentry(ebpf: &mut Ebpf) -> anyhow::Result<String> {
    let btf = Btf::from_sys_fs().context("read kernel BTF")?;
    let p: &mut FEntry = program(ebpf, "sonde_chk_fentry")?;
    p.load("do_unlinkat", &btf)
        .context("load for do_unlinkat")?;
    let link = p.attach().context("attach to do_unlinkat")?;
    p.detach(link)?;
    Ok("attached to do_unlinkat".to_owned())
}

/// An error and its causes, `: `-separated, skipping causes whose text the
/// error already shows (aya errors often print their source themselves).
pub(super) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// Collapses whitespace (verifier logs are multi-line) and bounds the length.
pub(super) fn one_line(text: &str) -> String {
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() > MAX_DETAIL {
        let mut end = MAX_DETAIL;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push_str(" …");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_object_nothing_is_tried() {
        let results = try_program_types(Err("no object".to_owned()));
        let names: Vec<_> = results.program_types.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "tracepoint",
                "raw_tracepoint",
                "perf_event",
                "uprobe",
                "kprobe",
                "fentry"
            ]
        );
        assert!(results.program_types.iter().all(|p| !p.available));
        assert!(!results.ring_buffer.available);
        assert_eq!(results.object, Err("no object".to_owned()));
    }

    #[test]
    fn a_garbage_object_is_reported_not_panicked_on() {
        let results = try_program_types(Ok(b"not an ELF file"));
        assert!(results.object.is_err());
        assert!(results.program_types[0]
            .detail
            .starts_with("not tried: loading the probes object failed"));
    }

    /// Kernel test: runs only with the probes embedded and enough privileges.
    #[test]
    fn the_always_available_program_types_load_and_attach() {
        let Ok(object) = crate::probes::object::probes_object() else {
            return;
        };
        if !crate::privileges::Capabilities::current().is_ok_and(|c| c.can_run()) {
            return;
        }
        let results = try_program_types(Ok(object));
        assert_eq!(results.object, Ok(()));
        assert!(results.ring_buffer.available, "{:?}", results.ring_buffer);
        for p in &results.program_types[..4] {
            assert!(p.available, "{}: {}", p.name, p.detail);
        }
    }

    #[test]
    fn causes_already_shown_are_not_repeated() {
        let io = std::io::Error::from_raw_os_error(libc::EPERM);
        let error =
            anyhow::Error::new(io).context("create map: Operation not permitted (os error 1)");
        assert_eq!(
            chain(error.as_ref()),
            "create map: Operation not permitted (os error 1)"
        );
        let error =
            anyhow::Error::new(std::io::Error::from_raw_os_error(libc::ENOENT)).context("attach");
        assert_eq!(
            chain(error.as_ref()),
            "attach: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn details_are_one_bounded_line() {
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        let long = "é".repeat(1000);
        let line = one_line(&long);
        assert!(line.len() <= MAX_DETAIL + " …".len());
        assert!(line.ends_with('…'));
    }
}
