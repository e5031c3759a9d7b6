//! Ring-buffer records → typed events. Never trusts the record's length.

use std::mem::size_of;

use sonde_common::{
    EventHeader, EventKind, FlowClosedEvent, FlowDataHeader, FlowKey, FlowOpenedEvent,
    ProcessEvent, TcpEvent, ROLE_SERVER,
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("record of {0} bytes is shorter than an event header")]
    TooShort(usize),
    #[error("unknown event kind {0}")]
    UnknownKind(u32),
    #[error("flow data record of {len} bytes announces {announced} payload bytes")]
    BadPayloadLength { len: usize, announced: usize },
    #[error("{kind:?} record of {len} bytes, expected {expected}")]
    BadLength {
        kind: EventKind,
        len: usize,
        expected: usize,
    },
}

/// The bytes one read or write carried on a captured connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowData {
    pub head: FlowDataHeader,
    /// The payload's first `head.captured_len` bytes.
    pub captured: Vec<u8>,
    /// Its last `head.tail_len` bytes (after a gap) when it was longer.
    pub tail: Vec<u8>,
}

/// One decoded event. The large, rarer records are boxed so that the
/// frequent ones move cheaply through the channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelEvent {
    Tcp(EventKind, TcpEvent),
    Process(EventKind, Box<ProcessEvent>),
    FlowOpened(Box<FlowOpenedEvent>),
    FlowData(FlowData),
    FlowClosed(FlowClosedEvent),
}

impl KernelEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            KernelEvent::Tcp(kind, _) | KernelEvent::Process(kind, _) => *kind,
            KernelEvent::FlowOpened(_) => EventKind::FlowOpened,
            KernelEvent::FlowData(_) => EventKind::FlowData,
            KernelEvent::FlowClosed(_) => EventKind::FlowClosed,
        }
    }

    /// The accept a flow's opening also reports (the kernel sends no
    /// TcpAccept for it), as the TcpAccept it stands for.
    pub fn folded_accept(&self) -> Option<KernelEvent> {
        let KernelEvent::FlowOpened(opened) = self else {
            return None;
        };
        if opened.accepted_ns == 0 {
            return None;
        }
        let mut accept = TcpEvent {
            header: opened.header,
            endpoints: opened.endpoints,
            role: ROLE_SERVER,
            start_ns: opened.accepted_ns,
            ..TcpEvent::default()
        };
        accept.header.kind = EventKind::TcpAccept as u32;
        Some(KernelEvent::Tcp(EventKind::TcpAccept, accept))
    }

    /// The captured flow a TCP close also ends (the kernel sends no
    /// FlowClosed for it).
    pub fn closed_flow(&self) -> Option<FlowKey> {
        match self {
            KernelEvent::Tcp(EventKind::TcpClose, tcp) if tcp.flow.sk != 0 => Some(tcp.flow),
            _ => None,
        }
    }

    /// Whether the event feeds the protocol parsers rather than the log.
    pub fn is_flow(&self) -> bool {
        matches!(
            self,
            KernelEvent::FlowOpened(_) | KernelEvent::FlowData(_) | KernelEvent::FlowClosed(_)
        )
    }
}

/// A flow data record: a fixed header, then the captured bytes and the tail.
fn flow_data(bytes: &[u8]) -> Result<FlowData, DecodeError> {
    let head_len = size_of::<FlowDataHeader>();
    let kind = EventKind::FlowData;
    let Some(head_bytes) = bytes.get(..head_len) else {
        return Err(DecodeError::BadLength {
            kind,
            len: bytes.len(),
            expected: head_len,
        });
    };
    let head: FlowDataHeader = read_exact(kind, head_bytes)?;
    let captured = head.captured_len as usize;
    let tail = head.tail_len as usize;
    let payload = &bytes[head_len..];
    if payload.len() < captured + tail {
        return Err(DecodeError::BadPayloadLength {
            len: bytes.len(),
            announced: captured + tail,
        });
    }
    Ok(FlowData {
        head,
        captured: payload[..captured].to_vec(),
        tail: payload[captured..captured + tail].to_vec(),
    })
}

/// Reads a `T` from the start of `bytes` when the length is exactly right.
fn read_exact<T: Copy>(kind: EventKind, bytes: &[u8]) -> Result<T, DecodeError> {
    if bytes.len() != size_of::<T>() {
        return Err(DecodeError::BadLength {
            kind,
            len: bytes.len(),
            expected: size_of::<T>(),
        });
    }
    // SAFETY: the length matches and every T here is plain integers/arrays,
    // valid for any bit pattern; read_unaligned copes with any alignment.
    Ok(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// Decodes one ring-buffer record.
pub fn decode(bytes: &[u8]) -> Result<KernelEvent, DecodeError> {
    if bytes.len() < size_of::<EventHeader>() {
        return Err(DecodeError::TooShort(bytes.len()));
    }
    let raw_kind = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let kind = EventKind::from_u32(raw_kind).ok_or(DecodeError::UnknownKind(raw_kind))?;
    match kind {
        EventKind::ProcessExec | EventKind::ProcessExit => {
            read_exact::<ProcessEvent>(kind, bytes).map(|e| KernelEvent::Process(kind, Box::new(e)))
        }
        EventKind::FlowOpened => {
            read_exact(kind, bytes).map(|e| KernelEvent::FlowOpened(Box::new(e)))
        }
        EventKind::FlowClosed => read_exact(kind, bytes).map(KernelEvent::FlowClosed),
        EventKind::FlowData => flow_data(bytes).map(KernelEvent::FlowData),
        EventKind::TcpConnect
        | EventKind::TcpAccept
        | EventKind::TcpClose
        | EventKind::TcpConnectFailed
        | EventKind::TcpResetSent
        | EventKind::TcpResetReceived => {
            read_exact::<TcpEvent>(kind, bytes).map(|e| KernelEvent::Tcp(kind, e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of<T>(value: &T) -> Vec<u8> {
        // SAFETY: reading the bytes of a plain #[repr(C)] value.
        unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
            .to_vec()
    }

    #[test]
    fn decodes_a_tcp_event() {
        let mut event = TcpEvent::default();
        event.header.kind = EventKind::TcpClose as u32;
        event.bytes_sent = 1000;
        let decoded = decode(&bytes_of(&event)).unwrap();
        assert_eq!(decoded, KernelEvent::Tcp(EventKind::TcpClose, event));
    }

    #[test]
    fn a_close_of_a_captured_connection_ends_its_flow() {
        let mut event = TcpEvent::default();
        event.header.kind = EventKind::TcpClose as u32;
        let decoded = decode(&bytes_of(&event)).unwrap();
        assert_eq!(decoded.closed_flow(), None, "not captured");
        event.flow = FlowKey {
            sk: 0xffff_8880_1234_5600,
            ino: 77,
        };
        let decoded = decode(&bytes_of(&event)).unwrap();
        assert_eq!(decoded.closed_flow(), Some(event.flow));
        assert!(!decoded.is_flow(), "still a log event");
        event.header.kind = EventKind::TcpResetSent as u32;
        assert_eq!(decode(&bytes_of(&event)).unwrap().closed_flow(), None);
    }

    #[test]
    fn a_flow_opened_with_its_accept_stands_for_a_tcp_accept() {
        // SAFETY: all-zero is a valid FlowOpenedEvent (integers and arrays).
        let mut opened: FlowOpenedEvent = unsafe { std::mem::zeroed() };
        opened.header.kind = EventKind::FlowOpened as u32;
        opened.header.timestamp_ns = 9_000;
        opened.header.task.tgid = 42;
        opened.endpoints.local_port = 8000;
        let decoded = decode(&bytes_of(&opened)).unwrap();
        assert_eq!(decoded.folded_accept(), None, "no accept folded in");
        opened.accepted_ns = 7_000;
        let decoded = decode(&bytes_of(&opened)).unwrap();
        assert!(decoded.is_flow());
        let Some(KernelEvent::Tcp(EventKind::TcpAccept, accept)) = decoded.folded_accept() else {
            panic!("no accept in {decoded:?}");
        };
        assert_eq!(accept.header.kind, EventKind::TcpAccept as u32);
        assert_eq!(accept.header.timestamp_ns, 9_000);
        assert_eq!(accept.header.task.tgid, 42);
        assert_eq!(accept.endpoints.local_port, 8000);
        assert_eq!(accept.role, ROLE_SERVER);
        assert_eq!(accept.start_ns, 7_000);
    }

    #[test]
    fn rejects_bad_records_without_panicking() {
        assert_eq!(decode(&[]), Err(DecodeError::TooShort(0)));
        let mut event = TcpEvent::default();
        event.header.kind = 99;
        assert_eq!(decode(&bytes_of(&event)), Err(DecodeError::UnknownKind(99)));
        event.header.kind = EventKind::ProcessExit as u32;
        assert!(matches!(
            decode(&bytes_of(&event)),
            Err(DecodeError::BadLength { .. })
        ));
        let mut data = FlowDataHeader::default();
        data.header.kind = EventKind::FlowData as u32;
        data.captured_len = 10;
        let mut record = bytes_of(&data);
        record.extend_from_slice(b"GET / HTTP");
        assert!(
            matches!(decode(&record), Ok(KernelEvent::FlowData(d)) if d.captured == b"GET / HTTP")
        );
        record.truncate(record.len() - 1);
        assert!(matches!(
            decode(&record),
            Err(DecodeError::BadPayloadLength { .. })
        ));
        for len in 0..400 {
            let _ = decode(&vec![0xff; len]);
            let _ = decode(&vec![1; len]);
        }
    }
}
