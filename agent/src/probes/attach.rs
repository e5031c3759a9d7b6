//! Which program goes on which tracepoint.

use aya::{programs::TracePoint, Ebpf};

use super::loader::ProbeError;

/// `(program, tracepoint category, tracepoint name)` for `sonde run`.
pub const TRACEPOINTS: &[(&str, &str, &str)] = &[
    ("sonde_tcp_state", "sock", "inet_sock_set_state"),
    ("sonde_sock_send", "sock", "sock_send_length"),
    ("sonde_sock_recv", "sock", "sock_recv_length"),
    ("sonde_tcp_retrans", "tcp", "tcp_retransmit_skb"),
    ("sonde_rst_sent", "tcp", "tcp_send_reset"),
    ("sonde_rst_recv", "tcp", "tcp_receive_reset"),
    ("sonde_accept4", "syscalls", "sys_exit_accept4"),
    ("sonde_accept", "syscalls", "sys_exit_accept"),
    ("sonde_proc_exec", "sched", "sched_process_exec"),
    ("sonde_proc_exit", "sched", "sched_process_exit"),
];

/// Loads and attaches every program of [`TRACEPOINTS`]. The links live as
/// long as `ebpf`: dropping it detaches them all.
pub fn attach_all(ebpf: &mut Ebpf) -> Result<(), ProbeError> {
    for &(program, category, name) in TRACEPOINTS {
        let attach = |ebpf: &mut Ebpf| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            let tracepoint: &mut TracePoint = ebpf
                .program_mut(program)
                .ok_or("program missing from the object")?
                .try_into()?;
            tracepoint.load()?;
            tracepoint.attach(category, name)?;
            Ok(())
        };
        attach(ebpf).map_err(|source| ProbeError::Attach {
            program,
            tracepoint: format!("{category}:{name}"),
            source,
        })?;
    }
    Ok(())
}
