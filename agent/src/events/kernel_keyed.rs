//! Hash maps keyed by what the kernel hands out (socket pointers, inode
//! numbers, pids, tids), or by hashes already keyed with a random seed.
//!
//! Those keys are not chosen by anyone the agent observes, so they need no
//! protection from hash flooding and can use foldhash, several times
//! cheaper than std's SipHash on small keys. Maps keyed by what a remote
//! peer sends (URL paths, routes, header values) keep std's randomly seeded
//! SipHash.

use std::collections::HashMap;

/// foldhash, randomly seeded per map.
pub type KernelHasher = foldhash::fast::RandomState;

/// A map keyed by kernel-side integers.
pub type KernelKeyedMap<K, V> = HashMap<K, V, KernelHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_pointers_spread_over_the_table() {
        // Kernel pointers are aligned: their low bits are all zero, which
        // a hasher must not pass through to the bucket index.
        let mut map = KernelKeyedMap::default();
        for n in 0..10_000u64 {
            map.insert((0xffff_8880_0000_0000 + n * 2048, n), n);
        }
        assert_eq!(map.len(), 10_000);
        for n in (0..10_000u64).step_by(97) {
            assert_eq!(map.get(&(0xffff_8880_0000_0000 + n * 2048, n)), Some(&n));
        }
    }
}
