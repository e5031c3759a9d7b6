//! Spans from observed HTTP exchanges: a Server span per inbound request, a
//! Client span per outbound one, linked into traces by the inbound W3C
//! `traceparent` and by the thread that serves a request.
//!
//! Input: the [`HttpEvent`](crate::http::exchange::HttpEvent)s of each
//! connection, in order. Output: finished [`Span`]s, printed as JSON or
//! human lines until an exporter takes them.

mod assembler;
mod context;
mod json;
mod render;
mod span;

pub use self::assembler::{DbCallInfo, SpanAssembler, SpanIds};
pub use self::json::write_json;
pub use self::render::to_human_line;
#[cfg(test)]
pub use self::render::to_json_line;
pub use self::span::{endpoint_address, Span};

#[cfg(test)]
mod tests;
