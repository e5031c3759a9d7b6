//! Reading the MySQL wire format's little-endian integers, length-encoded
//! integers and NUL-terminated strings from a captured prefix: every read
//! past the captured bytes gives None.

/// A cursor over captured bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.bytes.split_at_checked(count)?;
        self.bytes = rest;
        Some(taken)
    }

    pub fn skip(&mut self, count: usize) -> Option<()> {
        self.take(count).map(drop)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    pub fn u16(&mut self) -> Option<u16> {
        Some(self.uint(2)? as u16)
    }

    pub fn u32(&mut self) -> Option<u32> {
        Some(self.uint(4)? as u32)
    }

    /// A little-endian unsigned integer of `size` (at most 8) bytes.
    fn uint(&mut self, size: usize) -> Option<u64> {
        let bytes = self.take(size)?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0u64, |value, &byte| (value << 8) | u64::from(byte)),
        )
    }

    /// A length-encoded integer; None for the NULL marker (0xfb) and the
    /// invalid first byte 0xff.
    pub fn lenenc(&mut self) -> Option<u64> {
        match self.u8()? {
            small @ 0..=0xfa => Some(u64::from(small)),
            0xfc => self.uint(2),
            0xfd => self.uint(3),
            0xfe => self.uint(8),
            _ => None,
        }
    }

    /// Bytes up to a NUL (which is consumed); None when no NUL was captured.
    pub fn nul_terminated(&mut self) -> Option<&'a [u8]> {
        let end = self.bytes.iter().position(|&byte| byte == 0)?;
        let text = self.take(end)?;
        self.skip(1)?;
        Some(text)
    }

    pub fn rest(&self) -> &'a [u8] {
        self.bytes
    }
}

/// `bytes` as text for a name (user, database): lossy, at most 256 bytes.
pub(super) fn name(bytes: &[u8]) -> String {
    let bytes = bytes.get(..256).unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_strings() {
        let mut reader = Reader::new(b"\x01\x02\x03\x04\x05\x06\xfc\x10\x27ab\0c");
        assert_eq!(reader.u16(), Some(0x0201));
        assert_eq!(reader.u32(), Some(0x0605_0403));
        assert_eq!(reader.lenenc(), Some(10000));
        assert_eq!(reader.nul_terminated(), Some(&b"ab"[..]));
        assert_eq!(reader.nul_terminated(), None);
        assert_eq!(reader.rest(), b"c");
        assert_eq!(reader.u16(), None);
        assert_eq!(Reader::new(b"\xfb").lenenc(), None);
        assert_eq!(Reader::new(b"\xfe\x01").lenenc(), None);
        assert_eq!(
            Reader::new(b"\xfe\x01\0\0\0\0\0\0\x80").lenenc(),
            Some(0x8000_0000_0000_0001)
        );
    }
}
