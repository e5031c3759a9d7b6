//! Wire-protocol parsers: pure functions over captured bytes, no I/O, never
//! panicking on any input.

pub mod chunk;
pub mod db;
pub mod http1;
#[cfg(test)]
mod kernel_classify;
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        unused_imports,
        reason = "the database parsers are being built; the pipeline uses them next"
    )
)]
pub mod mysql;
pub mod postgres;
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        unused_imports,
        reason = "the database parsers are being built; the pipeline uses them next"
    )
)]
pub mod redis;
mod segments;
// Its tests use all of it: only the agent itself leaves it unused.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the database parsers are being built; the pipeline uses them next"
    )
)]
pub mod sql;
#[cfg(test)]
mod testing;
