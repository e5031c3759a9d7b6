//! Received log records, one flat record per log.

use opentelemetry_proto::tonic::{
    collector::logs::v1::ExportLogsServiceRequest, logs::v1::SeverityNumber,
};

use super::attributes::{
    attributes, hex_id, resource_attributes, scope_name, AttrValue, Attributes,
};

/// A log record with the resource and scope it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedLog {
    /// When the event happened (0 when unknown).
    pub time_unix_nanos: u64,
    pub observed_time_unix_nanos: u64,
    pub severity_number: SeverityNumber,
    pub severity_text: String,
    /// `None` when the record has no body.
    pub body: Option<AttrValue>,
    /// `None` when empty.
    pub event_name: Option<String>,
    pub attributes: Attributes,
    /// `None` when the record is not tied to a trace.
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub resource: Attributes,
    pub scope_name: String,
}

impl ReceivedLog {
    /// The body, if it is a string.
    pub fn body_str(&self) -> Option<&str> {
        self.body.as_ref().and_then(AttrValue::as_str)
    }

    /// The string attribute `key`, if the record has it as a string.
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(|v| v.as_str())
    }
}

/// Every log record of `request`, in the order sent.
pub(crate) fn flatten(request: &ExportLogsServiceRequest) -> Vec<ReceivedLog> {
    let mut out = Vec::new();
    for resource_logs in &request.resource_logs {
        let resource = resource_attributes(resource_logs.resource.as_ref());
        for scope_logs in &resource_logs.scope_logs {
            let scope = scope_name(scope_logs.scope.as_ref());
            for record in &scope_logs.log_records {
                out.push(ReceivedLog {
                    time_unix_nanos: record.time_unix_nano,
                    observed_time_unix_nanos: record.observed_time_unix_nano,
                    severity_number: record.severity_number(),
                    severity_text: record.severity_text.clone(),
                    body: record.body.as_ref().map(|b| Some(b).into()),
                    event_name: Some(record.event_name.clone()).filter(|n| !n.is_empty()),
                    attributes: attributes(&record.attributes),
                    trace_id: hex_id(&record.trace_id),
                    span_id: hex_id(&record.span_id),
                    resource: resource.clone(),
                    scope_name: scope.clone(),
                });
            }
        }
    }
    out
}
