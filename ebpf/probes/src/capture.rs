//! Payload capture for connections carrying a protocol sonde parses.
//!
//! Runs from the `sock_send_length` / `sock_recv_length` raw tracepoints,
//! i.e. only for socket I/O, after the bytes are in the user's buffer. The
//! first times a socket carries data it is classified from its first bytes;
//! for connections classified as a protocol sonde parses (HTTP/1.x, and the
//! client side of PostgreSQL, MySQL and Redis), each read or write's
//! payload prefix (and tail) is copied to the ring buffer. Everything else costs
//! nothing beyond the `SOCKS` lookup the caller made.
//!
//! The buffer comes from the syscall's arguments in the task's saved user
//! registers (`task->stack` + an offset measured at load, see calibrate.rs).

use aya_ebpf::{
    helpers::{bpf_probe_read_kernel_str_bytes, gen::bpf_probe_read_user},
    macros::map,
    maps::PerCpuArray,
};
use sonde_common::{
    classify::{self, is_captured},
    EventKind, FlowClosedEvent, FlowDataHeader, FlowKey, FlowOpenedEvent, AF_UNIX, CAPTURE_MAX,
    CAPTURE_TAIL, PROTOCOL_OTHER, PROTOCOL_UNKNOWN, UNIX_PATH_LEN,
};

use crate::{
    config::conf,
    counters, emit,
    kernel::{self, ReadFailed},
    maps::{SockState, EVENTS},
    run::Run,
    sock,
};

/// Payloads of a connection that match no protocol before giving up on
/// it: a pooled client connection may first show the end of a reply.
const CLASSIFY_ATTEMPTS: u32 = 3;
/// iovecs of a readv/writev/recvmsg/sendmsg copied at most.
const MAX_IOVECS: u32 = 8;

/// A FlowData record being assembled (too large for the BPF stack).
#[repr(C)]
pub struct Scratch {
    head: FlowDataHeader,
    /// Three times the largest capture so that masked offsets and lengths
    /// provably stay inside, as the verifier requires.
    data: [u8; 3 * CAPTURE_MAX],
}

#[map]
static SCRATCH: PerCpuArray<Scratch> = PerCpuArray::with_max_entries(1, 0);

const OFFSET_MASK: usize = CAPTURE_MAX - 1;
const LENGTH_MASK: usize = 2 * CAPTURE_MAX - 1;

/// A read or write of `len` bytes on `sk`, an observed process's socket
/// described by `state`, just completed.
#[inline(always)]
pub fn on_socket_io(state: &mut SockState, sk: u64, len: u32, direction: u32, run: &mut Run) {
    if conf!(capture.max_bytes) == 0 || conf!(capture.regs.from_stack) == 0 {
        return;
    }
    if state.protocol == PROTOCOL_OTHER {
        return;
    }
    let _ = try_socket_io(state, sk, len, direction, run);
}

fn try_socket_io(
    state: &mut SockState,
    sk: u64,
    len: u32,
    direction: u32,
    run: &mut Run,
) -> Result<(), ReadFailed> {
    let Some(source) = syscall_payload() else {
        return Ok(()); // sendfile, splice, io_uring...: not a plain read/write
    };
    if state.protocol == PROTOCOL_UNKNOWN {
        classify(state, &source, len, direction);
        if !is_captured(state.protocol) {
            return Ok(());
        }
        if state.ino == 0 {
            // Accepted in softirq context: the socket had no inode yet.
            state.ino = sock::inode(sk)?;
        }
        flow_opened(FlowKey { sk, ino: state.ino }, sk, state, run);
    }
    copy_payload(FlowKey { sk, ino: state.ino }, &source, len, direction, run);
    Ok(())
}

/// Where the syscall's payload is in user memory.
enum Source {
    Buffer(u64),
    Iovecs { iov: u64, count: u64 },
}

#[inline(always)]
fn user<T>(address: u64) -> Result<T, ReadFailed> {
    // SAFETY: bpf_probe_read_user checks the address and fails cleanly.
    unsafe { aya_ebpf::helpers::bpf_probe_read_user(address as *const T) }.map_err(|_| ReadFailed)
}

/// The saved user registers a syscall's payload is found from, read at
/// once: on x86_64 `dx`, `si`, `di` and `orig_ax` are neighbours.
#[repr(C)]
struct Regs([u64; 4]);

impl Regs {
    /// The register at byte `offset` of the block (masked in bounds).
    #[inline(always)]
    fn at(&self, offset: u32) -> u64 {
        self.0[(offset as usize / 8) & 3]
    }
}

/// The current syscall's payload, from the saved user registers.
fn syscall_payload() -> Option<Source> {
    let stack: u64 = kernel::read(kernel::current_task(), conf!(kernel.task_stack)).ok()?;
    let regs = stack.wrapping_add(conf!(capture.regs.from_stack));
    let (nr_at, arg1_at, arg2_at) = (
        conf!(capture.regs.nr),
        conf!(capture.regs.arg1),
        conf!(capture.regs.arg2),
    );
    let base = arg2_at;
    let in_block = |offset: u32| offset >= base && offset - base < 32 && offset.is_multiple_of(8);
    let (nr, arg1, arg2) = if in_block(nr_at) && in_block(arg1_at) {
        let block: Regs = kernel::read(regs, base).ok()?;
        (
            block.at(nr_at - base),
            block.at(arg1_at - base),
            block.at(0),
        )
    } else {
        let nr: u64 = kernel::read(regs, nr_at).ok()?;
        let arg1: u64 = kernel::read(regs, arg1_at).ok()?;
        let arg2: u64 = kernel::read(regs, arg2_at).ok()?;
        (nr, arg1, arg2)
    };
    let nr = nr as u32;
    if nr == conf!(capture.syscalls.read)
        || nr == conf!(capture.syscalls.write)
        || nr == conf!(capture.syscalls.recvfrom)
        || nr == conf!(capture.syscalls.sendto)
    {
        Some(Source::Buffer(arg1))
    } else if nr == conf!(capture.syscalls.readv) || nr == conf!(capture.syscalls.writev) {
        Some(Source::Iovecs {
            iov: arg1,
            count: arg2,
        })
    } else if nr == conf!(capture.syscalls.recvmsg) || nr == conf!(capture.syscalls.sendmsg) {
        // struct user_msghdr: msg_iov at 16, msg_iovlen at 24 (fixed by the ABI).
        let iov: u64 = user(arg1 + 16).ok()?;
        let count: u64 = user(arg1 + 24).ok()?;
        Some(Source::Iovecs { iov, count })
    } else {
        None
    }
}

/// The first 8 bytes of the payload (zero padded).
fn first_bytes(source: &Source) -> Option<[u8; 8]> {
    let base = match *source {
        Source::Buffer(buf) => buf,
        Source::Iovecs { iov, count } => {
            if count == 0 {
                return None;
            }
            user::<u64>(iov).ok()?
        }
    };
    user::<[u8; 8]>(base).ok()
}

/// Decides the connection's protocol and our side of it from its first
/// bytes (see sonde_common::classify); gives up after a few payloads.
fn classify(state: &mut SockState, source: &Source, len: u32, direction: u32) {
    let classified = first_bytes(source)
        .and_then(|bytes| classify::classify(&bytes, len, direction, state.conn.role));
    match classified {
        Some((protocol, role)) => {
            state.protocol = protocol;
            state.flow_role = role;
        }
        None => {
            state.attempts += 1;
            if state.attempts >= CLASSIFY_ATTEMPTS {
                state.protocol = PROTOCOL_OTHER;
            }
        }
    }
}

fn flow_opened(flow: FlowKey, sk: u64, state: &SockState, run: &mut Run) {
    let kind = EventKind::FlowOpened;
    counters::seen(kind);
    let Some(mut entry) = EVENTS.reserve::<FlowOpenedEvent>(0) else {
        counters::ringbuf_full(kind);
        return;
    };
    // A tracked connection's endpoints were read when it opened.
    let mut endpoints = state.conn.endpoints;
    if endpoints.family == 0 {
        endpoints = sock::endpoints(sk).unwrap_or_default();
    }
    if endpoints.family == 0 {
        endpoints.family = AF_UNIX;
    }
    let event = entry.as_mut_ptr();
    // SAFETY: `event` points to a reserved, writable ring-buffer slot.
    unsafe {
        (*event).header = emit::header(kind, run.task.get(), run.clock.now());
        (*event).flow = flow;
        (*event).protocol = state.protocol;
        (*event).role = state.flow_role;
        (*event).endpoints = endpoints;
        (*event).local_path[0] = 0;
        (*event).peer_path[0] = 0;
        (*event).accepted_ns = 0;
        if run.accept_pending {
            counters::seen(EventKind::TcpAccept);
            (*event).accepted_ns = state.conn.start_ns.max(1);
            run.accept_pending = false;
        }
        if endpoints.family == AF_UNIX {
            unix_path(sk, &mut (*event).local_path);
            if let Ok(peer) = kernel::read::<u64>(sk, conf!(kernel.unix_peer)) {
                unix_path(peer, &mut (*event).peer_path);
            }
        }
    }
    entry.submit(run.clock.wakeup_flags());
}

/// The path a Unix socket is bound to, into `out` (left empty if none).
#[inline(always)]
fn unix_path(sk: u64, out: &mut [u8; UNIX_PATH_LEN]) {
    let Ok(address) = kernel::read::<u64>(sk, conf!(kernel.unix_addr)) else {
        return;
    };
    if address == 0 {
        return;
    }
    let path = address + conf!(kernel.unix_address_path) as u64;
    // SAFETY: bpf_probe_read_kernel_str_bytes checks the address.
    let _ = unsafe { bpf_probe_read_kernel_str_bytes(path as *const u8, out) };
}

/// Copies `n` bytes from user `src` to `data[offset..]`.
#[inline(always)]
fn copy_user(data: &mut [u8; 3 * CAPTURE_MAX], offset: usize, src: u64, n: usize) -> bool {
    let offset = offset & OFFSET_MASK;
    let n = n & LENGTH_MASK;
    if n == 0 {
        return true;
    }
    // SAFETY: offset + n < 3 * CAPTURE_MAX by the masks.
    unsafe {
        bpf_probe_read_user(
            data.as_mut_ptr().add(offset) as *mut _,
            n as u32,
            src as *const _,
        ) == 0
    }
}

fn copy_payload(flow: FlowKey, source: &Source, len: u32, direction: u32, run: &mut Run) {
    let kind = EventKind::FlowData;
    let Some(scratch) = SCRATCH.get_ptr_mut(0) else {
        return;
    };
    // SAFETY: per-CPU slot, only this CPU uses it while we run.
    let scratch = unsafe { &mut *scratch };
    let total = len as usize;
    let mut cap = conf!(capture.max_bytes) as usize;
    if cap > CAPTURE_MAX {
        cap = CAPTURE_MAX;
    }
    if cap > total {
        cap = total;
    }
    let mut captured = 0usize;
    let mut tail = 0usize;
    match *source {
        Source::Buffer(buf) => {
            if copy_user(&mut scratch.data, 0, buf, cap) {
                captured = cap;
            }
            if total > cap && captured == cap {
                tail = total - cap;
                if tail > CAPTURE_TAIL {
                    tail = CAPTURE_TAIL;
                }
                if !copy_user(&mut scratch.data, cap, buf + (total - tail) as u64, tail) {
                    tail = 0;
                }
            }
        }
        Source::Iovecs { iov, count } => {
            let mut i = 0;
            while i < MAX_IOVECS && (i as u64) < count && captured < cap {
                let Ok(base) = user::<u64>(iov + i as u64 * 16) else {
                    break;
                };
                let Ok(iov_len) = user::<u64>(iov + i as u64 * 16 + 8) else {
                    break;
                };
                let mut n = cap - captured;
                if (iov_len as usize) < n {
                    n = iov_len as usize;
                }
                if !copy_user(&mut scratch.data, captured, base, n) {
                    break;
                }
                captured += n;
                i += 1;
            }
        }
    }
    counters::seen(kind);
    scratch.head = FlowDataHeader {
        header: emit::header(kind, run.task.get(), run.clock.now()),
        flow,
        direction,
        total_len: len,
        captured_len: captured as u32,
        tail_len: tail as u32,
    };
    let size = core::mem::size_of::<FlowDataHeader>() + ((captured + tail) & LENGTH_MASK);
    // SAFETY: `size` is within the scratch record (header + masked length).
    let record =
        unsafe { core::slice::from_raw_parts(scratch as *const Scratch as *const u8, size) };
    if EVENTS.output(record, run.clock.wakeup_flags()).is_err() {
        counters::ringbuf_full(kind);
    }
}

/// The connection of `state` closed: tell the agent if it was being captured
/// (a connection whose close is reported ends its flow with that event).
#[inline(always)]
pub fn on_close(state: &SockState, sk: u64, clock: &mut emit::Clock) {
    if !is_captured(state.protocol) {
        return;
    }
    let kind = EventKind::FlowClosed;
    counters::seen(kind);
    match EVENTS.reserve::<FlowClosedEvent>(0) {
        Some(mut entry) => {
            // Often in softirq context (a FIN or RST arriving): the task
            // running then is anyone's; the event belongs to the owner.
            entry.write(FlowClosedEvent {
                header: emit::header(kind, state.conn.owner, clock.now()),
                flow: FlowKey { sk, ino: state.ino },
            });
            entry.submit(clock.wakeup_flags());
        }
        None => counters::ringbuf_full(kind),
    }
}
