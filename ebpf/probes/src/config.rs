//! The load-time configuration set by the agent (see `sonde_common::config`).

use sonde_common::ProbeConfig;

/// Read-only global filled by the agent with `EbpfLoader::set_global` before
/// load; the verifier then sees its values as constants.
#[no_mangle]
pub static CONFIG: ProbeConfig = ProbeConfig::zeroed();

/// Reads one field of [`CONFIG`], e.g. `conf!(filter.tgid)`.
///
/// The volatile read stops the compiler from folding the zero initializer.
macro_rules! conf {
    ($($field:tt)+) => {{
        // SAFETY: CONFIG is a plain static; reading a field cannot fault.
        #[allow(unused_unsafe, reason = "used both inside and outside unsafe blocks")]
        let value = unsafe { core::ptr::read_volatile(&$crate::config::CONFIG.$($field)+) };
        value
    }};
}
pub(crate) use conf;
