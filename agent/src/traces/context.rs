//! W3C Trace Context (`traceparent`) and random span ids.
//!
//! <https://www.w3.org/TR/trace-context/#traceparent-header>

use std::fmt::{self, Write as _};
use std::hash::{BuildHasher, Hasher};

/// A trace id, the id of one span in it, and the trace flags: what a
/// `traceparent` header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    /// The span the header came from (the header's `parent-id`).
    pub span_id: [u8; 8],
    pub flags: u8,
}

/// The `sampled` trace flag.
pub const FLAG_SAMPLED: u8 = 0x01;

/// Length of a version-00 header: `00-` 32 hex `-` 16 hex `-` 2 hex.
const HEADER_LEN: usize = 55;

impl TraceContext {
    /// Parses a `traceparent` header value. `None` when it is not valid,
    /// in which case the receiver starts a new trace.
    ///
    /// Version `00` must be exactly the 55 characters of the spec. A higher
    /// version (not `ff`) is parsed as the spec asks of a version-00 reader:
    /// the first 55 characters as version 00, followed by the end or a `-`;
    /// only its `sampled` flag is kept, since the meaning of its other flags
    /// is unknown. Hex must be lowercase; all-zero ids are invalid.
    pub fn parse_traceparent(header: &str) -> Option<TraceContext> {
        let header = header.trim_matches([' ', '\t']).as_bytes();
        if header.len() < HEADER_LEN {
            return None;
        }
        let version = hex_byte(&header[0..2])?;
        if version == 0xff {
            return None;
        }
        if version == 0 && header.len() != HEADER_LEN {
            return None;
        }
        if version != 0 && header.len() > HEADER_LEN && header[HEADER_LEN] != b'-' {
            return None;
        }
        if header[2] != b'-' || header[35] != b'-' || header[52] != b'-' {
            return None;
        }
        let mut trace_id = [0u8; 16];
        for (i, byte) in trace_id.iter_mut().enumerate() {
            *byte = hex_byte(&header[3 + 2 * i..5 + 2 * i])?;
        }
        let mut span_id = [0u8; 8];
        for (i, byte) in span_id.iter_mut().enumerate() {
            *byte = hex_byte(&header[36 + 2 * i..38 + 2 * i])?;
        }
        let mut flags = hex_byte(&header[53..55])?;
        if version != 0 {
            flags &= FLAG_SAMPLED;
        }
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceContext {
            trace_id,
            span_id,
            flags,
        })
    }

    /// The version-00 `traceparent` header value of this context.
    pub fn to_traceparent(self) -> String {
        let mut out = String::with_capacity(HEADER_LEN);
        let _ = write!(
            out,
            "00-{}-{}-{:02x}",
            Hex(&self.trace_id),
            Hex(&self.span_id),
            self.flags
        );
        out
    }
}

impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_traceparent())
    }
}

/// One byte from two lowercase hex digits.
fn hex_byte(digits: &[u8]) -> Option<u8> {
    fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            _ => None,
        }
    }
    Some(nibble(digits[0])? << 4 | nibble(digits[1])?)
}

/// Bytes rendered as lowercase hex.
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for &byte in self.0 {
            f.write_char(DIGITS[usize::from(byte >> 4)] as char)?;
            f.write_char(DIGITS[usize::from(byte & 0xf)] as char)?;
        }
        Ok(())
    }
}

/// Random, never all-zero, trace and span ids.
///
/// wyrand: one multiply per 64 bits, statistically good and far from a
/// bottleneck; not cryptographic, which trace ids need not be. Seeded from
/// the kernel's random pool (getrandom(2)), so two agents, or one restarted,
/// do not repeat ids.
#[derive(Debug, Clone)]
pub struct IdGenerator {
    state: u64,
}

impl IdGenerator {
    /// A generator seeded from the OS.
    pub fn new() -> IdGenerator {
        IdGenerator::with_seed(os_seed())
    }

    /// A generator with a fixed seed (tests).
    pub fn with_seed(seed: u64) -> IdGenerator {
        IdGenerator { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xa076_1d64_78bd_642f);
        let product = u128::from(self.state) * u128::from(self.state ^ 0xe703_7ed1_a0b4_28db);
        (product as u64) ^ ((product >> 64) as u64)
    }

    /// A random, non-zero trace id.
    pub fn trace_id(&mut self) -> [u8; 16] {
        loop {
            let value = u128::from(self.next_u64()) << 64 | u128::from(self.next_u64());
            if value != 0 {
                return value.to_be_bytes();
            }
        }
    }

    /// A random, non-zero span id.
    pub fn span_id(&mut self) -> [u8; 8] {
        loop {
            let value = self.next_u64();
            if value != 0 {
                return value.to_be_bytes();
            }
        }
    }
}

impl Default for IdGenerator {
    fn default() -> IdGenerator {
        IdGenerator::new()
    }
}

/// 64 bits from getrandom(2); if that fails (it does not on Linux ≥ 3.17
/// once the pool is initialised), std's randomly keyed hasher, itself seeded
/// from the OS, mixed with the time and pid.
fn os_seed() -> u64 {
    let mut seed = [0u8; 8];
    // SAFETY: the buffer is valid for writes of its length.
    let got = unsafe { libc::getrandom(seed.as_mut_ptr().cast(), seed.len(), 0) };
    if got == seed.len() as isize {
        return u64::from_ne_bytes(seed);
    }
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_a_valid_header() {
        let context = TraceContext::parse_traceparent(VALID).expect("valid");
        assert_eq!(
            context.trace_id,
            [
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
                0x47, 0x36
            ]
        );
        assert_eq!(
            context.span_id,
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert_eq!(context.flags, 0x01);
        assert_eq!(context.to_traceparent(), VALID);
        assert_eq!(context.to_string(), VALID);
        // Surrounding whitespace is the header's, not the value's.
        assert_eq!(
            TraceContext::parse_traceparent(&format!(" {VALID}\t")),
            Some(context)
        );
        let unsampled = VALID.replace("-01", "-00");
        assert_eq!(
            TraceContext::parse_traceparent(&unsampled).map(|c| c.flags),
            Some(0)
        );
    }

    #[test]
    fn rejects_invalid_headers() {
        for bad in [
            "",
            "00",
            // Uppercase hex.
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
            // Not hex.
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
            // Wrong separators or lengths.
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
            // Version ff is forbidden; versions are hex.
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            // A multi-byte character where a digit should be must not panic.
            "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse_traceparent(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rejects_all_zero_ids() {
        for zero in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        ] {
            assert_eq!(TraceContext::parse_traceparent(zero), None, "{zero}");
        }
    }

    #[test]
    fn parses_future_versions_leniently() {
        let expected = TraceContext::parse_traceparent(VALID).expect("valid");
        // Same length, more fields after a dash, unknown flags.
        for future in [
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff-x",
        ] {
            assert_eq!(
                TraceContext::parse_traceparent(future),
                Some(expected),
                "{future}"
            );
        }
        for bad in [
            // Longer, but not followed by a dash.
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            // Shorter than version 00.
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "cc-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse_traceparent(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_are_random_and_never_zero() {
        let mut ids = IdGenerator::new();
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let span = ids.span_id();
            assert_ne!(span, [0; 8]);
            assert!(seen.insert(span), "repeated span id");
            assert_ne!(ids.trace_id(), [0; 16]);
        }
        // Two OS-seeded generators do not start alike.
        assert_ne!(IdGenerator::new().trace_id(), IdGenerator::new().trace_id());
        // A fixed seed replays.
        assert_eq!(
            IdGenerator::with_seed(7).span_id(),
            IdGenerator::with_seed(7).span_id()
        );
    }

    #[test]
    fn hex_renders_lowercase() {
        assert_eq!(Hex(&[0x00, 0xab, 0x0f]).to_string(), "00ab0f");
    }
}
