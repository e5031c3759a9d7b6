//! Entries of `SOCKS`: made when a socket is first seen, given their owner,
//! checked for reuse.

use core::mem::MaybeUninit;

use sonde_common::{AF_UNIX, CONN_OWNED, PROTOCOL_UNKNOWN};

use crate::{
    config::conf,
    counters,
    kernel::{self, ReadFailed},
    maps::{SockState, SOCKS},
    run::Run,
    sock, task,
};

/// A new entry for a socket of `family` (`AF_UNIX`, or 0 for TCP), made
/// in `slot`: all zeroes but the family and the protocol.
///
/// In place, and zeroed a word at a time with volatile stores: a zeroed
/// struct otherwise becomes a call to this target's memset, which loops a
/// byte at a time (a few hundred instructions per entry).
#[inline(always)]
pub fn fresh(slot: &mut MaybeUninit<SockState>, family: u16, protocol: u32) -> &mut SockState {
    const WORDS: usize = core::mem::size_of::<SockState>() / 8;
    const _: () = assert!(core::mem::size_of::<SockState>().is_multiple_of(8));
    let words = slot.as_mut_ptr().cast::<u64>();
    let mut i = 0;
    while i < WORDS {
        // SAFETY: within the (8-aligned) slot.
        unsafe { words.add(i).write_volatile(0) };
        i += 1;
    }
    // SAFETY: every byte zeroed, and all-zero is a valid SockState.
    let state = unsafe { slot.assume_init_mut() };
    state.family = family;
    state.protocol = protocol;
    state
}

/// Starts tracking `sk` as `state` (replacing any entry); None, counted,
/// when the table is full.
#[inline(always)]
pub fn track(sk: u64, state: &SockState) -> Option<*mut SockState> {
    if SOCKS.insert(&sk, state, 0).is_err() {
        counters::conn_table_full();
        return None;
    }
    SOCKS.get_ptr_mut(&sk)
}

/// The first read or write of a socket sonde did not see open (opened
/// before it started): tracked from now on when it is TCP or a Unix stream
/// and the task is observed, its payload to be classified. Other sockets
/// (UDP...) are never tracked: nothing of them is reported.
///
/// Every read or write of a socket nobody tracks comes here, most of them
/// from tasks the filter drops: the cheapest question goes first (thread
/// group and cgroup, two helper calls), then the socket's kind (one read),
/// and the task's name (for `--comm`) last.
#[inline(always)]
pub fn adopt(sk: u64, task: &mut task::Current) -> Result<Option<*mut SockState>, ReadFailed> {
    if !task.may_be_observed() {
        return Ok(None);
    }
    let family = match sock::kind(sk)? {
        sock::Kind::Tcp => 0,
        sock::Kind::StreamZero
            if kernel::read::<u16>(sk, conf!(kernel.sock_family))? == AF_UNIX =>
        {
            AF_UNIX
        }
        _ => return Ok(None),
    };
    let owner = task.get();
    if !task::is_observed(&owner) {
        return Ok(None);
    }
    let mut slot = MaybeUninit::uninit();
    let state = fresh(&mut slot, family, PROTOCOL_UNKNOWN);
    state.conn.owner = owner;
    state.conn.flags = CONN_OWNED;
    state.ino = sock::inode(sk)?;
    Ok(track(sk, state))
}

/// Whether `state` still describes `sk`. Unix sockets are not traced to
/// their end, so their key may now be another socket's: the inode tells.
#[inline(always)]
pub fn is_current(state: &SockState, sk: u64) -> bool {
    if state.family != AF_UNIX || state.ino == 0 {
        return true;
    }
    matches!(sock::inode(sk), Ok(ino) if ino == state.ino)
}

/// The task running now uses a connection whose owner is not known yet (its
/// handshake completed in softirq context): it becomes the owner, and the
/// endpoints are read (not before: most accepted connections on a host may
/// be filtered out). The caller reports the accept. False when the filter
/// does not keep the task: the caller then forgets the connection.
#[inline(always)]
pub fn claim(state: &mut SockState, sk: u64, run: &mut Run) -> bool {
    if !run.task.may_be_observed() {
        return false;
    }
    let owner = run.task.get();
    if !task::is_observed(&owner) {
        return false;
    }
    state.conn.owner = owner;
    state.conn.flags |= CONN_OWNED;
    if state.conn.endpoints.family == 0 {
        if let Ok(ends) = sock::endpoints(sk) {
            state.conn.endpoints = ends;
        }
    }
    true
}
