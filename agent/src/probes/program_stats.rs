//! Per-program run statistics the kernel keeps in `bpf_prog_info`.
//!
//! The kernel skips a program run when another BPF program is already running
//! on that CPU (`bpf_prog_active`, or a program's own recursion guard) and
//! counts the skip only in `bpf_prog_info.recursion_misses`; for tracepoint
//! programs since Linux 6.7, earlier kernels report 0. aya 0.13.1's
//! `ProgramInfo` does not expose that field, so it is read here with
//! `BPF_OBJ_GET_INFO_BY_FD` directly.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

use aya_obj::generated::{bpf_attr, bpf_attr__bindgen_ty_9, bpf_cmd, bpf_prog_info};

/// What the kernel counted for one loaded program since it was loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgramStats {
    /// Runs of the program. Counted only while `kernel.bpf_stats_enabled=1`.
    pub run_count: u64,
    /// Time spent in the program in nanoseconds. Counted only while
    /// `kernel.bpf_stats_enabled=1`.
    pub run_time_ns: u64,
    /// Runs the kernel skipped because a BPF program was already running on
    /// the CPU. Always counted.
    pub recursion_misses: u64,
}

/// Reads the statistics of the program behind `fd` (`bpf(BPF_OBJ_GET_INFO_BY_FD)`).
pub fn program_stats(fd: BorrowedFd<'_>) -> io::Result<ProgramStats> {
    // SAFETY: `bpf_prog_info` is a C struct of integers; all zeroes is valid
    // and is what the kernel expects of the fields it fills in.
    let mut info: bpf_prog_info = unsafe { mem::zeroed() };
    // SAFETY: as above, a C union of such structs. Every byte must be zero
    // beyond the `info` member, or the kernel rejects the call.
    let mut attr: bpf_attr = unsafe { mem::zeroed() };
    attr.info = bpf_attr__bindgen_ty_9 {
        bpf_fd: fd.as_raw_fd() as u32,
        // A kernel that knows fewer fields copies fewer and says so in
        // `info_len`; ours reach `recursion_misses` (Linux 5.12).
        info_len: mem::size_of::<bpf_prog_info>() as u32,
        info: &raw mut info as u64,
    };
    // SAFETY: `attr` is a valid `bpf_attr` of the size given, and `attr.info`
    // points at `info`, writable for `info_len` bytes, for the whole call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            bpf_cmd::BPF_OBJ_GET_INFO_BY_FD as libc::c_int,
            &raw mut attr,
            mem::size_of::<bpf_attr>() as libc::c_uint,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ProgramStats {
        run_count: info.run_cnt,
        run_time_ns: info.run_time_ns,
        recursion_misses: info.recursion_misses,
    })
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::os::fd::AsFd;

    use super::*;

    #[test]
    fn a_file_that_is_not_a_program_is_an_error() {
        let file = File::open("/dev/null").expect("open /dev/null");
        let error = program_stats(file.as_fd()).expect_err("not a BPF object");
        // EINVAL as root; EPERM where unprivileged bpf() is refused outright.
        assert!(
            matches!(error.raw_os_error(), Some(libc::EINVAL | libc::EPERM)),
            "{error}"
        );
    }
}
