//! One flat JSON object per line, written straight into an output buffer:
//! what every event and span line is. Keys are static dotted ASCII and need
//! no escaping; a string value is copied as is unless it holds a character
//! JSON must escape. Nothing is allocated.

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
        let _ = write!(self.out, "{value}");
    }

    pub fn value(&mut self, name: &str, value: &Value) {
        self.key(name);
        match value {
            Value::Int(value) => {
                let _ = write!(self.out, "{value}");
            }
            Value::Str(value) => string(value, self.out),
        }
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

/// `text` as a JSON string.
fn string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let plain = |byte: u8| byte >= 0x20 && byte != b'"' && byte != b'\\';
    if bytes.iter().all(|&byte| plain(byte)) {
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
    fn objects_read_back_as_written() {
        let odd = "SELECT \"a\\b\"\n\t\r\u{1}\u{1f} é ☃";
        let mut out = b"x".to_vec();
        let mut object = JsonObject::begin(&mut out);
        object.str("db.query.text", odd);
        object.u64("duration_ns", u64::MAX);
        object.value("process.pid", &Value::Int(-7));
        object.value("name", &Value::Str("plain".into()));
        object.hex("span_id", &[0x01, 0xab, 0xff]);
        object.end();
        let value: serde_json::Value = serde_json::from_slice(&out[1..]).expect("valid JSON");
        assert_eq!(value["db.query.text"], odd);
        assert_eq!(value["duration_ns"], u64::MAX);
        assert_eq!(value["process.pid"], -7);
        assert_eq!(value["name"], "plain");
        assert_eq!(value["span_id"], "01abff");
        let mut empty = Vec::new();
        JsonObject::begin(&mut empty).end();
        assert_eq!(empty, b"{}");
    }
}
