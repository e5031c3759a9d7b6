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

/// A task's command name (`comm`, as the kernel holds it) as text, made by
/// `render` once per thread while it stays among the recent ones.
pub fn comm_text(comm: &[u8; COMM_LEN], render: impl FnOnce(&[u8]) -> Text) -> Text {
    COMMAND_TEXTS.with(|memo| memo.borrow_mut().get_or_make(*comm, |comm| render(comm)))
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
