//! HTTP/1.x: incremental parsing of both directions of a connection and
//! pairing of each request with its response.
//!
//! Contract (being implemented): see `types.rs`.

pub mod types;

pub use types::*;
