//! RFC 3339 UTC timestamps with nanoseconds, as humantime writes them
//! (`2026-11-22T13:00:00.123456789Z`), for every log line: humantime
//! renders the date and time of day once per second and thread, and the
//! nanoseconds are appended as digits, without core::fmt.

use std::{
    cell::Cell,
    io::Write as _,
    time::{SystemTime, UNIX_EPOCH},
};

/// `YYYY-MM-DDTHH:MM:SS`.
const PREFIX_LEN: usize = 19;
/// The prefix, `.`, nine digits and `Z`.
const LEN: usize = PREFIX_LEN + 11;

/// A rendered timestamp.
pub struct Rfc3339 {
    bytes: [u8; 40],
    len: usize,
}

impl Rfc3339 {
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

thread_local! {
    /// The second last rendered and its prefix.
    static LAST_SECOND: Cell<Option<(u64, [u8; PREFIX_LEN])>> = const { Cell::new(None) };
}

/// `time` as humantime's `format_rfc3339_nanos` renders it.
pub fn rfc3339_nanos(time: SystemTime) -> Rfc3339 {
    let mut stamp = Rfc3339 {
        bytes: [0; 40],
        len: 0,
    };
    let Ok(since_epoch) = time.duration_since(UNIX_EPOCH) else {
        return humantime_rendered(time);
    };
    let second = since_epoch.as_secs();
    let prefix = match LAST_SECOND.get() {
        Some((last, prefix)) if last == second => prefix,
        _ => {
            let full = humantime_rendered(time);
            if full.len != LEN {
                // Not the layout of years 1970 to 9999: nothing to reuse.
                return full;
            }
            let mut prefix = [0; PREFIX_LEN];
            prefix.copy_from_slice(&full.bytes[..PREFIX_LEN]);
            LAST_SECOND.set(Some((second, prefix)));
            prefix
        }
    };
    stamp.bytes[..PREFIX_LEN].copy_from_slice(&prefix);
    stamp.bytes[PREFIX_LEN] = b'.';
    let mut nanos = since_epoch.subsec_nanos();
    for digit in stamp.bytes[PREFIX_LEN + 1..LEN - 1].iter_mut().rev() {
        *digit = b'0' + (nanos % 10) as u8;
        nanos /= 10;
    }
    stamp.bytes[LEN - 1] = b'Z';
    stamp.len = LEN;
    stamp
}

fn humantime_rendered(time: SystemTime) -> Rfc3339 {
    let mut stamp = Rfc3339 {
        bytes: [0; 40],
        len: 0,
    };
    let mut cursor = std::io::Cursor::new(&mut stamp.bytes[..]);
    let _ = write!(cursor, "{}", humantime::format_rfc3339_nanos(time));
    stamp.len = cursor.position() as usize;
    stamp
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn check(time: SystemTime) {
        let expected = humantime::format_rfc3339_nanos(time).to_string();
        assert_eq!(
            std::str::from_utf8(rfc3339_nanos(time).as_bytes()).unwrap(),
            expected
        );
    }

    #[test]
    fn renders_as_humantime_does() {
        check(UNIX_EPOCH);
        check(UNIX_EPOCH + Duration::from_nanos(1));
        let base = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        for nanos in [0, 5, 999_999_999, 123_456_789, 100_000_000] {
            check(base + Duration::from_nanos(nanos));
        }
        // Within one second, across seconds, and back again.
        for step in 0..5_000u64 {
            check(base + Duration::from_nanos(step * 7_654_321));
        }
        check(base);
        check(SystemTime::now());
        // Leap day, end of a year.
        check(UNIX_EPOCH + Duration::from_secs(951_782_400) + Duration::from_nanos(42));
        check(UNIX_EPOCH + Duration::from_secs(1_798_761_599) + Duration::from_nanos(999_999_999));
    }

    #[test]
    fn the_latest_time_a_kernel_timestamp_converts_to() {
        // MonotonicClock clamps to u64 nanoseconds since the epoch (2554).
        check(UNIX_EPOCH + Duration::from_nanos(u64::MAX));
    }
}
