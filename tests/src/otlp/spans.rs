//! Received spans, one flat record per span.

use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    trace::v1::{span::SpanKind, status::StatusCode},
};

use super::attributes::{attributes, hex_id, resource_attributes, scope_name, Attributes};

/// A span with the resource and scope it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedSpan {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    /// `None` for a root span.
    pub parent_span_id: Option<String>,
    pub name: String,
    pub kind: SpanKind,
    pub start_unix_nanos: u64,
    pub end_unix_nanos: u64,
    pub status_code: StatusCode,
    pub status_message: String,
    pub attributes: Attributes,
    /// The span's events: name and attributes.
    pub events: Vec<(String, Attributes)>,
    pub resource: Attributes,
    pub scope_name: String,
}

impl ReceivedSpan {
    /// The string attribute `key`, if the span has it as a string.
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(|v| v.as_str())
    }

    /// The string resource attribute `key`, if the resource has it as a string.
    pub fn resource_str(&self, key: &str) -> Option<&str> {
        self.resource.get(key).and_then(|v| v.as_str())
    }
}

/// Every span of `request`, in the order sent.
pub(crate) fn flatten(request: &ExportTraceServiceRequest) -> Vec<ReceivedSpan> {
    let mut out = Vec::new();
    for resource_spans in &request.resource_spans {
        let resource = resource_attributes(resource_spans.resource.as_ref());
        for scope_spans in &resource_spans.scope_spans {
            let scope = scope_name(scope_spans.scope.as_ref());
            for span in &scope_spans.spans {
                let status = span.status.clone().unwrap_or_default();
                out.push(ReceivedSpan {
                    trace_id: hex_id(&span.trace_id).unwrap_or_default(),
                    span_id: hex_id(&span.span_id).unwrap_or_default(),
                    parent_span_id: hex_id(&span.parent_span_id),
                    name: span.name.clone(),
                    kind: span.kind(),
                    start_unix_nanos: span.start_time_unix_nano,
                    end_unix_nanos: span.end_time_unix_nano,
                    status_code: status.code(),
                    status_message: status.message,
                    attributes: attributes(&span.attributes),
                    events: span
                        .events
                        .iter()
                        .map(|e| (e.name.clone(), attributes(&e.attributes)))
                        .collect(),
                    resource: resource.clone(),
                    scope_name: scope.clone(),
                });
            }
        }
    }
    out
}
