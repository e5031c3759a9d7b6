//! Wire-protocol parsers: pure functions over captured bytes, no I/O, never
//! panicking on any input.

pub mod http1;
