//! The recorded conversations: `PARSER/testdata/NAME.conv` holds one
//! connection's recv()s as the kernel would capture them, one line each
//! (`#` lines are comments):
//!
//! ```text
//! > TOTAL "DATA" "TAIL"      client to server
//! < TOTAL "DATA" "TAIL"      server to client
//! ```
//!
//! DATA is what a 4096-byte capture keeps of the TOTAL bytes received, TAIL
//! the last 64 bytes when TOTAL exceeds the capture (both escaped: `\r`
//! `\n` `\t` `\\` `\"` `\xNN`). `protocols/testdata/record.py` records them.

use std::{fs, path::PathBuf};

/// One recorded recv().
#[derive(Debug, Clone)]
pub struct Record {
    /// Client to server.
    pub client: bool,
    pub data: Vec<u8>,
    pub total_len: usize,
    pub tail: Vec<u8>,
}

impl Record {
    pub fn fully_captured(&self) -> bool {
        self.total_len == self.data.len()
    }
}

/// `src/protocols/PARSER/testdata`.
pub fn testdata(parser: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/protocols")
        .join(parser)
        .join("testdata")
}

/// Every conversation recorded for `parser`, by name, in name order; at
/// least `at_least` of them (fewer: recordings are missing).
pub fn conversations(parser: &str, at_least: usize) -> Vec<(String, Vec<Record>)> {
    let mut paths: Vec<_> = fs::read_dir(testdata(parser))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "conv"))
        .collect();
    paths.sort();
    assert!(paths.len() >= at_least, "recordings missing: {paths:?}");
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).unwrap();
            let records = text
                .lines()
                .filter(|line| !line.starts_with('#') && !line.is_empty())
                .map(|line| parse_record(line).unwrap_or_else(|| panic!("{name}: bad line {line}")))
                .collect();
            (name, records)
        })
        .collect()
}

/// `> TOTAL "DATA" "TAIL"` (client to server) or `< ...` (server to client).
pub fn parse_record(line: &str) -> Option<Record> {
    let (arrow, rest) = line.split_once(' ')?;
    let (total, rest) = rest.split_once(' ')?;
    let (data, rest) = unquote(rest)?;
    let (tail, rest) = unquote(rest.strip_prefix(' ')?)?;
    (rest.is_empty()).then_some(())?;
    Some(Record {
        client: match arrow {
            ">" => true,
            "<" => false,
            _ => return None,
        },
        data,
        total_len: total.parse().ok()?,
        tail,
    })
}

/// A quoted, escaped string at the start of `text`, and what follows it.
fn unquote(text: &str) -> Option<(Vec<u8>, &str)> {
    let mut bytes = text.strip_prefix('"')?.bytes().enumerate();
    let mut out = Vec::new();
    while let Some((i, byte)) = bytes.next() {
        match byte {
            b'"' => return Some((out, &text[i + 2..])),
            b'\\' => match bytes.next()?.1 {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'x' => {
                    let hex = [bytes.next()?.1, bytes.next()?.1];
                    out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
                }
                other => out.push(other),
            },
            other => out.push(other),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn records_parse() {
        use super::parse_record;

        let record = parse_record(r#"< 70000 "a\r\n\"\\\x00" "z""#).unwrap();
        assert!(!record.client);
        assert_eq!(record.total_len, 70000);
        assert_eq!(record.data, b"a\r\n\"\\\x00");
        assert_eq!(record.tail, b"z");
        assert!(parse_record(r#"? 1 "a" """#).is_none());
        assert!(parse_record(r#"> 1 "a"#).is_none());
    }
}
