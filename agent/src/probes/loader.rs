//! Loading the kernel programs with this kernel's offsets and the user's filter.

use std::path::Path;

use aya::{
    maps::{MapData, PerCpuArray, RingBuf},
    programs::ProgramFd,
    Ebpf, EbpfLoader,
};
use sonde_common::{CaptureConfig, Filter, ProbeConfig, SyscallNumbers, SyscallRegs};

use super::{
    attach, calibrate,
    counters::KernelCounterMap,
    kernel_offsets::{self, VMLINUX_BTF},
    object, tracefs,
};

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    NotEmbedded(#[from] object::NotEmbedded),
    #[error(transparent)]
    Tracefs(#[from] tracefs::TracefsError),
    #[error("kernel struct offsets from {VMLINUX_BTF}: {0}")]
    KernelOffsets(#[from] kernel_offsets::KernelOffsetsError),
    #[error("loading the eBPF object: {0}")]
    Load(#[from] aya::EbpfError),
    #[error("attaching {program} to {hook}: {source}")]
    Attach {
        program: &'static str,
        hook: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("map {0} missing from the eBPF object or of the wrong type")]
    Map(&'static str),
    #[error("file descriptor of program {program}: {source}")]
    ProgramFd {
        program: &'static str,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// What the user chose for the kernel side.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSettings {
    pub filter: Filter,
    /// Size of the `EVENTS` ring buffer in bytes (a power of two).
    pub ring_buffer_bytes: u32,
    /// Payload bytes copied per read or write on captured connections (0: off).
    pub capture_bytes: u32,
}

/// Attached programs and the maps the agent reads. Dropping it detaches
/// every program.
pub struct Probes {
    /// Owns the programs and their links.
    pub ebpf: Ebpf,
    pub events: RingBuf<MapData>,
    pub counters: KernelCounterMap,
}

/// Resolves offsets, loads the object with `settings` and attaches everything.
pub fn load(settings: &ProbeSettings) -> Result<Probes, ProbeError> {
    let object = object::probes_object()?;
    let tracefs_root = tracefs::ensure_tracefs()?;
    let (kernel, regs) = kernel_offsets::kernel_offsets_and_regs(Path::new(VMLINUX_BTF))?;
    let mut config = ProbeConfig {
        filter: settings.filter,
        fields: tracefs::tracepoint_fields(&tracefs_root.path)?,
        kernel,
        capture: CaptureConfig::default(),
    };
    config.capture = capture_config(object, &config, regs, settings.capture_bytes);
    tracing::debug!(?config, "probe configuration");
    // No CO-RE relocations in our object: skip parsing the kernel's BTF again.
    let mut ebpf = EbpfLoader::new()
        .btf(None)
        .set_global("CONFIG", &config, true)
        .set_max_entries("EVENTS", settings.ring_buffer_bytes)
        .load(object)?;
    let programs = attach::attach_all(&mut ebpf)?
        .into_iter()
        .map(|program| program_fd(&ebpf, program).map(|fd| (program, fd)))
        .collect::<Result<Vec<_>, _>>()?;
    release_startup_memory();

    let events = ebpf
        .take_map("EVENTS")
        .and_then(|map| RingBuf::try_from(map).ok())
        .ok_or(ProbeError::Map("EVENTS"))?;
    let counters = ebpf
        .take_map("COUNTERS")
        .and_then(|map| PerCpuArray::try_from(map).ok())
        .ok_or(ProbeError::Map("COUNTERS"))?;
    Ok(Probes {
        ebpf,
        events,
        counters: KernelCounterMap::new(counters, programs),
    })
}

/// Payload capture settings for this kernel; capture is off (with a warning)
/// when the syscall registers cannot be located.
fn capture_config(
    object: &[u8],
    config: &ProbeConfig,
    regs: Option<SyscallRegs>,
    capture_bytes: u32,
) -> CaptureConfig {
    let off = CaptureConfig::default();
    if capture_bytes == 0 {
        return off;
    }
    let Some(mut regs) = regs else {
        tracing::warn!("payload capture is off: syscall registers unknown on this architecture");
        return off;
    };
    match calibrate::regs_from_stack(object, config) {
        Ok(from_stack) => regs.from_stack = from_stack,
        Err(error) => {
            tracing::warn!("payload capture is off: {error}");
            return off;
        }
    }
    CaptureConfig {
        max_bytes: capture_bytes,
        _pad: 0,
        regs,
        syscalls: capture_syscalls(),
    }
}

/// Numbers, on this architecture, of the syscalls whose payload is copied.
pub fn capture_syscalls() -> SyscallNumbers {
    SyscallNumbers {
        read: libc::SYS_read as u32,
        write: libc::SYS_write as u32,
        readv: libc::SYS_readv as u32,
        writev: libc::SYS_writev as u32,
        recvfrom: libc::SYS_recvfrom as u32,
        sendto: libc::SYS_sendto as u32,
        recvmsg: libc::SYS_recvmsg as u32,
        sendmsg: libc::SYS_sendmsg as u32,
    }
}

/// An fd of its own for the loaded `program`, to read its statistics with.
fn program_fd(ebpf: &Ebpf, program: &'static str) -> Result<ProgramFd, ProbeError> {
    let fd = || -> Result<ProgramFd, Box<dyn std::error::Error + Send + Sync>> {
        let program = ebpf
            .program(program)
            .ok_or("program missing from the object")?;
        Ok(program.fd()?.try_clone()?)
    };
    fd().map_err(|source| ProbeError::ProgramFd { program, source })
}

/// Parsing the kernel's BTF leaves tens of MiB of freed heap behind; hand it
/// back to the system so the agent's RSS reflects what it actually uses.
fn release_startup_memory() {
    // SAFETY: malloc_trim only releases free memory of glibc's heap.
    unsafe { libc::malloc_trim(0) };
}
