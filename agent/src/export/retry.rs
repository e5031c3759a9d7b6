//! What to do after a failed export call: the OTLP specification's
//! retryable gRPC codes are retried with exponential backoff, other
//! failures drop the batch; and the agent says so once per outage rather
//! than once per attempt.

use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkError;

use crate::telemetry::Signal;

/// First pause after a failure; doubled after each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest pause: a collector that comes back is used again within it.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// gRPC codes after which the same request may succeed (OTLP spec,
/// "Failures"); the exporter names them as tonic's `Code` Debug output.
const RETRYABLE_CODES: [&str; 7] = [
    "Cancelled",
    "DeadlineExceeded",
    "ResourceExhausted",
    "Aborted",
    "OutOfRange",
    "Unavailable",
    "DataLoss",
];

/// Whether the call that failed with `error` may be retried.
pub fn is_retryable(error: &OTelSdkError) -> bool {
    match error {
        OTelSdkError::Timeout(_) => true,
        OTelSdkError::AlreadyShutdown => false,
        OTelSdkError::InternalFailure(message) => {
            grpc_code(message).is_some_and(|code| RETRYABLE_CODES.contains(&code))
        }
    }
}

/// The code in opentelemetry-otlp's "... gRPC code: Unavailable: ..."
/// messages.
fn grpc_code(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("gRPC code: ")?;
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Backoff and outage reporting of one signal's export.
#[derive(Debug)]
pub struct Retries {
    signal: Signal,
    next_pause: Duration,
    failing: bool,
}

impl Retries {
    pub fn new(signal: Signal) -> Retries {
        Retries {
            signal,
            next_pause: FIRST_BACKOFF,
            failing: false,
        }
    }

    /// A call succeeded: the next failure starts a new outage.
    pub fn succeeded(&mut self) {
        if self.failing {
            tracing::info!(signal = self.signal.label(), "OTLP export works again");
        }
        self.failing = false;
        self.next_pause = FIRST_BACKOFF;
    }

    /// A call failed with `error`: the pause before trying again, or None
    /// when the batch must be dropped.
    pub fn failed(&mut self, error: &OTelSdkError) -> Option<Duration> {
        let retryable = is_retryable(error);
        if !retryable {
            tracing::warn!(signal = self.signal.label(), %error, "OTLP collector refused a batch; dropped");
            return None;
        }
        if !self.failing {
            tracing::warn!(
                signal = self.signal.label(),
                %error,
                "OTLP export failed; retrying with backoff (queued telemetry beyond the queue size is dropped and counted in sonde_export_dropped_total)"
            );
        } else {
            tracing::debug!(signal = self.signal.label(), %error, "OTLP export failed again");
        }
        self.failing = true;
        let pause = self.next_pause;
        self.next_pause = (self.next_pause * 2).min(MAX_BACKOFF);
        Some(pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str) -> OTelSdkError {
        OTelSdkError::InternalFailure(format!(
            "TonicTracesClient export failed with gRPC code: {code}: transport error"
        ))
    }

    #[test]
    fn retryable_codes_per_the_otlp_specification() {
        assert!(is_retryable(&failure("Unavailable")));
        assert!(is_retryable(&failure("ResourceExhausted")));
        assert!(is_retryable(&OTelSdkError::Timeout(Duration::from_secs(1))));
        assert!(!is_retryable(&failure("InvalidArgument")));
        assert!(!is_retryable(&failure("Unauthenticated")));
        assert!(!is_retryable(&OTelSdkError::InternalFailure("odd".into())));
        assert!(!is_retryable(&OTelSdkError::AlreadyShutdown));
        assert_eq!(
            grpc_code("TonicLogsClient export failed with gRPC code: Unavailable"),
            Some("Unavailable")
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut retries = Retries::new(Signal::Spans);
        let pauses: Vec<_> = (0..6)
            .map(|_| retries.failed(&failure("Unavailable")).unwrap())
            .collect();
        assert_eq!(pauses[0], FIRST_BACKOFF);
        assert_eq!(pauses[1], FIRST_BACKOFF * 2);
        assert_eq!(*pauses.last().unwrap(), MAX_BACKOFF);
        retries.succeeded();
        assert_eq!(retries.failed(&failure("Unavailable")), Some(FIRST_BACKOFF));
        assert_eq!(retries.failed(&failure("PermissionDenied")), None);
    }
}
