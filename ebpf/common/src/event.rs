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
}

/// One more than the largest [`EventKind`] value: the size of per-kind tables.
pub const EVENT_KIND_SLOTS: u32 = 9;

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::TcpConnect,
        EventKind::TcpAccept,
        EventKind::TcpClose,
        EventKind::TcpConnectFailed,
        EventKind::TcpResetSent,
        EventKind::TcpResetReceived,
        EventKind::ProcessExec,
        EventKind::ProcessExit,
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
        }
    }

    /// The kernel program that produces this kind, used as the `probe` label.
    pub fn probe(self) -> &'static str {
        match self {
            EventKind::TcpConnect | EventKind::TcpConnectFailed | EventKind::TcpClose => {
                "tcp_state"
            }
            EventKind::TcpAccept => "tcp_accept",
            EventKind::TcpResetSent | EventKind::TcpResetReceived => "tcp_reset",
            EventKind::ProcessExec => "process_exec",
            EventKind::ProcessExit => "process_exit",
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
#[repr(C)]
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
    /// [`CONN_OWNED`] once the owning task is known and passed the filter.
    pub flags: u32,
    pub start_ns: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub retransmits: u64,
}

/// The connection's owner is known and matched the filter: report it.
pub const CONN_OWNED: u32 = 1;

#[cfg(feature = "user")]
mod pod {
    // SAFETY: plain #[repr(C)] data without implicit padding.
    unsafe impl aya::Pod for super::ConnInfo {}
}
