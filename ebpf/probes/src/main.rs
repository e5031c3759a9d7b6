//! sonde's kernel programs.
//!
//! Every program is a thin entry point named `sonde_*` (bpftool shows that
//! prefix) that calls a `try_*` function; the hooked tracepoint is named in the
//! doc line. Events go to the `EVENTS` ring buffer; whatever cannot be emitted
//! is counted in `COUNTERS`.
#![no_std]
#![no_main]

mod calibrate;
mod capture;
mod check;
mod config;
mod counters;
mod emit;
mod kernel;
mod maps;
mod process;
mod raw_args;
mod run;
mod sock;
mod sock_io;
mod socks;
mod task;
mod tcp_reset;
mod tcp_retrans;
mod tcp_state;

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // SAFETY: the verifier rejects any program that could reach a panic.
    unsafe { core::hint::unreachable_unchecked() }
}

/// The kernel refuses GPL-only helpers (probe_read_kernel, ...) without this.
#[no_mangle]
#[link_section = "license"]
pub static LICENSE: [u8; 4] = *b"GPL\0";
