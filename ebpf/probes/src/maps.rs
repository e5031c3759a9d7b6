//! Maps shared by the programs.

use aya_ebpf::{
    macros::map,
    maps::{LruHashMap, PerCpuArray, RingBuf},
};
use sonde_common::{ConnInfo, COUNTER_SLOTS};

/// Events to the agent. The agent sets the size at load (`--ring-buffer-mib`).
#[map]
pub static EVENTS: RingBuf = RingBuf::with_byte_size(8 << 20, 0);

/// What the programs know about a socket: one entry, one lookup per read or
/// write, whatever the programs use it for.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SockState {
    /// Lifecycle, owner and byte counts (see `CONN_*` flags).
    pub conn: ConnInfo,
    /// Inode of the socket once known (0 before): part of the flow's
    /// identity, and for Unix sockets, whose closes are not traced, the
    /// proof that the key was not reused by a new socket.
    pub ino: u64,
    /// `AF_UNIX` for a Unix socket; 0 for TCP (its endpoints, once read,
    /// say IPv4 or IPv6).
    pub family: u16,
    pub _pad: u16,
    /// `PROTOCOL_*` of its payload (capture.rs).
    pub protocol: u32,
    /// `ROLE_*` of our side, from the payload's first bytes.
    pub flow_role: u32,
    /// Reads too short to classify so far.
    pub attempts: u32,
}

/// Sockets by `struct sock *`: TCP connections from their opening (connect,
/// handshake) to their close, and any socket of an observed process from
/// its first read or write. LRU so that sockets whose end we never see
/// (Unix, UDP) cannot fill it for good.
#[map]
pub static SOCKS: LruHashMap<u64, SockState> = LruHashMap::with_max_entries(65_536, 0);

/// Per-CPU counters, slots defined in `sonde_common::counters`.
#[map]
pub static COUNTERS: PerCpuArray<u64> = PerCpuArray::with_max_entries(COUNTER_SLOTS, 0);
