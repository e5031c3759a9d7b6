//! What the receiver was sent, and the errors it was told to answer with.

use std::collections::{BTreeMap, HashMap};

use opentelemetry_proto::tonic::collector::{
    logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
    trace::v1::ExportTraceServiceRequest,
};
use tonic::{Code, Status};

/// One of the three OTLP services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

/// One export call as it reached the receiver, accepted or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCall {
    pub signal: Signal,
    /// The request's gRPC metadata (HTTP/2 headers), names in lowercase;
    /// binary and non-UTF-8 values are left out. `grpc-encoding: gzip` says
    /// the message was compressed.
    pub metadata: BTreeMap<String, String>,
    /// The error code the receiver answered with instead of storing the
    /// request (see [`super::OtlpReceiver::fail_next`]).
    pub refused_with: Option<Code>,
}

/// Errors still to answer with, per signal.
#[derive(Debug, Clone, Copy)]
struct Failures {
    code: Code,
    remaining: usize,
}

/// What was accepted for one signal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Export calls accepted.
    pub requests: u64,
    /// Spans, log records or metric data points in them.
    pub items: u64,
}

/// Everything stored, shared between the receiver's server and its owner.
/// With `count_only`, requests are counted and dropped: a benchmark sends
/// more than memory could hold.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub traces: Vec<ExportTraceServiceRequest>,
    pub metrics: Vec<ExportMetricsServiceRequest>,
    pub logs: Vec<ExportLogsServiceRequest>,
    pub calls: Vec<ExportCall>,
    count_only: bool,
    counts: HashMap<Signal, Counts>,
    failures: HashMap<Signal, Failures>,
}

/// A request of one of the services.
pub(crate) trait Request {
    const SIGNAL: Signal;
    /// Spans, log records or metric data points in it.
    fn items(&self) -> usize;
    /// Stores it.
    fn keep(self, store: &mut Store);
}

impl Request for ExportTraceServiceRequest {
    const SIGNAL: Signal = Signal::Traces;
    fn items(&self) -> usize {
        self.resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum()
    }
    fn keep(self, store: &mut Store) {
        store.traces.push(self);
    }
}

impl Request for ExportLogsServiceRequest {
    const SIGNAL: Signal = Signal::Logs;
    fn items(&self) -> usize {
        self.resource_logs
            .iter()
            .flat_map(|r| &r.scope_logs)
            .map(|s| s.log_records.len())
            .sum()
    }
    fn keep(self, store: &mut Store) {
        store.logs.push(self);
    }
}

impl Request for ExportMetricsServiceRequest {
    const SIGNAL: Signal = Signal::Metrics;
    fn items(&self) -> usize {
        self.resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| super::metrics::point_count(m.data.as_ref()))
            .sum()
    }
    fn keep(self, store: &mut Store) {
        store.metrics.push(self);
    }
}

impl Store {
    pub fn new(count_only: bool) -> Store {
        Store {
            count_only,
            ..Store::default()
        }
    }

    /// Records a call; answers with the pending error for its signal if
    /// there is one, and counts and stores the request otherwise.
    pub fn receive<R: Request>(
        &mut self,
        metadata: BTreeMap<String, String>,
        request: R,
    ) -> Result<(), Status> {
        let signal = R::SIGNAL;
        let refused_with = self.take_failure(signal);
        if !self.count_only {
            self.calls.push(ExportCall {
                signal,
                metadata,
                refused_with,
            });
        }
        if let Some(code) = refused_with {
            return Err(Status::new(code, "refused by the sonde test receiver"));
        }
        let counts = self.counts.entry(signal).or_default();
        counts.requests += 1;
        counts.items += request.items() as u64;
        if !self.count_only {
            request.keep(self);
        }
        Ok(())
    }

    /// What was accepted for `signal` (counted in both modes).
    pub fn counts(&self, signal: Signal) -> Counts {
        self.counts.get(&signal).copied().unwrap_or_default()
    }

    pub fn fail_next(&mut self, signal: Signal, code: Code, count: usize) {
        self.failures.insert(
            signal,
            Failures {
                code,
                remaining: count,
            },
        );
    }

    pub fn clear(&mut self) {
        self.traces.clear();
        self.metrics.clear();
        self.logs.clear();
        self.calls.clear();
        self.counts.clear();
    }

    fn take_failure(&mut self, signal: Signal) -> Option<Code> {
        let failures = self.failures.get_mut(&signal)?;
        if failures.remaining == 0 {
            return None;
        }
        failures.remaining -= 1;
        Some(failures.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_answered_count_times_then_requests_are_kept() {
        let mut store = Store::default();
        store.fail_next(Signal::Traces, Code::Unavailable, 2);
        let traces = ExportTraceServiceRequest::default;
        for _ in 0..2 {
            let status = store
                .receive(BTreeMap::new(), traces())
                .expect_err("a pending failure refuses the call");
            assert_eq!(status.code(), Code::Unavailable);
        }
        // Another signal is not affected.
        store
            .receive(BTreeMap::new(), ExportLogsServiceRequest::default())
            .expect("no failure pending for logs");
        store
            .receive(BTreeMap::new(), traces())
            .expect("the failures are used up");
        assert_eq!(store.traces.len(), 1);
        assert_eq!(store.calls.len(), 4);
        assert_eq!(store.calls[1].refused_with, Some(Code::Unavailable));
        assert_eq!(store.calls[3].refused_with, None);
        assert_eq!(
            store.counts(Signal::Traces),
            Counts {
                requests: 1,
                items: 0
            }
        );
    }

    #[test]
    fn count_only_keeps_counts_and_drops_requests() {
        use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
        let mut store = Store::new(true);
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span::default(); 3],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        store.receive(BTreeMap::new(), request.clone()).unwrap();
        store.receive(BTreeMap::new(), request).unwrap();
        assert_eq!(
            store.counts(Signal::Traces),
            Counts {
                requests: 2,
                items: 6
            }
        );
        assert!(store.traces.is_empty() && store.calls.is_empty());
    }
}
