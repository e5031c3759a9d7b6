//! accept(): the moment a server-side connection gets its owner.

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};
use sonde_common::{EventKind, CONN_OWNED};

use crate::{config::conf, emit, kernel, maps::CONNS, task};

/// syscalls:sys_exit_accept4
#[tracepoint]
pub fn sonde_accept4(ctx: TracePointContext) -> u32 {
    let _ = try_accept_exit(&ctx);
    0
}

/// syscalls:sys_exit_accept
#[tracepoint]
pub fn sonde_accept(ctx: TracePointContext) -> u32 {
    let _ = try_accept_exit(&ctx);
    0
}

fn try_accept_exit(ctx: &TracePointContext) -> Result<(), i64> {
    // SAFETY: bpf_probe_read within the tracepoint record.
    let fd: i64 = unsafe { ctx.read_at(conf!(fields.sys_exit_ret) as usize)? };
    if fd < 0 {
        return Ok(());
    }
    let Ok(sk) = kernel::sock_of_fd(fd as u32) else {
        return Ok(());
    };
    let Some(conn) = CONNS.get_ptr_mut(&sk) else {
        return Ok(()); // not TCP, or opened before sonde started
    };
    // SAFETY: map value pointer valid for this program run.
    let conn = unsafe { &mut *conn };
    if conn.flags & CONN_OWNED != 0 {
        return Ok(());
    }
    let owner = task::current();
    if !task::is_observed(&owner) {
        let _ = CONNS.remove(&sk);
        return Ok(());
    }
    conn.owner = owner;
    conn.flags |= CONN_OWNED;
    emit::tcp_event(EventKind::TcpAccept, conn, 0, 0);
    Ok(())
}
