//! What the MySQL scenario and golden tests add to the shared harness
//! (`protocols/testing`): the connection as they drive it, and packets
//! built by hand. Its events read as `testing::db` describes them.

use super::{
    super::{db::DbEvent, testing},
    MysqlConnection,
};

testing::impl_connection!(
    MysqlConnection,
    DbEvent,
    feed_client,
    feed_server,
    testing::db::describe
);

/// A connection fed with chunks stamped 1, 2, 3...
pub type Wire = testing::Wire<MysqlConnection>;

/// A packet: header (length, `seq`) and payload.
pub fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_le_bytes();
    let mut bytes = vec![len[0], len[1], len[2], seq];
    bytes.extend_from_slice(payload);
    bytes
}

/// Packets one after the other, numbered from `seq`.
pub fn packets(seq: u8, payloads: &[&[u8]]) -> Vec<u8> {
    payloads
        .iter()
        .enumerate()
        .flat_map(|(index, payload)| packet(seq.wrapping_add(index as u8), payload))
        .collect()
}
