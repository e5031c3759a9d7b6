//! Fields of a `struct sock`, at offsets the agent resolved from BTF.

use sonde_common::{Endpoints, AF_INET, AF_INET6};

use crate::{
    config::conf,
    kernel::{read, ReadFailed},
};

pub const IPPROTO_TCP: u16 = 6;

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

/// Both ends of the socket as it stands now.
#[inline(always)]
pub fn endpoints(sk: u64) -> Result<Endpoints, ReadFailed> {
    let family: u16 = read(sk, conf!(kernel.sock_family))?;
    let local_port: u16 = read(sk, conf!(kernel.inet_sport))?;
    let remote_port: u16 = read(sk, conf!(kernel.sock_dport))?;
    let mut ends = Endpoints {
        family,
        local_port: u16::from_be(local_port),
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
