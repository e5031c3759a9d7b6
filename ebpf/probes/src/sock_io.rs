//! Socket reads and writes, from the `sock_send_length` / `sock_recv_length`
//! raw tracepoints (TP_PROTO: sk, ret, flags). They fire in sock_sendmsg /
//! sock_recvmsg for every socket read or write (read(2), send(2), ...) in
//! the caller's context, after the bytes are in the user's buffer.
//!
//! One `SOCKS` lookup per call. It counts the payload bytes of tracked TCP
//! connections, gives an accepted connection its owner (the first task to
//! use it), and feeds payload capture (capture.rs). A socket nobody tracks
//! (most of them belong to tasks the filter drops) costs the lookup and the
//! filter's cheapest questions (socks::adopt).

use core::mem::MaybeUninit;

use aya_ebpf::{macros::raw_tracepoint, programs::RawTracePointContext};
use sonde_common::{EventKind, CONN_OWNED, CONN_TRACKED, DIRECTION_RECEIVED, DIRECTION_SENT};

use crate::{capture, emit, kernel::ReadFailed, maps::SOCKS, raw_args::arg, run::Run, socks};

const MSG_PEEK: i32 = 2;

/// raw tracepoint sock_send_length
#[raw_tracepoint(tracepoint = "sock_send_length")]
pub fn sonde_sock_send(ctx: RawTracePointContext) -> i32 {
    let _ = on_io(&ctx, DIRECTION_SENT);
    0
}

/// raw tracepoint sock_recv_length
#[raw_tracepoint(tracepoint = "sock_recv_length")]
pub fn sonde_sock_recv(ctx: RawTracePointContext) -> i32 {
    let _ = on_io(&ctx, DIRECTION_RECEIVED);
    0
}

#[inline(always)]
fn on_io(ctx: &RawTracePointContext, direction: u32) -> Result<(), ReadFailed> {
    let length = arg(ctx, 1) as i32;
    if length <= 0 {
        return Ok(());
    }
    if direction == DIRECTION_RECEIVED && (arg(ctx, 2) as i32) & MSG_PEEK != 0 {
        return Ok(());
    }
    let sk = arg(ctx, 0);
    let mut slot = MaybeUninit::uninit();
    let run = Run::start(&mut slot);
    let state = match SOCKS.get_ptr_mut(&sk) {
        // SAFETY: map value pointer valid for this program run.
        Some(state) if socks::is_current(unsafe { &*state }, sk) => state,
        _ => match socks::adopt(sk, &mut run.task)? {
            Some(state) => state,
            None => return Ok(()),
        },
    };
    // SAFETY: map value pointer valid for this program run.
    let state = unsafe { &mut *state };
    if state.conn.flags & CONN_OWNED == 0 {
        if !socks::claim(state, sk, run) {
            let _ = SOCKS.remove(&sk);
            return Ok(());
        }
        // Reported with the flow this run opens, if it opens one: one
        // event instead of two.
        run.accept_pending = true;
    }
    let conn = &mut state.conn;
    if conn.flags & CONN_TRACKED != 0 {
        // Not atomic (the BPF target has no fetch_add in core): sends and
        // receives each have their own counter, so only two threads writing
        // one socket at once could lose a count.
        if direction == DIRECTION_SENT {
            conn.bytes_sent += length as u64;
        } else {
            conn.bytes_received += length as u64;
        }
    }
    capture::on_socket_io(state, sk, length as u32, direction, run);
    if run.accept_pending {
        // Not classified (yet), or not a protocol sonde captures.
        emit::tcp_event(EventKind::TcpAccept, &state.conn, 0, 0, &mut run.clock);
    }
    Ok(())
}
