//! The input of every protocol parser: what the kernel captured of one
//! read or write.

/// The bytes one read or write syscall carried, as the kernel captured them.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// The first bytes of the syscall's payload (at most the capture size,
    /// 4 KiB by default).
    pub data: &'a [u8],
    /// How many bytes the syscall read or wrote in all (≥ `data.len()`).
    pub total_len: usize,
    /// The last bytes of the payload when `total_len > data.len()` (they
    /// follow a gap of uncaptured bytes); empty otherwise.
    pub tail: &'a [u8],
    /// CLOCK_MONOTONIC when the syscall completed.
    pub timestamp_ns: u64,
    /// Thread that made the syscall.
    pub tid: u32,
}
