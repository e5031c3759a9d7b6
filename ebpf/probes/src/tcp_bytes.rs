//! Payload bytes and retransmits of tracked connections.
//!
//! The `sock_send_length` / `sock_recv_length` raw tracepoints (TP_PROTO: sk,
//! ret, flags) fire in sock_sendmsg / sock_recvmsg for every socket read or
//! write (read(2), send(2), ...) in the caller's context: one hash lookup for
//! sockets we do not track. `CONNS` only holds TCP sockets, so no family or
//! protocol check is needed. The same runs feed payload capture (capture.rs).

use aya_ebpf::{macros::raw_tracepoint, programs::RawTracePointContext};

use crate::{capture, maps::CONNS, raw_args::arg};

const MSG_PEEK: i32 = 2;

/// raw tracepoint sock_send_length
#[raw_tracepoint(tracepoint = "sock_send_length")]
pub fn sonde_sock_send(ctx: RawTracePointContext) -> i32 {
    count_payload(&ctx, Direction::Sent);
    0
}

/// raw tracepoint sock_recv_length
#[raw_tracepoint(tracepoint = "sock_recv_length")]
pub fn sonde_sock_recv(ctx: RawTracePointContext) -> i32 {
    count_payload(&ctx, Direction::Received);
    0
}

/// raw tracepoint tcp_retransmit_skb (TP_PROTO: sk, skb, ...)
#[raw_tracepoint(tracepoint = "tcp_retransmit_skb")]
pub fn sonde_tcp_retrans(ctx: RawTracePointContext) -> i32 {
    if let Some(conn) = CONNS.get_ptr_mut(&arg(&ctx, 0)) {
        // SAFETY: map value pointer valid for this program run.
        add(unsafe { &raw mut (*conn).retransmits }, 1);
    }
    0
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Sent,
    Received,
}

/// Adds to a map value's counter. Not atomic (the BPF target has no
/// fetch_add in core): sends, receives and retransmits each have their own
/// counter, so only two threads writing one socket at once could lose a count.
#[inline(always)]
fn add(counter: *mut u64, value: u64) {
    // SAFETY: the pointer is into a live map value.
    unsafe { *counter += value };
}

#[inline(always)]
fn count_payload(ctx: &RawTracePointContext, direction: Direction) {
    let length = arg(ctx, 1) as i32;
    if length <= 0 {
        return;
    }
    if direction == Direction::Received && (arg(ctx, 2) as i32) & MSG_PEEK != 0 {
        return;
    }
    let sk = arg(ctx, 0);
    if let Some(conn) = CONNS.get_ptr_mut(&sk) {
        // SAFETY: map value pointer valid for this program run.
        let counter = unsafe {
            match direction {
                Direction::Sent => &raw mut (*conn).bytes_sent,
                Direction::Received => &raw mut (*conn).bytes_received,
            }
        };
        add(counter, length as u64);
    }
    let direction = match direction {
        Direction::Sent => capture::SENT,
        Direction::Received => capture::RECEIVED,
    };
    capture::on_socket_io(sk, length as u32, direction);
}
