//! TCP connection lifecycle from the `inet_sock_set_state` raw tracepoint
//! (TP_PROTO: sk, oldstate, newstate).
//!
//! connect(): CLOSE→SYN_SENT runs in the caller's context (owner recorded),
//! SYN_SENT→ESTABLISHED completes it, SYN_SENT→CLOSE fails it. A passive open
//! ends with SYN_RECV→ESTABLISHED in softirq context: the owner is the first
//! task to use the connection, at its first read or write (sock_io.rs) or
//! at close(2) (ESTABLISHED→FIN_WAIT1, CLOSE_WAIT→LAST_ACK run in the
//! closing task). An accepted connection closed with neither (SO_LINGER 0,
//! no I/O) is not reported. Any →CLOSE ends a connection.
//!
//! What runs for every connection on the host, observed or not, is kept
//! small: the transitions ignored return after a few comparisons; a passive
//! open stores the start time only (endpoints are read by the owner's first
//! use); a close(2) by a task the filter drops does no lookup; a reported
//! close is one event, the flow's end with it.
//!
//! No syscall tracepoint: enabling any puts every syscall of every task on
//! the tracing slow path.
//!
//! A raw tracepoint, not a tracepoint: a tracepoint program is skipped when
//! any other tracing program runs on the CPU (a softirq landing inside our
//! own sock_sendmsg program, say), which would lose state changes.

use core::mem::MaybeUninit;

use aya_ebpf::{macros::raw_tracepoint, programs::RawTracePointContext};
use sonde_common::{
    classify::is_captured, EventKind, FlowKey, CONN_OWNED, CONN_TRACKED, PROTOCOL_UNKNOWN,
    ROLE_CLIENT, ROLE_SERVER,
};

use crate::{
    capture, emit, kernel,
    kernel::ReadFailed,
    maps::SOCKS,
    raw_args::arg,
    run::Run,
    sock::{self, IPPROTO_TCP},
    socks, task, tcp_reset,
};

pub const TCP_ESTABLISHED: i32 = 1;
const TCP_SYN_SENT: i32 = 2;
const TCP_SYN_RECV: i32 = 3;
const TCP_FIN_WAIT1: i32 = 4;
const TCP_FIN_WAIT2: i32 = 5;
pub const TCP_CLOSE: i32 = 7;
const TCP_CLOSE_WAIT: i32 = 8;
const TCP_LAST_ACK: i32 = 9;

/// raw tracepoint inet_sock_set_state
#[raw_tracepoint(tracepoint = "inet_sock_set_state")]
pub fn sonde_tcp_state(ctx: RawTracePointContext) -> i32 {
    let _ = try_tcp_state(&ctx);
    0
}

fn try_tcp_state(ctx: &RawTracePointContext) -> Result<(), ReadFailed> {
    let sk = arg(ctx, 0);
    let old = arg(ctx, 1) as i32;
    let new = arg(ctx, 2) as i32;
    match (old, new) {
        (TCP_CLOSE, TCP_SYN_SENT) => on_connect_start(sk),
        (TCP_SYN_SENT, TCP_ESTABLISHED) => on_connect_end(sk, EventKind::TcpConnect),
        (TCP_SYN_SENT, TCP_CLOSE) => on_connect_end(sk, EventKind::TcpConnectFailed),
        (TCP_SYN_RECV, TCP_ESTABLISHED) => on_passive_open(sk),
        (TCP_ESTABLISHED, TCP_FIN_WAIT1) | (TCP_CLOSE_WAIT, TCP_LAST_ACK) => {
            on_close_call(sk);
            Ok(())
        }
        (_, TCP_CLOSE) => on_close(sk, old),
        _ => Ok(()),
    }
}

fn on_connect_start(sk: u64) -> Result<(), ReadFailed> {
    let mut current = task::Current::unknown();
    if !current.may_be_observed() {
        return Ok(());
    }
    let owner = current.get();
    if !task::is_observed(&owner) || sock::protocol(sk)? != IPPROTO_TCP {
        return Ok(());
    }
    let mut slot = MaybeUninit::uninit();
    let state = socks::fresh(&mut slot, 0, PROTOCOL_UNKNOWN);
    state.conn.owner = owner;
    state.conn.role = ROLE_CLIENT;
    state.conn.flags = CONN_TRACKED | CONN_OWNED;
    state.conn.start_ns = emit::now();
    socks::track(sk, state);
    Ok(())
}

/// The handshake of a tracked connect() ended: reports `kind` with the
/// endpoints as they are now.
fn on_connect_end(sk: u64, kind: EventKind) -> Result<(), ReadFailed> {
    let Some(state) = SOCKS.get_ptr_mut(&sk) else {
        return Ok(());
    };
    let ends = sock::endpoints(sk)?;
    // SAFETY: map value pointer valid for this program run.
    let conn = unsafe { &mut (*state).conn };
    conn.endpoints = ends;
    let mut clock = emit::Clock::unread();
    if kind == EventKind::TcpConnectFailed {
        emit::tcp_event(kind, conn, kernel::sock_error(sk), 0, &mut clock);
        let _ = SOCKS.remove(&sk);
    } else {
        emit::tcp_event(kind, conn, 0, 0, &mut clock);
    }
    Ok(())
}

/// The end of a handshake, in softirq context: whose connection it is is
/// not known yet, so it costs as little as can be (no endpoints: they are
/// read when the owner shows up, see `socks::claim`).
fn on_passive_open(sk: u64) -> Result<(), ReadFailed> {
    if sock::protocol(sk)? != IPPROTO_TCP {
        return Ok(());
    }
    let mut slot = MaybeUninit::uninit();
    let state = socks::fresh(&mut slot, 0, PROTOCOL_UNKNOWN);
    state.conn.role = ROLE_SERVER;
    state.conn.flags = CONN_TRACKED;
    state.conn.start_ns = emit::now();
    socks::track(sk, state);
    Ok(())
}

/// close(2) (or shutdown(2)) of a connection, in the closing task: the
/// owner of an accepted connection nobody read or wrote. A task the filter
/// drops needs no lookup: it cannot claim anything.
fn on_close_call(sk: u64) {
    let mut slot = MaybeUninit::uninit();
    let run = Run::start(&mut slot);
    if !run.task.may_be_observed() {
        return;
    }
    let Some(state) = SOCKS.get_ptr_mut(&sk) else {
        return;
    };
    // SAFETY: map value pointer valid for this program run.
    let state = unsafe { &mut *state };
    if state.conn.flags & CONN_OWNED != 0 {
        return;
    }
    if socks::claim(state, sk, run) {
        emit::tcp_event(EventKind::TcpAccept, &state.conn, 0, 0, &mut run.clock);
    } else {
        let _ = SOCKS.remove(&sk);
    }
}

/// States from which closing sends a reset right after the change to CLOSE
/// (tcp_need_reset, plus data left unread at close).
fn may_reset_after_close(old: i32) -> bool {
    matches!(
        old,
        TCP_ESTABLISHED | TCP_CLOSE_WAIT | TCP_FIN_WAIT1 | TCP_FIN_WAIT2 | TCP_SYN_RECV
    )
}

fn on_close(sk: u64, old: i32) -> Result<(), ReadFailed> {
    let Some(state) = SOCKS.get_ptr(&sk) else {
        return Ok(());
    };
    // SAFETY: map value pointer valid for this program run.
    let state = unsafe { &*state };
    let mut clock = emit::Clock::unread();
    let conn = &state.conn;
    if conn.flags & (CONN_TRACKED | CONN_OWNED) == CONN_TRACKED | CONN_OWNED {
        // The close ends the captured flow too: one event for both.
        let flow = if is_captured(state.protocol) {
            FlowKey { sk, ino: state.ino }
        } else {
            FlowKey { sk: 0, ino: 0 }
        };
        emit::tcp_close(conn, flow, &mut clock);
        if may_reset_after_close(old) {
            tcp_reset::remember_closed(sk, conn, clock.now());
        }
    } else {
        capture::on_close(state, sk, &mut clock);
    }
    let _ = SOCKS.remove(&sk);
    Ok(())
}
