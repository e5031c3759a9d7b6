//! Measures where a task's saved user registers sit relative to its kernel
//! stack (see ebpf/probes/src/calibrate.rs), so payload capture can read a
//! syscall's arguments on this kernel.

use aya::{maps::Array, programs::RawTracePoint, EbpfLoader};
use sonde_common::ProbeConfig;

/// How far above `task->stack` the saved user registers are, or why that
/// could not be measured.
pub fn regs_from_stack(object: &[u8], config: &ProbeConfig) -> Result<u64, String> {
    let mut ebpf = EbpfLoader::new()
        .btf(None)
        .set_global("CONFIG", config, true)
        .load(object)
        .map_err(|e| format!("loading the calibration program: {e}"))?;
    let program: &mut RawTracePoint = ebpf
        .program_mut("sonde_calibrate")
        .ok_or("calibration program missing from the object")?
        .try_into()
        .map_err(|e| format!("{e}"))?;
    program
        .load()
        .map_err(|e| format!("loading sonde_calibrate: {e}"))?;
    let link = program
        .attach("sys_exit")
        .map_err(|e| format!("attaching sonde_calibrate to sys_exit: {e}"))?;
    // Any syscall of this process will do; the program records the first.
    // SAFETY: getppid has no arguments and cannot fail.
    unsafe { libc::getppid() };
    program
        .detach(link)
        .map_err(|e| format!("detaching sonde_calibrate: {e}"))?;
    let map = ebpf
        .map("REGS_FROM_STACK")
        .ok_or("REGS_FROM_STACK map missing from the object")?;
    let array: Array<_, u64> = Array::try_from(map).map_err(|e| format!("{e}"))?;
    let value = array
        .get(&0, 0)
        .map_err(|e| format!("reading REGS_FROM_STACK: {e}"))?;
    // A kernel stack is a few pages; anything else is not a measurement.
    if value == 0 || value > 1 << 20 {
        return Err(format!("implausible offset {value:#x}"));
    }
    Ok(value)
}
