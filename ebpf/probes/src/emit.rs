//! Writing events into the `EVENTS` ring buffer, counting what cannot be.

use core::mem::MaybeUninit;

use aya_ebpf::helpers::gen::bpf_ktime_get_ns;
use sonde_common::{ConnInfo, EventHeader, EventKind, FlowKey, TaskInfo, TcpEvent};

use crate::{counters, maps::EVENTS};

/// Head of an event of `kind` for `task`, stamped `timestamp_ns`.
#[inline(always)]
pub fn header(kind: EventKind, task: TaskInfo, timestamp_ns: u64) -> EventHeader {
    EventHeader {
        kind: kind as u32,
        _pad: 0,
        timestamp_ns,
        task,
    }
}

/// The clock and the ring's fill level, each read once per program run at
/// most: the events of one run (an accept, the flow it opens, its first
/// bytes) share one stamp and one wakeup decision.
pub struct Clock {
    now: u64,
    /// [`wakeup_flags`], 0 until asked.
    wakeup: u64,
}

impl Clock {
    #[inline(always)]
    pub fn unread() -> Clock {
        let mut clock = MaybeUninit::<Clock>::uninit();
        // SAFETY: both fields written.
        unsafe {
            Clock::unread_at(clock.as_mut_ptr());
            clock.assume_init()
        }
    }

    /// Writes an unread clock at `at`, a field at a time (volatile: two
    /// zeroes side by side otherwise become a byte-by-byte memset call).
    ///
    /// # Safety
    /// `at` must be valid for writes.
    #[inline(always)]
    pub unsafe fn unread_at(at: *mut Clock) {
        // SAFETY: the caller's.
        unsafe {
            core::ptr::addr_of_mut!((*at).now).write_volatile(0);
            core::ptr::addr_of_mut!((*at).wakeup).write_volatile(0);
        }
    }

    #[inline(always)]
    pub fn now(&mut self) -> u64 {
        if self.now == 0 {
            self.now = now();
        }
        self.now
    }

    #[inline(always)]
    pub fn wakeup_flags(&mut self) -> u64 {
        if self.wakeup == 0 {
            self.wakeup = wakeup_flags();
        }
        self.wakeup
    }
}

/// Bytes waiting in the ring buffer beyond which a submit wakes the agent.
/// Below it the agent is not woken per event (one wakeup per event costs
/// far more than the event); it drains the ring on a short timer instead.
const WAKEUP_THRESHOLD: u64 = 256 * 1024;
const BPF_RB_AVAIL_DATA: u64 = 0;
const BPF_RB_NO_WAKEUP: u64 = 1;
const BPF_RB_FORCE_WAKEUP: u64 = 2;

/// Flags for a ring-buffer submit: wake the agent only when data piles up.
#[inline(always)]
pub fn wakeup_flags() -> u64 {
    if EVENTS.query(BPF_RB_AVAIL_DATA) >= WAKEUP_THRESHOLD {
        BPF_RB_FORCE_WAKEUP
    } else {
        BPF_RB_NO_WAKEUP
    }
}

/// Copies `from` to `to` a word at a time. A plain struct assignment
/// through a raw pointer (a ring-buffer slot) becomes a call to this
/// target's memmove, which loops a byte at a time.
///
/// # Safety
/// `to` must be valid for writes and 8-aligned.
#[inline(always)]
pub unsafe fn copy_words<T: Copy>(to: *mut T, from: &T) {
    const { assert!(core::mem::size_of::<T>().is_multiple_of(8) && core::mem::align_of::<T>() >= 8) };
    let (to, from) = (to.cast::<u64>(), (from as *const T).cast::<u64>());
    let mut i = 0;
    while i < core::mem::size_of::<T>() / 8 {
        // SAFETY: within both values, by the caller and the assertion.
        unsafe { to.add(i).write_volatile(from.add(i).read()) };
        i += 1;
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
#[inline(always)]
pub fn now() -> u64 {
    // SAFETY: helper without arguments.
    unsafe { bpf_ktime_get_ns() }
}

/// Emits a TCP event about `conn`, attributed to its owner.
#[inline(always)]
pub fn tcp_event(kind: EventKind, conn: &ConnInfo, error: i32, state: u32, clock: &mut Clock) {
    tcp_event_of(kind, conn, error, state, FlowKey { sk: 0, ino: 0 }, clock);
}

/// Emits the close of `conn`, which also ends the captured `flow` (zero
/// when it was not captured).
#[inline(always)]
pub fn tcp_close(conn: &ConnInfo, flow: FlowKey, clock: &mut Clock) {
    tcp_event_of(EventKind::TcpClose, conn, 0, 0, flow, clock);
}

#[inline(always)]
fn tcp_event_of(
    kind: EventKind,
    conn: &ConnInfo,
    error: i32,
    state: u32,
    flow: FlowKey,
    clock: &mut Clock,
) {
    counters::seen(kind);
    let Some(mut entry) = EVENTS.reserve::<TcpEvent>(0) else {
        counters::ringbuf_full(kind);
        return;
    };
    let event = entry.as_mut_ptr();
    // SAFETY: `event` points to a reserved, writable ring-buffer slot; every
    // field is written. Field by field, the constant zeroes volatile: a
    // struct literal with zeroes side by side becomes a call to this
    // target's byte-by-byte memset.
    unsafe {
        (*event).header = header(kind, conn.owner, clock.now());
        copy_words(core::ptr::addr_of_mut!((*event).endpoints), &conn.endpoints);
        (*event).role = conn.role;
        (*event).error = error;
        (*event).start_ns = conn.start_ns;
        (*event).bytes_sent = conn.bytes_sent;
        (*event).bytes_received = conn.bytes_received;
        (*event).retransmits = conn.retransmits;
        core::ptr::addr_of_mut!((*event).state).write_volatile(state);
        core::ptr::addr_of_mut!((*event)._pad).write_volatile(0);
        core::ptr::addr_of_mut!((*event).flow.sk).write_volatile(flow.sk);
        core::ptr::addr_of_mut!((*event).flow.ino).write_volatile(flow.ino);
    }
    entry.submit(clock.wakeup_flags());
}
