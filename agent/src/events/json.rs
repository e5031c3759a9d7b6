//! One flat JSON object per line, written straight into an output buffer:
//! what every event and span line is. Keys are static dotted ASCII and need
//! no escaping; a string value is copied as is unless it holds a character
//! JSON must escape. Nothing is allocated; integers are written by itoa,
//! not through core::fmt.

use std::io::Write as _;

use super::Value;

/// An object being written to `out`; [`JsonObject::end`] closes it.
pub struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    pub fn begin(out: &'a mut Vec<u8>) -> JsonObject<'a> {
        out.push(b'{');
        JsonObject { out, first: true }
    }

    fn key(&mut self, name: &str) {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    pub fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        string(value, self.out);
    }

    pub fn u64(&mut self, name: &str, value: u64) {
        self.key(name);
        integer(value, self.out);
    }

    pub fn value(&mut self, name: &str, value: &Value) {
        self.key(name);
        match value {
            Value::Int(value) => integer(*value, self.out),
            Value::Str(value) => string(value, self.out),
        }
    }

    /// `name` with a value already rendered as a JSON string's contents
    /// (nothing in it to escape), quoted.
    pub fn plain_str(&mut self, name: &str, value: &[u8]) {
        self.key(name);
        self.out.push(b'"');
        self.out.extend_from_slice(value);
        self.out.push(b'"');
    }

    /// `bytes` as a lowercase hex string.
    pub fn hex(&mut self, name: &str, bytes: &[u8]) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        self.key(name);
        self.out.push(b'"');
        for &byte in bytes {
            self.out.push(DIGITS[usize::from(byte >> 4)]);
            self.out.push(DIGITS[usize::from(byte & 0xf)]);
        }
        self.out.push(b'"');
    }

    pub fn end(self) {
        self.out.push(b'}');
    }
}

fn integer(value: impl itoa::Integer, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Whether `bytes` hold a character JSON must escape. Looks at every byte
/// rather than stopping at the first, so that the compiler vectorizes it.
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    })
}

/// `text` as a JSON string.
fn string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = text.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
    } else {
        for &byte in bytes {
            match byte {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                byte if byte < 0x20 => {
                    let _ = write!(out, "\\u{byte:04x}");
                }
                byte => out.push(byte),
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_to_escape_is_found_anywhere() {
        let plain: Vec<u8> = (0x20..=0x7e).filter(|b| !b"\"\\".contains(b)).collect();
        assert!(!needs_escape(&plain));
        assert!(!needs_escape("é ☃ ∑".as_bytes()));
        assert!(!needs_escape(b""));
        for special in (0..0x20).chain([b'"', b'\\']) {
            for len in [1, 15, 16, 17, 31, 32, 33, 100] {
                for at in [0, len / 2, len - 1] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert!(needs_escape(&bytes), "{special:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn objects_read_back_as_written() {
        let odd = "SELECT \"a\\b\"\n\t\r\u{1}\u{1f} é ☃";
        let mut out = b"x".to_vec();
        let mut object = JsonObject::begin(&mut out);
        object.str("db.query.text", odd);
        object.u64("duration_ns", u64::MAX);
        object.value("process.pid", &Value::Int(-7));
        object.value("name", &Value::Str("plain".into()));
        object.hex("span_id", &[0x01, 0xab, 0xff]);
        object.value("min", &Value::Int(i64::MIN));
        object.plain_str("timestamp", b"1970-01-01T00:00:00.000000000Z");
        object.end();
        let value: serde_json::Value = serde_json::from_slice(&out[1..]).expect("valid JSON");
        assert_eq!(value["db.query.text"], odd);
        assert_eq!(value["duration_ns"], u64::MAX);
        assert_eq!(value["process.pid"], -7);
        assert_eq!(value["name"], "plain");
        assert_eq!(value["span_id"], "01abff");
        assert_eq!(value["min"], i64::MIN);
        assert_eq!(value["timestamp"], "1970-01-01T00:00:00.000000000Z");
        let mut empty = Vec::new();
        JsonObject::begin(&mut empty).end();
        assert_eq!(empty, b"{}");
    }
}
