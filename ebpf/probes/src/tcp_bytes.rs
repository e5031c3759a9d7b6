//! Payload bytes and retransmits of tracked connections.
//!
//! `sock:sock_send_length` / `sock:sock_recv_length` fire in sock_sendmsg /
//! sock_recvmsg for every socket read or write (read(2), send(2), ...) in the
//! caller's context, with the `struct sock *`: one hash lookup for untracked
//! sockets.

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};
use sonde_common::{AF_INET, AF_INET6};

use crate::{config::conf, maps::CONNS};

const IPPROTO_TCP: u16 = 6;
const MSG_PEEK: i32 = 2;

/// sock:sock_send_length
#[tracepoint]
pub fn sonde_sock_send(ctx: TracePointContext) -> u32 {
    let _ = try_sock_length(&ctx, Direction::Sent);
    0
}

/// sock:sock_recv_length
#[tracepoint]
pub fn sonde_sock_recv(ctx: TracePointContext) -> u32 {
    let _ = try_sock_length(&ctx, Direction::Received);
    0
}

/// tcp:tcp_retransmit_skb
#[tracepoint]
pub fn sonde_tcp_retrans(ctx: TracePointContext) -> u32 {
    let _ = try_retransmit(&ctx);
    0
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Sent,
    Received,
}

#[inline(always)]
fn field<T>(ctx: &TracePointContext, offset: u32) -> Result<T, i64> {
    // SAFETY: bpf_probe_read within the tracepoint record.
    unsafe { ctx.read_at::<T>(offset as usize) }
}

/// Adds to a map value's counter. Not atomic (the BPF target has no
/// fetch_add in core): sends, receives and retransmits each have their own
/// counter, so only two threads writing one socket at once could lose a count.
#[inline(always)]
fn add(counter: *mut u64, value: u64) {
    // SAFETY: the pointer is into a live map value.
    unsafe { *counter += value };
}

fn try_sock_length(ctx: &TracePointContext, direction: Direction) -> Result<(), i64> {
    let family: u16 = field(ctx, conf!(fields.sock_length.family))?;
    if family != AF_INET && family != AF_INET6 {
        return Ok(());
    }
    let protocol: u16 = field(ctx, conf!(fields.sock_length.protocol))?;
    if protocol != IPPROTO_TCP {
        return Ok(());
    }
    let length: i32 = field(ctx, conf!(fields.sock_length.ret))?;
    if length <= 0 {
        return Ok(());
    }
    if direction == Direction::Received {
        let flags: i32 = field(ctx, conf!(fields.sock_length.flags))?;
        if flags & MSG_PEEK != 0 {
            return Ok(());
        }
    }
    let sk: u64 = field(ctx, conf!(fields.sock_length.sk))?;
    let Some(conn) = CONNS.get_ptr_mut(&sk) else {
        return Ok(());
    };
    // SAFETY: map value pointer valid for this program run.
    let counter = unsafe {
        match direction {
            Direction::Sent => &raw mut (*conn).bytes_sent,
            Direction::Received => &raw mut (*conn).bytes_received,
        }
    };
    add(counter, length as u64);
    Ok(())
}

fn try_retransmit(ctx: &TracePointContext) -> Result<(), i64> {
    let sk: u64 = field(ctx, conf!(fields.retransmit_skaddr))?;
    if let Some(conn) = CONNS.get_ptr_mut(&sk) {
        // SAFETY: map value pointer valid for this program run.
        add(unsafe { &raw mut (*conn).retransmits }, 1);
    }
    Ok(())
}
