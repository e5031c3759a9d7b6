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

/// Everything stored, shared between the receiver's server and its owner.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub traces: Vec<ExportTraceServiceRequest>,
    pub metrics: Vec<ExportMetricsServiceRequest>,
    pub logs: Vec<ExportLogsServiceRequest>,
    pub calls: Vec<ExportCall>,
    failures: HashMap<Signal, Failures>,
}

impl Store {
    /// Records a call; answers with the pending error for `signal` if there
    /// is one, and stores the request (through `keep`) otherwise.
    pub fn receive(
        &mut self,
        signal: Signal,
        metadata: BTreeMap<String, String>,
        keep: impl FnOnce(&mut Store),
    ) -> Result<(), Status> {
        let refused_with = self.take_failure(signal);
        self.calls.push(ExportCall {
            signal,
            metadata,
            refused_with,
        });
        match refused_with {
            Some(code) => Err(Status::new(code, "refused by the sonde test receiver")),
            None => {
                keep(self);
                Ok(())
            }
        }
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
        let keep = |s: &mut Store| s.traces.push(Default::default());
        for _ in 0..2 {
            let status = store
                .receive(Signal::Traces, BTreeMap::new(), keep)
                .expect_err("a pending failure refuses the call");
            assert_eq!(status.code(), Code::Unavailable);
        }
        // Another signal is not affected.
        store
            .receive(Signal::Logs, BTreeMap::new(), |s| {
                s.logs.push(Default::default())
            })
            .expect("no failure pending for logs");
        store
            .receive(Signal::Traces, BTreeMap::new(), keep)
            .expect("the failures are used up");
        assert_eq!(store.traces.len(), 1);
        assert_eq!(store.calls.len(), 4);
        assert_eq!(store.calls[1].refused_with, Some(Code::Unavailable));
        assert_eq!(store.calls[3].refused_with, None);
    }
}
