//! What the writer prints: log events and finished spans.

use crate::{events::KernelEvent, traces::Span};

pub enum OutputRecord {
    Event(KernelEvent),
    Span(Span),
}
