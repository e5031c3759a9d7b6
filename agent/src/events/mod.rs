//! Events from the kernel: decoding ring-buffer records and turning them into
//! structured log records.

pub mod clock;
pub mod decode;
pub mod errno;
pub mod json;
pub mod kernel_keyed;
pub mod record;
pub mod rfc3339;
pub mod text;
pub mod text_memo;

pub use decode::{decode, KernelEvent};
pub use record::{LogRecord, Value};
pub use text::Text;
