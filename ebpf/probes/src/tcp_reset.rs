//! Resets on tracked connections.

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};
use sonde_common::{EventKind, CONN_OWNED};

use crate::{config::conf, emit, maps::CONNS};

/// tcp:tcp_send_reset
#[tracepoint]
pub fn sonde_rst_sent(ctx: TracePointContext) -> u32 {
    // SAFETY: bpf_probe_read within the tracepoint record.
    let read = |offset: u32| unsafe { ctx.read_at::<u64>(offset as usize) };
    let state = read(conf!(fields.send_reset_state)).map(|v| v as u32).unwrap_or(0);
    if let Ok(sk) = read(conf!(fields.send_reset_skaddr)) {
        report(EventKind::TcpResetSent, sk, state);
    }
    0
}

/// tcp:tcp_receive_reset
#[tracepoint]
pub fn sonde_rst_recv(ctx: TracePointContext) -> u32 {
    // SAFETY: bpf_probe_read within the tracepoint record.
    if let Ok(sk) = unsafe { ctx.read_at::<u64>(conf!(fields.receive_reset_skaddr) as usize) } {
        report(EventKind::TcpResetReceived, sk, 0);
    }
    0
}

#[inline(always)]
fn report(kind: EventKind, sk: u64, state: u32) {
    if sk == 0 {
        return; // a reset answering a packet no socket wanted
    }
    let Some(conn) = CONNS.get_ptr(&sk) else {
        return;
    };
    // SAFETY: map value pointer valid for this program run.
    let conn = unsafe { &*conn };
    if conn.flags & CONN_OWNED != 0 {
        emit::tcp_event(kind, conn, 0, state);
    }
}
