//! TCP connection lifecycle from `sock:inet_sock_set_state`.
//!
//! connect(): CLOSE→SYN_SENT runs in the caller's context (owner recorded),
//! SYN_SENT→ESTABLISHED completes it, SYN_SENT→CLOSE fails it. A passive open
//! ends with SYN_RECV→ESTABLISHED in softirq context, so the owner is only
//! learned at accept() (see tcp_accept.rs). Any →CLOSE ends a connection.

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};
use sonde_common::{
    ConnInfo, Endpoints, EventKind, TaskInfo, AF_INET, AF_INET6, CONN_OWNED, ROLE_CLIENT,
    ROLE_SERVER,
};

use crate::{config::conf, counters, emit, kernel, maps::CONNS, task};

const IPPROTO_TCP: u16 = 6;
const TCP_ESTABLISHED: i32 = 1;
const TCP_SYN_SENT: i32 = 2;
const TCP_SYN_RECV: i32 = 3;
const TCP_CLOSE: i32 = 7;

/// sock:inet_sock_set_state
#[tracepoint]
pub fn sonde_tcp_state(ctx: TracePointContext) -> u32 {
    let _ = try_tcp_state(&ctx);
    0
}

#[inline(always)]
fn field<T>(ctx: &TracePointContext, offset: u32) -> Result<T, i64> {
    // SAFETY: bpf_probe_read within the tracepoint record.
    unsafe { ctx.read_at::<T>(offset as usize) }
}

fn try_tcp_state(ctx: &TracePointContext) -> Result<(), i64> {
    let protocol: u16 = field(ctx, conf!(fields.set_state.protocol))?;
    if protocol != IPPROTO_TCP {
        return Ok(());
    }
    let sk: u64 = field(ctx, conf!(fields.set_state.skaddr))?;
    let old: i32 = field(ctx, conf!(fields.set_state.oldstate))?;
    let new: i32 = field(ctx, conf!(fields.set_state.newstate))?;
    match (old, new) {
        (TCP_CLOSE, TCP_SYN_SENT) => on_connect_start(sk),
        (TCP_SYN_SENT, TCP_ESTABLISHED) => on_connect_done(ctx, sk),
        (TCP_SYN_SENT, TCP_CLOSE) => on_connect_failed(ctx, sk),
        (TCP_SYN_RECV, TCP_ESTABLISHED) => on_passive_open(ctx, sk),
        (_, TCP_CLOSE) => on_close(sk),
        _ => Ok(()),
    }
}

fn endpoints(ctx: &TracePointContext) -> Result<Endpoints, i64> {
    let family: u16 = field(ctx, conf!(fields.set_state.family))?;
    let mut ends = Endpoints {
        family,
        local_port: field(ctx, conf!(fields.set_state.sport))?,
        remote_port: field(ctx, conf!(fields.set_state.dport))?,
        ..Endpoints::default()
    };
    if family == AF_INET {
        let local: [u8; 4] = field(ctx, conf!(fields.set_state.saddr))?;
        let remote: [u8; 4] = field(ctx, conf!(fields.set_state.daddr))?;
        ends.local_addr[..4].copy_from_slice(&local);
        ends.remote_addr[..4].copy_from_slice(&remote);
    } else if family == AF_INET6 {
        ends.local_addr = field(ctx, conf!(fields.set_state.saddr_v6))?;
        ends.remote_addr = field(ctx, conf!(fields.set_state.daddr_v6))?;
    }
    Ok(ends)
}

fn track(sk: u64, conn: &ConnInfo) {
    if CONNS.insert(&sk, conn, 0).is_err() {
        counters::conn_table_full();
    }
}

fn on_connect_start(sk: u64) -> Result<(), i64> {
    let owner = task::current();
    if !task::is_observed(&owner) {
        return Ok(());
    }
    track(
        sk,
        &ConnInfo {
            owner,
            role: ROLE_CLIENT,
            flags: CONN_OWNED,
            start_ns: emit::now(),
            ..ConnInfo::default()
        },
    );
    Ok(())
}

fn on_connect_done(ctx: &TracePointContext, sk: u64) -> Result<(), i64> {
    let Some(conn) = CONNS.get_ptr_mut(&sk) else {
        return Ok(());
    };
    let ends = endpoints(ctx)?;
    // SAFETY: map value pointer valid for this program run.
    let conn = unsafe { &mut *conn };
    conn.endpoints = ends;
    emit::tcp_event(EventKind::TcpConnect, conn, 0, 0);
    Ok(())
}

fn on_connect_failed(ctx: &TracePointContext, sk: u64) -> Result<(), i64> {
    let Some(conn) = CONNS.get_ptr_mut(&sk) else {
        return Ok(());
    };
    let ends = endpoints(ctx)?;
    // SAFETY: map value pointer valid for this program run.
    let conn = unsafe { &mut *conn };
    conn.endpoints = ends;
    emit::tcp_event(EventKind::TcpConnectFailed, conn, kernel::sock_error(sk), 0);
    let _ = CONNS.remove(&sk);
    Ok(())
}

fn on_passive_open(ctx: &TracePointContext, sk: u64) -> Result<(), i64> {
    track(
        sk,
        &ConnInfo {
            owner: TaskInfo::default(),
            endpoints: endpoints(ctx)?,
            role: ROLE_SERVER,
            start_ns: emit::now(),
            ..ConnInfo::default()
        },
    );
    Ok(())
}

fn on_close(sk: u64) -> Result<(), i64> {
    let Some(conn) = CONNS.get_ptr(&sk) else {
        return Ok(());
    };
    // SAFETY: map value pointer valid for this program run.
    let conn = unsafe { &*conn };
    if conn.flags & CONN_OWNED != 0 {
        emit::tcp_event(EventKind::TcpClose, conn, 0, 0);
    }
    let _ = CONNS.remove(&sk);
    Ok(())
}
