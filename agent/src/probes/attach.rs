//! Which program goes on which hook.

use aya::{
    programs::{RawTracePoint, TracePoint},
    Ebpf,
};

use super::loader::ProbeError;

/// Where a program attaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// A tracepoint, `category:name`; its record is read at offsets from the
    /// tracepoint's `format` file.
    Tracepoint {
        category: &'static str,
        name: &'static str,
    },
    /// A raw tracepoint: cheaper, and only ever skipped when the same program
    /// is already running on the CPU. Used where events arrive in softirq.
    RawTracepoint { name: &'static str },
}

impl std::fmt::Display for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hook::Tracepoint { category, name } => write!(f, "tracepoint {category}:{name}"),
            Hook::RawTracepoint { name } => write!(f, "raw tracepoint {name}"),
        }
    }
}

/// A program of the object and its hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attachment {
    pub program: &'static str,
    pub hook: Hook,
    /// What is lost when the hook does not exist on this kernel; `None` when
    /// `sonde run` cannot work without it.
    pub optional: Option<&'static str>,
}

const fn raw(program: &'static str, name: &'static str) -> Attachment {
    Attachment {
        program,
        hook: Hook::RawTracepoint { name },
        optional: None,
    }
}

const fn tracepoint(
    program: &'static str,
    category: &'static str,
    name: &'static str,
) -> Attachment {
    Attachment {
        program,
        hook: Hook::Tracepoint { category, name },
        optional: None,
    }
}

const fn or_without(attachment: Attachment, lost: &'static str) -> Attachment {
    Attachment {
        optional: Some(lost),
        ..attachment
    }
}

/// What kernels before 6.3 (no sock_*_length tracepoints) go without.
const NO_BYTE_COUNTS: &str = "connections report 0 bytes sent and received";

/// Every program `sonde run` attaches.
pub const TRACEPOINTS: &[Attachment] = &[
    raw("sonde_tcp_state", "inet_sock_set_state"),
    or_without(raw("sonde_sock_send", "sock_send_length"), NO_BYTE_COUNTS),
    or_without(raw("sonde_sock_recv", "sock_recv_length"), NO_BYTE_COUNTS),
    raw("sonde_tcp_retrans", "tcp_retransmit_skb"),
    raw("sonde_rst_sent", "tcp_send_reset"),
    raw("sonde_rst_recv", "tcp_receive_reset"),
    tracepoint("sonde_proc_exec", "sched", "sched_process_exec"),
    tracepoint("sonde_proc_exit", "sched", "sched_process_exit"),
];

type AttachError = Box<dyn std::error::Error + Send + Sync>;

/// Loads `attachment`'s program of `ebpf` and attaches it to its hook; the
/// link lives as long as `ebpf`.
pub fn attach_one(ebpf: &mut Ebpf, attachment: &Attachment) -> Result<(), AttachError> {
    let program = ebpf
        .program_mut(attachment.program)
        .ok_or("program missing from the object")?;
    match attachment.hook {
        Hook::Tracepoint { category, name } => {
            let tracepoint: &mut TracePoint = program.try_into()?;
            tracepoint.load()?;
            tracepoint.attach(category, name)?;
        }
        Hook::RawTracepoint { name } => {
            let raw: &mut RawTracePoint = program.try_into()?;
            raw.load()?;
            raw.attach(name)?;
        }
    }
    Ok(())
}

/// Loads and attaches every program of [`TRACEPOINTS`] this kernel has a
/// hook for, and returns their names. The links live as long as `ebpf`:
/// dropping it detaches them all.
pub fn attach_all(ebpf: &mut Ebpf) -> Result<Vec<&'static str>, ProbeError> {
    let mut attached = Vec::with_capacity(TRACEPOINTS.len());
    for attachment in TRACEPOINTS {
        match (attach_one(ebpf, attachment), attachment.optional) {
            (Ok(()), _) => attached.push(attachment.program),
            (Err(error), Some(lost)) => tracing::warn!(
                "{} is not available on this kernel ({error}); {lost}",
                attachment.hook
            ),
            (Err(source), None) => {
                return Err(ProbeError::Attach {
                    program: attachment.program,
                    hook: attachment.hook.to_string(),
                    source,
                })
            }
        }
    }
    Ok(attached)
}
