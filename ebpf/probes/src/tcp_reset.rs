//! Resets on tracked connections, from the `tcp_send_reset` and
//! `tcp_receive_reset` raw tracepoints (the socket is the first argument).
//!
//! An abortive close (SO_LINGER 0, unread data) moves the socket to CLOSE
//! *before* sending the reset, when the connection has already left `SOCKS`:
//! the closing program keeps it a little longer in `JUST_CLOSED` for the reset
//! that follows. (Not a per-CPU slot: sending that reset over loopback can
//! close the peer's socket on the same CPU before the reset is traced.)

use aya_ebpf::{
    macros::{map, raw_tracepoint},
    maps::LruHashMap,
    programs::RawTracePointContext,
};
use sonde_common::{ConnInfo, EventKind, CONN_OWNED, CONN_TRACKED};

use crate::{emit, maps::SOCKS, raw_args::arg, sock};

/// A reset sent this long after the close belongs to another moment.
const RESET_AFTER_CLOSE_NS: u64 = 1_000_000;

/// A connection just closed, when a reset may follow.
#[repr(C)]
pub struct ClosedConn {
    closed_ns: u64,
    conn: ConnInfo,
}

/// Recently closed connections by `struct sock *`; the LRU forgets the ones
/// no reset followed.
#[map]
static JUST_CLOSED: LruHashMap<u64, ClosedConn> = LruHashMap::with_max_entries(4096, 0);

/// Keeps `conn` for a reset that may follow its close.
#[inline(always)]
pub fn remember_closed(sk: u64, conn: &ConnInfo) {
    let closed = ClosedConn {
        closed_ns: emit::now(),
        conn: *conn,
    };
    let _ = JUST_CLOSED.insert(&sk, &closed, 0);
}

/// raw tracepoint tcp_send_reset
#[raw_tracepoint(tracepoint = "tcp_send_reset")]
pub fn sonde_rst_sent(ctx: RawTracePointContext) -> i32 {
    let sk = arg(&ctx, 0);
    if sk == 0 {
        return 0; // a reset answering a packet no socket wanted
    }
    let state = sock::state(sk);
    if !report_tracked(EventKind::TcpResetSent, sk, state) {
        report_just_closed(sk, state);
    }
    0
}

/// raw tracepoint tcp_receive_reset
#[raw_tracepoint(tracepoint = "tcp_receive_reset")]
pub fn sonde_rst_recv(ctx: RawTracePointContext) -> i32 {
    let sk = arg(&ctx, 0);
    if sk != 0 {
        report_tracked(EventKind::TcpResetReceived, sk, sock::state(sk));
    }
    0
}

/// Reports a reset on a connection still in `SOCKS`; false when it is not.
#[inline(always)]
fn report_tracked(kind: EventKind, sk: u64, state: u32) -> bool {
    let Some(entry) = SOCKS.get_ptr_mut(&sk) else {
        return false;
    };
    // SAFETY: map value pointer valid for this program run.
    let conn = unsafe { &mut (*entry).conn };
    if conn.endpoints.family == 0 {
        // Reset during connect(): the endpoints were not read yet.
        if let Ok(ends) = sock::endpoints(sk) {
            conn.endpoints = ends;
        }
    }
    if conn.flags & (CONN_TRACKED | CONN_OWNED) == CONN_TRACKED | CONN_OWNED {
        emit::tcp_event(kind, conn, 0, state);
    }
    true
}

#[inline(always)]
fn report_just_closed(sk: u64, state: u32) {
    let Some(closed) = JUST_CLOSED.get_ptr(&sk) else {
        return;
    };
    // SAFETY: map value pointer valid for this program run.
    let closed = unsafe { &*closed };
    if emit::now().saturating_sub(closed.closed_ns) <= RESET_AFTER_CLOSE_NS {
        emit::tcp_event(EventKind::TcpResetSent, &closed.conn, 0, state);
    }
    let _ = JUST_CLOSED.remove(&sk); // one reset per close
}
