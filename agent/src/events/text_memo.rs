//! Texts rendered once and shared: the same few addresses, command names
//! and span names recur on every event, and rendering each anew (a
//! formatter run and an allocation) was a good part of the agent's CPU.
//!
//! A memo is a handful of entries scanned in order and replaced
//! round-robin: no hashing (so no hash flooding either: the keys may come
//! from remote peers), bounded memory, and a miss costs what rendering
//! always cost plus the scan.

use std::{cell::RefCell, net::IpAddr};

use sonde_common::COMM_LEN;

use super::Text;

/// The last `N` distinct keys and their texts.
#[derive(Debug)]
pub struct TextMemo<K, const N: usize> {
    entries: Vec<(K, Text)>,
    /// The entry a miss replaces once the memo is full.
    next: usize,
}

impl<K: PartialEq, const N: usize> TextMemo<K, N> {
    pub const fn new() -> Self {
        TextMemo {
            entries: Vec::new(),
            next: 0,
        }
    }

    /// The text of `key`: remembered, else made by `make` and remembered.
    pub fn get_or_make(&mut self, key: K, make: impl FnOnce(&K) -> Text) -> Text {
        if let Some((_, text)) = self.entries.iter().find(|(known, _)| *known == key) {
            return text.clone();
        }
        let text = make(&key);
        if self.entries.len() < N {
            self.entries.push((key, text.clone()));
        } else {
            self.entries[self.next] = (key, text.clone());
            self.next = (self.next + 1) % N;
        }
        text
    }
}

impl<const N: usize> TextMemo<Text, N> {
    /// `text`, shared with the remembered copy if there is one, else
    /// copied and remembered.
    pub fn get_or_copy(&mut self, text: &str) -> Text {
        if let Some((known, _)) = self
            .entries
            .iter()
            .find(|(known, _)| known.as_str() == text)
        {
            return known.clone();
        }
        self.get_or_make(Text::copied(text), Text::clone)
    }
}

impl<K: PartialEq, const N: usize> Default for TextMemo<K, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Distinct addresses remembered per thread: a host's own few, and the
/// peers it talks to most.
const ADDRESSES: usize = 16;

/// Distinct command names remembered per thread.
const COMMANDS: usize = 16;

thread_local! {
    static ADDRESS_TEXTS: RefCell<TextMemo<IpAddr, ADDRESSES>> =
        const { RefCell::new(TextMemo::new()) };
    static COMMAND_TEXTS: RefCell<TextMemo<[u8; COMM_LEN], COMMANDS>> =
        const { RefCell::new(TextMemo::new()) };
}

/// `ip` as text (`127.0.0.1`, `::1`), rendered once per thread while it
/// stays among the recent addresses.
pub fn ip_text(ip: IpAddr) -> Text {
    ADDRESS_TEXTS.with(|memo| {
        memo.borrow_mut()
            .get_or_make(ip, |ip| Text::from(ip.to_string()))
    })
}

/// A task's command name (`comm`, NUL-terminated as the kernel holds it)
/// as text, rendered once per thread while it stays among the recent ones.
pub fn comm_text(comm: &[u8; COMM_LEN]) -> Text {
    COMMAND_TEXTS.with(|memo| {
        memo.borrow_mut().get_or_make(*comm, |comm| {
            let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
            Text::from(String::from_utf8_lossy(&comm[..end]).into_owned())
        })
    })
}

/// Header values remembered per thread.
const HEADER_VALUES: usize = 16;
/// Longer header values are copied, not remembered.
const MAX_REMEMBERED_LEN: usize = 64;

thread_local! {
    static HEADER_TEXTS: RefCell<TextMemo<Text, HEADER_VALUES>> =
        const { RefCell::new(TextMemo::new()) };
}

/// A header value as text (a `Host` is the same on request after request):
/// shared with the last requests that had it, else copied.
pub fn header_value_text(value: &str) -> Text {
    if value.len() > MAX_REMEMBERED_LEN {
        return Text::copied(value);
    }
    HEADER_TEXTS.with(|memo| memo.borrow_mut().get_or_copy(value))
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn a_known_key_shares_its_text() {
        let mut memo = TextMemo::<u32, 2>::new();
        let mut made = 0;
        let mut text = |memo: &mut TextMemo<u32, 2>, key| {
            memo.get_or_make(key, |key| {
                made += 1;
                Text::from(key.to_string())
            })
        };
        let first = text(&mut memo, 7);
        let again = text(&mut memo, 7);
        assert_eq!((first.as_str(), made), ("7", 1));
        match (&first, &again) {
            (Text::Shared(a), Text::Shared(b)) => assert!(std::sync::Arc::ptr_eq(a, b)),
            _ => panic!("not shared"),
        }
    }

    #[test]
    fn the_memo_stays_bounded_and_replaces_round_robin() {
        let mut memo = TextMemo::<u32, 2>::new();
        let mut made = Vec::new();
        for key in [1, 2, 3, 2, 1, 3] {
            let text = memo.get_or_make(key, |key| {
                made.push(*key);
                Text::from(key.to_string())
            });
            assert_eq!(text, key.to_string().as_str());
            assert!(memo.entries.len() <= 2);
        }
        // 3 replaced 1; 1 then replaced 2; 3 was still there.
        assert_eq!(made, [1, 2, 3, 1]);
    }

    #[test]
    fn texts_are_shared_by_content() {
        let mut memo = TextMemo::<Text, 2>::new();
        let first = memo.get_or_copy("example.com:8080");
        let again = memo.get_or_copy(&String::from("example.com:8080"));
        match (&first, &again) {
            (Text::Shared(a), Text::Shared(b)) => assert!(std::sync::Arc::ptr_eq(a, b)),
            _ => panic!("not shared"),
        }
        assert_eq!(memo.get_or_copy("other"), "other");
        assert_eq!(memo.entries.len(), 2);
        let long = "h".repeat(MAX_REMEMBERED_LEN + 1);
        assert_eq!(header_value_text(&long), long.as_str());
        assert_eq!(header_value_text("api:9000"), "api:9000");
    }

    #[test]
    fn command_names_end_at_their_nul() {
        let text = |name: &[u8]| {
            let mut comm = [0; COMM_LEN];
            comm[..name.len()].copy_from_slice(name);
            comm_text(&comm)
        };
        assert_eq!(text(b"gunicorn"), "gunicorn");
        assert_eq!(text(b"gunicorn"), "gunicorn", "remembered");
        assert_eq!(text(b"0123456789abcdef"), "0123456789abcdef");
        assert_eq!(text(b"\xffx"), "\u{fffd}x");
    }

    #[test]
    fn addresses_render_as_std_does() {
        for ip in [
            IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6("2001:db8::1".parse().unwrap()),
        ] {
            assert_eq!(ip_text(ip), ip.to_string().as_str());
            assert_eq!(ip_text(ip), ip.to_string().as_str(), "remembered");
        }
        for n in 0..=255 {
            let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 0, n));
            assert_eq!(ip_text(ip), ip.to_string().as_str());
        }
    }
}
