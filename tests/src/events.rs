//! The agent's events: one flat JSON object per line, with dotted attribute keys.

use std::{
    os::unix::fs::MetadataExt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::Value;

/// One JSON line printed by `sonde run --log-format json`.
pub type Event = Value;

/// `event.name`, or "" when it is missing.
pub fn name(event: &Event) -> &str {
    str_attr(event, "event.name").unwrap_or_default()
}

pub fn str_attr<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event.get(key).and_then(Value::as_str)
}

pub fn u64_attr(event: &Event, key: &str) -> Option<u64> {
    event.get(key).and_then(Value::as_u64)
}

pub fn i64_attr(event: &Event, key: &str) -> Option<i64> {
    event.get(key).and_then(Value::as_i64)
}

/// `process.pid` (the thread group id).
pub fn pid(event: &Event) -> Option<u64> {
    u64_attr(event, "process.pid")
}

/// Whether the event is called `event_name` and comes from process `pid`.
pub fn is(event: &Event, event_name: &str, pid: u32) -> bool {
    name(event) == event_name && self::pid(event) == Some(u64::from(pid))
}

/// Nanoseconds since the Unix epoch of an RFC 3339 UTC timestamp with exactly
/// nine fractional digits, e.g. `2026-05-01T12:00:00.123456789Z`.
pub fn parse_timestamp_ns(text: &str) -> Option<i128> {
    let b = text.as_bytes();
    if b.len() != 30 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' || b[19] != b'.' || b[29] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = &text[range];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second, nanos) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..29)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(i128::from(seconds) * 1_000_000_000 + i128::from(nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn unix_ns(t: SystemTime) -> i128 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or_default()
}

/// Asserts the attributes every event carries: an RFC 3339 UTC nanosecond
/// `timestamp` between `not_before` (minus 2 s of slack) and now (plus 2 s),
/// `event.name`, `severity_text`, `process.pid`, `thread.id`, a comm of at most
/// 15 bytes in `process.command`, and a numeric `sonde.cgroup.id`.
pub fn assert_common_attributes(event: &Event, not_before: SystemTime) {
    let slack = Duration::from_secs(2);
    let ts_text = str_attr(event, "timestamp")
        .unwrap_or_else(|| panic!("event without a string timestamp: {event}"));
    let ts = parse_timestamp_ns(ts_text)
        .unwrap_or_else(|| panic!("timestamp {ts_text:?} is not RFC 3339 UTC with ns: {event}"));
    let earliest = unix_ns(not_before - slack);
    let latest = unix_ns(SystemTime::now() + slack);
    assert!(
        (earliest..=latest).contains(&ts),
        "timestamp {ts_text} is {:.3} s from the time the event happened (expected within {slack:?}): {event}",
        (ts - unix_ns(not_before)) as f64 / 1e9
    );
    assert!(!name(event).is_empty(), "event without event.name: {event}");
    assert!(
        str_attr(event, "severity_text").is_some_and(|s| !s.is_empty()),
        "event without severity_text: {event}"
    );
    assert!(
        pid(event).is_some_and(|p| p > 0),
        "event without process.pid: {event}"
    );
    assert!(
        u64_attr(event, "thread.id").is_some_and(|t| t > 0),
        "event without thread.id: {event}"
    );
    let comm = str_attr(event, "process.command")
        .unwrap_or_else(|| panic!("event without process.command: {event}"));
    assert!(
        !comm.is_empty() && comm.len() <= 15,
        "process.command {comm:?} is not a comm: {event}"
    );
    assert!(
        u64_attr(event, "sonde.cgroup.id").is_some(),
        "event without a numeric sonde.cgroup.id: {event}"
    );
}

/// The cgroup v2 id of this process (the inode number of its cgroup directory),
/// which its children inherit; `None` when no cgroup2 hierarchy is mounted.
pub fn own_cgroup_id() -> Option<u64> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroups.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = format!("{}{}", cgroup2_mount()?, path.trim_end_matches('/'));
    std::fs::metadata(dir).ok().map(|m| m.ino())
}

/// Where the cgroup v2 hierarchy is mounted (`/sys/fs/cgroup`, or
/// `/sys/fs/cgroup/unified` on hybrid hosts), if it is.
pub fn cgroup2_mount() -> Option<String> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        (right.split_whitespace().next()? == "cgroup2")
            .then(|| left.split_whitespace().nth(4).map(str::to_owned))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_exactly() {
        assert_eq!(
            parse_timestamp_ns("1970-01-01T00:00:00.000000000Z"),
            Some(0)
        );
        assert_eq!(
            parse_timestamp_ns("2024-02-29T12:34:56.123456789Z"),
            Some(1_709_210_096_123_456_789)
        );
        assert_eq!(parse_timestamp_ns("2024-02-29T12:34:56.123Z"), None);
        assert_eq!(
            parse_timestamp_ns("2024-02-29T12:34:56.123456789+00:00"),
            None
        );
        assert_eq!(parse_timestamp_ns("2024-13-29T12:34:56.123456789Z"), None);
        assert_eq!(parse_timestamp_ns("2024-02-29 12:34:56.123456789Z"), None);
    }

    /// Inverse of `days_from_civil` (Howard Hinnant's algorithm).
    fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    #[test]
    fn common_attributes_are_checked() {
        let now = SystemTime::now();
        let secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let date = civil_from_days(days);
        let ts = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000000001Z",
            date.0,
            date.1,
            date.2,
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        );
        let event = serde_json::json!({
            "timestamp": ts, "event.name": "tcp.connect", "severity_text": "INFO",
            "process.pid": 10, "thread.id": 11, "process.command": "sonde-workload",
            "sonde.cgroup.id": 1,
        });
        assert_common_attributes(&event, now);
        let mut bad = event.clone();
        bad["process.command"] = "a-much-too-long-command".into();
        assert!(std::panic::catch_unwind(|| assert_common_attributes(&bad, now)).is_err());
    }
}
