//! Loading the kernel programs with this kernel's offsets and the user's filter.

use std::path::Path;

use aya::{
    maps::{MapData, PerCpuArray, RingBuf},
    programs::ProgramFd,
    Ebpf, EbpfLoader,
};
use sonde_common::{Filter, ProbeConfig};

use super::{
    attach,
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
    let config = ProbeConfig {
        filter: settings.filter,
        fields: tracefs::tracepoint_fields(&tracefs_root.path)?,
        kernel: kernel_offsets::kernel_offsets(Path::new(VMLINUX_BTF))?,
    };
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
