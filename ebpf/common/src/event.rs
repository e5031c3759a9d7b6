//! Events the kernel programs write to the `EVENTS` ring buffer.

/// Length of a task's `comm` (TASK_COMM_LEN).
pub const COMM_LEN: usize = 16;
/// Bytes of an executed file's path kept in a [`ProcessEvent`].
pub const PATH_LEN: usize = 256;

/// Kind of an event; the first field of every event.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    TcpConnect = 1,
    TcpAccept = 2,
    TcpClose = 3,
    TcpConnectFailed = 4,
    TcpResetSent = 5,
    TcpResetReceived = 6,
    ProcessExec = 7,
    ProcessExit = 8,
    /// A connection was classified as a protocol sonde parses.
    FlowOpened = 9,
    /// Bytes one read or write carried on such a connection.
    FlowData = 10,
    /// Such a connection closed.
    FlowClosed = 11,
}

/// One more than the largest [`EventKind`] value: the size of per-kind tables.
pub const EVENT_KIND_SLOTS: u32 = 12;

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::TcpConnect,
        EventKind::TcpAccept,
        EventKind::TcpClose,
        EventKind::TcpConnectFailed,
        EventKind::TcpResetSent,
        EventKind::TcpResetReceived,
        EventKind::ProcessExec,
        EventKind::ProcessExit,
        EventKind::FlowOpened,
        EventKind::FlowData,
        EventKind::FlowClosed,
    ];

    pub fn from_u32(value: u32) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| *k as u32 == value)
    }

    /// Name of the event as exported (`event.name`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::TcpConnect => "tcp.connect",
            EventKind::TcpAccept => "tcp.accept",
            EventKind::TcpClose => "tcp.close",
            EventKind::TcpConnectFailed => "tcp.connect_failed",
            EventKind::TcpResetSent => "tcp.reset_sent",
            EventKind::TcpResetReceived => "tcp.reset_received",
            EventKind::ProcessExec => "process.exec",
            EventKind::ProcessExit => "process.exit",
            EventKind::FlowOpened => "flow.opened",
            EventKind::FlowData => "flow.data",
            EventKind::FlowClosed => "flow.closed",
        }
    }

    /// The kernel program that produces this kind, used as the `probe` label
    /// (an accept is found by the socket programs or at close: named after
    /// the connection's lifecycle).
    pub fn probe(self) -> &'static str {
        match self {
            EventKind::TcpConnect
            | EventKind::TcpConnectFailed
            | EventKind::TcpAccept
            | EventKind::TcpClose => "tcp_state",
            EventKind::TcpResetSent | EventKind::TcpResetReceived => "tcp_reset",
            EventKind::ProcessExec => "process_exec",
            EventKind::ProcessExit => "process_exit",
            EventKind::FlowOpened | EventKind::FlowData | EventKind::FlowClosed => "capture",
        }
    }
}

/// The task an event belongs to.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskInfo {
    /// Thread group id (the process id as users know it).
    pub tgid: u32,
    /// Thread id.
    pub tid: u32,
    /// cgroup v2 id of the task.
    pub cgroup_id: u64,
    /// The task's `comm`, NUL padded.
    pub comm: [u8; COMM_LEN],
}

/// Common head of every event.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventHeader {
    /// An [`EventKind`] value.
    pub kind: u32,
    pub _pad: u32,
    /// CLOCK_MONOTONIC (bpf_ktime_get_ns) at the event.
    pub timestamp_ns: u64,
    pub task: TaskInfo,
}

/// Address family values as the kernel reports them.
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// Both ends of a TCP connection, as seen from the local socket.
///
/// 8-aligned (it sits at 8-aligned offsets of every event anyway): the
/// kernel programs then copy it a word at a time, not a byte at a time.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// [`AF_INET`] or [`AF_INET6`]; 0 when not yet known.
    pub family: u16,
    /// Host byte order.
    pub local_port: u16,
    /// Host byte order.
    pub remote_port: u16,
    pub _pad: u16,
    /// IPv4 in the first 4 bytes, or IPv6.
    pub local_addr: [u8; 16],
    pub remote_addr: [u8; 16],
}

/// Which side opened the connection.
pub const ROLE_CLIENT: u32 = 1;
pub const ROLE_SERVER: u32 = 2;

/// A TCP connection's lifecycle event: connect, accept, close, failure or reset.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpEvent {
    pub header: EventHeader,
    pub endpoints: Endpoints,
    /// [`ROLE_CLIENT`] or [`ROLE_SERVER`].
    pub role: u32,
    /// Positive errno for failed connects (`sk_err`); 0 otherwise.
    pub error: i32,
    /// When the connection started (connect() or the handshake's end).
    pub start_ns: u64,
    /// Payload bytes the owner wrote, as counted by sock_sendmsg.
    pub bytes_sent: u64,
    /// Payload bytes the owner read, as counted by sock_recvmsg.
    pub bytes_received: u64,
    pub retransmits: u64,
    /// TCP state of the socket when a reset was sent or received.
    pub state: u32,
    pub _pad: u32,
    /// A close of a captured connection: its flow, which this close also
    /// ends (no [`FlowClosedEvent`] is sent for it: one event, not two, at
    /// every close). Zero otherwise.
    pub flow: FlowKey,
}

/// A process started a new program, or a whole process exited.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessEvent {
    pub header: EventHeader,
    pub ppid: u32,
    /// `task_struct.exit_code`: wait(2) status (exit code << 8 | signal).
    pub exit_status: u32,
    /// Executed file, NUL terminated (exec only).
    pub filename: [u8; PATH_LEN],
}

/// A connection the kernel programs are tracking, keyed by `struct sock *`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnInfo {
    /// Who opened (connect) or accepted the connection.
    pub owner: TaskInfo,
    pub endpoints: Endpoints,
    pub role: u32,
    /// [`CONN_TRACKED`], and [`CONN_OWNED`] once the owning task is known
    /// and passed the filter.
    pub flags: u32,
    pub start_ns: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub retransmits: u64,
}

/// The connection's owner is known and matched the filter: report it.
pub const CONN_OWNED: u32 = 1;
/// Its opening was seen (connect, or a handshake completed while sonde
/// ran): its lifecycle and byte counts are reported.
pub const CONN_TRACKED: u32 = 2;

#[cfg(feature = "user")]
mod pod {
    // SAFETY: plain #[repr(C)] data without implicit padding.
    unsafe impl aya::Pod for super::ConnInfo {}
}

/// Application protocol of a connection, as classified from its first bytes.
pub const PROTOCOL_UNKNOWN: u32 = 0;
pub const PROTOCOL_HTTP1: u32 = 1;
pub const PROTOCOL_POSTGRES: u32 = 2;
pub const PROTOCOL_MYSQL: u32 = 3;
pub const PROTOCOL_REDIS: u32 = 4;
/// Classified as nothing sonde parses: only counted.
pub const PROTOCOL_OTHER: u32 = 255;

/// Direction of a read or write, from the observed process's side.
pub const DIRECTION_RECEIVED: u32 = 1;
pub const DIRECTION_SENT: u32 = 2;

/// Address family of Unix-domain sockets.
pub const AF_UNIX: u16 = 1;

/// A connection being captured: the kernel's `struct sock *` and the
/// socket's inode number (addresses are reused, inodes are not).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowKey {
    pub sk: u64,
    pub ino: u64,
}

/// A connection was classified: who owns it and its endpoints.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowOpenedEvent {
    pub header: EventHeader,
    pub flow: FlowKey,
    /// `PROTOCOL_*`.
    pub protocol: u32,
    /// [`ROLE_CLIENT`] or [`ROLE_SERVER`].
    pub role: u32,
    /// For [`AF_INET`]/[`AF_INET6`]; `family` is [`AF_UNIX`] for Unix sockets.
    pub endpoints: Endpoints,
    /// Unix sockets: the path this socket and its peer are bound to (NUL
    /// terminated; empty when unbound or abstract).
    pub local_path: [u8; UNIX_PATH_LEN],
    pub peer_path: [u8; UNIX_PATH_LEN],
    /// Non-zero when the connection's owner was found by the same read or
    /// write that opened the flow: this event then also reports the accept
    /// (no [`EventKind::TcpAccept`] is sent for it), and this is the
    /// connection's start (the handshake's end).
    pub accepted_ns: u64,
}

/// Bytes of a Unix socket path kept (sun_path is 108 bytes).
pub const UNIX_PATH_LEN: usize = 108;

/// A captured connection closed.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowClosedEvent {
    pub header: EventHeader,
    pub flow: FlowKey,
}

/// Largest payload prefix the kernel copies per read or write (per-CPU map
/// values are limited to 32 KiB and the copy buffer needs three times this).
pub const CAPTURE_MAX: usize = 8192;
/// Bytes copied from the end of a payload longer than the captured prefix.
pub const CAPTURE_TAIL: usize = 64;

/// Head of a [`EventKind::FlowData`] record; `captured_len` payload bytes
/// and then `tail_len` bytes from the payload's end follow it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowDataHeader {
    pub header: EventHeader,
    pub flow: FlowKey,
    /// `DIRECTION_*`.
    pub direction: u32,
    /// Bytes the syscall read or wrote in all.
    pub total_len: u32,
    /// Bytes of the payload's start that follow this header.
    pub captured_len: u32,
    /// Bytes of the payload's end that follow those.
    pub tail_len: u32,
}

const _: () = assert!(core::mem::size_of::<Endpoints>() == 40);
const _: () = assert!(core::mem::size_of::<TcpEvent>() == 152);
const _: () = assert!(core::mem::size_of::<FlowOpenedEvent>() == 336);
const _: () = assert!(core::mem::size_of::<FlowClosedEvent>() == 64);
const _: () = assert!(core::mem::size_of::<FlowDataHeader>() == 80);
