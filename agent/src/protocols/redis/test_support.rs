//! What the Redis scenario and golden tests add to the shared harness
//! (`protocols/testing`): the connection as they drive it, and commands
//! built by hand. Its events read as `testing::db` describes them.

use super::{
    super::{db::DbEvent, testing},
    RedisConnection,
};

testing::impl_connection!(
    RedisConnection,
    DbEvent,
    feed_client,
    feed_server,
    testing::db::describe
);

/// A connection fed with chunks stamped 1, 2, 3...
pub type Wire = testing::Wire<RedisConnection>;

/// A command as a client library sends it: an array of bulk strings.
pub fn command(words: &[&str]) -> Vec<u8> {
    let mut bytes = format!("*{}\r\n", words.len()).into_bytes();
    for word in words {
        bytes.extend_from_slice(format!("${}\r\n{word}\r\n", word.len()).as_bytes());
    }
    bytes
}
