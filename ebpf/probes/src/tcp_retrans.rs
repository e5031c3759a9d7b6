//! Retransmits of tracked connections.

use aya_ebpf::{macros::raw_tracepoint, programs::RawTracePointContext};

use crate::{maps::SOCKS, raw_args::arg};

/// raw tracepoint tcp_retransmit_skb (TP_PROTO: sk, skb, ...)
#[raw_tracepoint(tracepoint = "tcp_retransmit_skb")]
pub fn sonde_tcp_retrans(ctx: RawTracePointContext) -> i32 {
    if let Some(state) = SOCKS.get_ptr_mut(&arg(&ctx, 0)) {
        // SAFETY: map value pointer valid for this program run. Not atomic,
        // as the byte counters (sock_io.rs).
        unsafe { (*state).conn.retransmits += 1 };
    }
    0
}
