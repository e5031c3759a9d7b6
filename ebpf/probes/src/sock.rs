//! Fields of a `struct sock`, at offsets the agent resolved from BTF.

use core::mem::MaybeUninit;

use sonde_common::{Endpoints, AF_INET, AF_INET6};

use crate::{
    config::conf,
    kernel::{read, read_raw, ReadFailed},
};

pub const IPPROTO_TCP: u16 = 6;
const SOCK_STREAM: u16 = 1;

/// What a socket is, as far as sonde cares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// TCP over IPv4 or IPv6.
    Tcp,
    /// A stream socket with protocol 0: a Unix stream socket, or another
    /// family's (vsock...), which the family tells apart.
    StreamZero,
    /// Anything else (UDP, raw, netlink, MPTCP...).
    Other,
}

/// `sk_type` and `sk_protocol`, in one read when they are neighbours (they
/// are: two u16 next to each other in every kernel sonde supports).
#[inline(always)]
pub fn kind(sk: u64) -> Result<Kind, ReadFailed> {
    let (type_at, protocol_at) = (conf!(kernel.sock_type), conf!(kernel.sock_protocol));
    let (sk_type, protocol) = if protocol_at + 2 == type_at {
        let both: u32 = read(sk, protocol_at)?;
        (both >> 16, both & 0xffff)
    } else if type_at + 2 == protocol_at {
        let both: u32 = read(sk, type_at)?;
        (both & 0xffff, both >> 16)
    } else {
        (
            u32::from(read::<u16>(sk, type_at)?),
            u32::from(read::<u16>(sk, protocol_at)?),
        )
    };
    Ok(if sk_type != u32::from(SOCK_STREAM) {
        Kind::Other
    } else if protocol == u32::from(IPPROTO_TCP) {
        Kind::Tcp
    } else if protocol == 0 {
        Kind::StreamZero
    } else {
        Kind::Other
    })
}

/// `sk_protocol`.
#[inline(always)]
pub fn protocol(sk: u64) -> Result<u16, ReadFailed> {
    read(sk, conf!(kernel.sock_protocol))
}

/// `skc_state`, a TCP_* state.
#[inline(always)]
pub fn state(sk: u64) -> u32 {
    read::<u8>(sk, conf!(kernel.sock_state))
        .map(u32::from)
        .unwrap_or(0)
}

/// Bytes from the start of a `struct sock` read at once for the endpoints:
/// every field they need sits in `struct sock_common`'s first 88 bytes on
/// x86_64 (one read instead of five).
const COMMON_BYTES: usize = 128;

/// Both ends of the socket as it stands now. A function of its own: its
/// buffer would not fit in its callers' stack frames.
#[inline(never)]
pub fn endpoints(sk: u64) -> Result<Endpoints, ReadFailed> {
    let local_port: u16 = read(sk, conf!(kernel.inet_sport))?;
    let fits = |offset: u32, len: u32| offset + len <= COMMON_BYTES as u32;
    let mut ends = if fits(conf!(kernel.sock_family), 2)
        && fits(conf!(kernel.sock_dport), 2)
        && fits(conf!(kernel.sock_rcv_saddr), 4)
        && fits(conf!(kernel.sock_daddr), 4)
        && fits(conf!(kernel.sock_v6_rcv_saddr), 16)
        && fits(conf!(kernel.sock_v6_daddr), 16)
    {
        // Not zeroed first: this target zeroes a byte at a time, and the
        // read fills it all (or fails).
        let mut common = MaybeUninit::<Block>::uninit();
        read_raw(sk, 0, common.as_mut_ptr().cast(), COMMON_BYTES as u32)?;
        // SAFETY: the read filled every byte.
        unsafe { common.assume_init_ref() }.endpoints()
    } else {
        endpoints_field_by_field(sk)?
    };
    ends.local_port = u16::from_be(local_port);
    Ok(ends)
}

/// The start of a `struct sock`, aligned so that its fields can be picked
/// out; indices are masked so that the verifier sees them in bounds.
#[repr(C, align(8))]
struct Block([u8; COMMON_BYTES]);

impl Block {
    #[inline(always)]
    fn bytes<const N: usize>(&self, offset: u32) -> [u8; N] {
        let start = offset as usize & (COMMON_BYTES - 1);
        let mut out = [0u8; N];
        let mut i = 0;
        while i < N {
            out[i] = self.0[(start + i) & (COMMON_BYTES - 1)];
            i += 1;
        }
        out
    }

    /// Family, remote port and addresses (the local port is not here).
    #[inline(always)]
    fn endpoints(&self) -> Endpoints {
        let family = u16::from_ne_bytes(self.bytes(conf!(kernel.sock_family)));
        let remote_port = u16::from_be_bytes(self.bytes(conf!(kernel.sock_dport)));
        let mut ends = Endpoints {
            family,
            remote_port,
            ..Endpoints::default()
        };
        if family == AF_INET {
            ends.local_addr[..4].copy_from_slice(&self.bytes::<4>(conf!(kernel.sock_rcv_saddr)));
            ends.remote_addr[..4].copy_from_slice(&self.bytes::<4>(conf!(kernel.sock_daddr)));
        } else if family == AF_INET6 {
            ends.local_addr = self.bytes(conf!(kernel.sock_v6_rcv_saddr));
            ends.remote_addr = self.bytes(conf!(kernel.sock_v6_daddr));
        }
        ends
    }
}

/// [`endpoints`] but the local port, for a `sock_common` laid out otherwise.
#[inline(always)]
fn endpoints_field_by_field(sk: u64) -> Result<Endpoints, ReadFailed> {
    let family: u16 = read(sk, conf!(kernel.sock_family))?;
    let remote_port: u16 = read(sk, conf!(kernel.sock_dport))?;
    let mut ends = Endpoints {
        family,
        remote_port: u16::from_be(remote_port),
        ..Endpoints::default()
    };
    if family == AF_INET {
        let local: [u8; 4] = read(sk, conf!(kernel.sock_rcv_saddr))?;
        let remote: [u8; 4] = read(sk, conf!(kernel.sock_daddr))?;
        ends.local_addr[..4].copy_from_slice(&local);
        ends.remote_addr[..4].copy_from_slice(&remote);
    } else if family == AF_INET6 {
        ends.local_addr = read(sk, conf!(kernel.sock_v6_rcv_saddr))?;
        ends.remote_addr = read(sk, conf!(kernel.sock_v6_daddr))?;
    }
    Ok(ends)
}

/// Inode number of the socket's `struct socket` (unique while it lives).
#[inline(always)]
pub fn inode(sk: u64) -> Result<u64, ReadFailed> {
    let socket: u64 = read(sk, conf!(kernel.sock_socket))?;
    read(socket, conf!(kernel.socket_ino))
}
