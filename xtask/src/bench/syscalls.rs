//! What the agent costs a process whose syscalls it does not need: tight loops
//! of 100-byte write(2) to a file and sendto(2) on UDP and TCP sockets, timed
//! here, in the benchmark process itself.
//!
//! Which path each takes with the agent loaded:
//! - write(2) to a file reaches no sonde program (sonde attaches no syscall
//!   tracepoint, which would put every syscall of every task on the slow
//!   path): whatever it costs is noise or cache pressure.
//! - sendto(2) on any socket runs `sonde_sock_send` (raw tracepoint
//!   `sock_send_length`, in `sock_sendmsg`), which must decide the socket is
//!   not one it reports on. TCP also reaches the receiving side's
//!   `sock_recv_length` in the sink thread.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom, Write},
    net::{Ipv4Addr, TcpListener, TcpStream, UdpSocket},
    path::Path,
    thread::{self, JoinHandle},
    time::Instant,
};

use anyhow::{ensure, Context, Result};

/// A syscall loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Call {
    FileWrite,
    UdpSend,
    TcpSend,
}

impl Call {
    pub const ALL: [Call; 3] = [Call::FileWrite, Call::UdpSend, Call::TcpSend];

    pub fn describe(self) -> &'static str {
        match self {
            Call::FileWrite => "write(2) 100 B to a file",
            Call::UdpSend => "sendto(2) 100 B, connected UDP",
            Call::TcpSend => "sendto(2) 100 B, TCP to a local sink",
        }
    }

    /// Whether a sonde program runs on this call.
    pub fn hooked(self) -> bool {
        !matches!(self, Call::FileWrite)
    }

    pub fn path(self) -> &'static str {
        match self {
            Call::FileWrite => "unhooked",
            Call::UdpSend => "hooked: sock_send_length",
            Call::TcpSend => "hooked: sock_send_length (+ sink's sock_recv_length)",
        }
    }

    /// The goal on the added cost, in ns per call.
    pub fn goal_ns(self) -> f64 {
        if self.hooked() {
            150.0
        } else {
            60.0
        }
    }
}

const PAYLOAD: [u8; 100] = [b'x'; 100];

/// The file, sockets and sink thread the loops use, set up once.
#[derive(Debug)]
pub struct Loops {
    file: File,
    udp: UdpSocket,
    /// Bound and never read: once its buffer is full, datagrams are dropped
    /// on arrival, which keeps every send the same amount of work.
    _udp_sink: UdpSocket,
    tcp: Option<TcpStream>,
    tcp_sink: Option<JoinHandle<u64>>,
}

impl Loops {
    pub fn new(dir: &Path) -> Result<Loops> {
        let path = dir.join("write-loop.dat");
        let file = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let udp_sink = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        udp.connect(udp_sink.local_addr()?)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let tcp = TcpStream::connect(listener.local_addr()?)?;
        // One segment per send, not whatever Nagle would batch.
        tcp.set_nodelay(true)?;
        let (mut accepted, _) = listener.accept()?;
        let tcp_sink = thread::spawn(move || {
            let mut buffer = vec![0u8; 256 * 1024];
            let mut total = 0u64;
            while let Ok(n) = accepted.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
            total
        });
        Ok(Loops {
            file,
            udp,
            _udp_sink: udp_sink,
            tcp: Some(tcp),
            tcp_sink: Some(tcp_sink),
        })
    }

    /// Makes `calls` calls of `call` and returns the mean wall time of one, in ns.
    pub fn measure(&mut self, call: Call, calls: u64) -> Result<f64> {
        if call == Call::FileWrite {
            // Every repetition writes the same range of a fresh file.
            self.file.set_len(0)?;
            self.file.seek(SeekFrom::Start(0))?;
        }
        let started = Instant::now();
        match call {
            Call::FileWrite => {
                for _ in 0..calls {
                    let n = self.file.write(&PAYLOAD)?;
                    ensure!(n == PAYLOAD.len(), "short write");
                }
            }
            Call::UdpSend => {
                for _ in 0..calls {
                    let n = self.udp.send(&PAYLOAD)?;
                    ensure!(n == PAYLOAD.len(), "short send");
                }
            }
            Call::TcpSend => {
                let tcp = self.tcp.as_mut().context("the TCP loop is closed")?;
                for _ in 0..calls {
                    // write(2) on a socket would also be a sendmsg; std's
                    // TcpStream::write is send(2), i.e. sendto(2) on x86-64.
                    tcp.write_all(&PAYLOAD)?;
                }
            }
        }
        Ok(started.elapsed().as_nanos() as f64 / calls.max(1) as f64)
    }
}

impl Drop for Loops {
    fn drop(&mut self) {
        drop(self.tcp.take());
        if let Some(sink) = self.tcp_sink.take() {
            let _ = sink.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_loop_runs() {
        let dir = std::env::temp_dir().join(format!("sonde-bench-loops-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        {
            let mut loops = Loops::new(&dir).unwrap();
            for call in Call::ALL {
                let per_call = loops.measure(call, 1000).unwrap();
                assert!(per_call > 0.0, "{call:?}");
                assert!(per_call < 1e6, "{call:?}: {per_call} ns");
            }
            let written = loops.file.metadata().unwrap().len();
            assert_eq!(written, 100_000);
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(Call::TcpSend.hooked() && !Call::FileWrite.hooked());
        assert_eq!(Call::FileWrite.goal_ns(), 60.0);
    }
}
