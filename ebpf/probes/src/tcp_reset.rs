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
    maps::Array,
    programs::RawTracePointContext,
};
use sonde_common::{ConnInfo, EventKind, CONN_OWNED, CONN_TRACKED};

use crate::{emit, maps::SOCKS, raw_args::arg, sock};

/// A reset sent this long after the close belongs to another moment.
const RESET_AFTER_CLOSE_NS: u64 = 1_000_000;

/// A connection just closed, when a reset may follow.
#[repr(C)]
pub struct ClosedConn {
    /// The socket, 0 once its reset was reported (or while being written).
    sk: u64,
    closed_ns: u64,
    conn: ConnInfo,
}

/// log2 of the number of `JUST_CLOSED` slots.
const SLOT_BITS: u32 = 13;

/// Recently closed connections: a direct-mapped table indexed by a hash of
/// the `struct sock *`. Every close of a reported connection is remembered,
/// and almost none is followed by a reset: an array slot costs one write
/// where a hash map insertion took locks and an LRU list. Two connections
/// closed within the same millisecond on the same slot lose the first one's
/// reset (1 in 8192 at a thousand closes a millisecond).
#[map]
static JUST_CLOSED: Array<ClosedConn> = Array::with_max_entries(1 << SLOT_BITS, 0);

/// The `JUST_CLOSED` slot of `sk` (a multiplicative hash: socket addresses
/// share their low bits).
#[inline(always)]
fn slot(sk: u64) -> u32 {
    ((sk >> 6).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SLOT_BITS)) as u32
}

/// Keeps `conn` for a reset that may follow its close at `now`.
#[inline(always)]
pub fn remember_closed(sk: u64, conn: &ConnInfo, now: u64) {
    let Some(closed) = JUST_CLOSED.get_ptr_mut(slot(sk)) else {
        return;
    };
    // SAFETY: array slot pointer valid for this program run. The key is
    // cleared first and set last so that a reader on another CPU never
    // takes a half-written slot for this socket's.
    unsafe {
        core::ptr::write_volatile(&mut (*closed).sk, 0);
        (*closed).closed_ns = now;
        (*closed).conn = *conn;
        core::ptr::write_volatile(&mut (*closed).sk, sk);
    }
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
        emit::tcp_event(kind, conn, 0, state, &mut emit::Clock::unread());
    }
    true
}

#[inline(always)]
fn report_just_closed(sk: u64, state: u32) {
    let Some(closed) = JUST_CLOSED.get_ptr_mut(slot(sk)) else {
        return;
    };
    // SAFETY: array slot pointer valid for this program run.
    let closed = unsafe { &mut *closed };
    // SAFETY: a plain field of the slot.
    if unsafe { core::ptr::read_volatile(&closed.sk) } != sk {
        return;
    }
    let conn = closed.conn;
    let mut clock = emit::Clock::unread();
    let fresh = clock.now().saturating_sub(closed.closed_ns) <= RESET_AFTER_CLOSE_NS;
    // SAFETY: as above; one reset per close, and a slot rewritten meanwhile
    // (sk changed) is not this connection's.
    if unsafe { core::ptr::read_volatile(&closed.sk) } != sk {
        return;
    }
    unsafe { core::ptr::write_volatile(&mut closed.sk, 0) };
    if fresh {
        emit::tcp_event(EventKind::TcpResetSent, &conn, 0, state, &mut clock);
    }
}
