//! What the parsers' tests share. Each parser implements [`Connection`]
//! for its connection type with [`impl_connection`] (how it is fed, how its
//! events read as lines) and keeps only what is its own: its events'
//! descriptions, its scenarios, and what its golden tests may tolerate.
//!
//! - `wire.rs`: a connection driven chunk by chunk, for the scenario tests.
//! - `conv.rs`: the `.conv` recordings the golden tests replay (the
//!   benchmarks include this module with `#[path]` to read them too).
//! - `replay.rs`: a recording replayed, re-split at other syscall
//!   boundaries, captured with less, or read many writes at once.
//! - `golden.rs`: the checks every parser's golden tests make, the
//!   `.expected` files compared (or rewritten with `SONDE_BLESS=1`).
//! - `db.rs`: what the database parsers' tests share (one line per
//!   [`DbEvent`](super::db::DbEvent), a connection picked up midway).

pub mod conv;
pub mod db;
pub mod golden;
pub mod replay;
pub mod wire;

pub(crate) use wire::{impl_connection, Connection, Wire};
